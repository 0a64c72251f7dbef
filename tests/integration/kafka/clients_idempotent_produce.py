#!/usr/bin/python3
# Writes keyed records continuously with confluent-kafka's idempotent producer
# (enable.idempotence=true, acks=all) until SIGTERM, then flushes and exits.
# Values are "<key>:<n>" with n counting up per key; keys "k0".."k<keys-1>" in turn.
# Every acknowledged record is printed as "<key> <n> <partition> <offset>" (flushed as it goes),
# every failed one as "failed <key> <n> <error>"; exits 1 if any record failed or the
# producer raised a fatal error. Used by tests/integration/kafka_clients_test.cpp; run with
# /usr/bin/python3.
import argparse
import signal
import sys
import time

from confluent_kafka import KafkaError, Producer

stopping = False


def stop(signum, frame):
    global stopping
    stopping = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--keys", type=int, default=10)
    ap.add_argument("--rate", type=int, default=2000, help="records per second")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, stop)
    failed = [0]
    fatal = [None]

    def on_error(err):
        if err.fatal():
            fatal[0] = err
        print("error", err, file=sys.stderr, flush=True)

    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True,
                         "acks": "all", "linger.ms": 5, "message.timeout.ms": 60000,
                         "error_cb": on_error})

    def report(err, msg):
        key = msg.key().decode()
        n = msg.value().decode().split(":")[1]
        if err is None:
            sys.stdout.write("%s %s %d %d\n" % (key, n, msg.partition(), msg.offset()))
        else:
            failed[0] += 1
            sys.stdout.write("failed %s %s %s\n" % (key, n, err))

    counters = [0] * args.keys
    sent = 0
    start = time.monotonic()
    while not stopping and fatal[0] is None:
        # Paced: at most `rate` records per second since the start.
        if sent >= (time.monotonic() - start) * args.rate:
            producer.poll(0.005)
            sys.stdout.flush()
            continue
        k = sent % args.keys
        key = "k%d" % k
        try:
            producer.produce(args.topic, key=key.encode(),
                             value=("%s:%d" % (key, counters[k])).encode(),
                             on_delivery=report)
        except BufferError:
            producer.poll(0.05)
            continue
        counters[k] += 1
        sent += 1
        producer.poll(0)
    left = producer.flush(70)
    sys.stdout.flush()
    print("sent %d unreported %d failed %d fatal %s" % (sent, left, failed[0], fatal[0]),
          file=sys.stderr, flush=True)
    sys.exit(0 if left == 0 and failed[0] == 0 and fatal[0] is None else 1)


if __name__ == "__main__":
    main()
