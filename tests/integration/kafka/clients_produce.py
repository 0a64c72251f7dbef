#!/usr/bin/python3
# Writes records "<prefix>-<i>" with keys "k<i>" (i in [0, count)) to a topic with
# kafka-python or confluent-kafka, compressed with --compression, and exits 0 only once every
# record was acknowledged (acks=all). Prints the number acknowledged.
# Used by tests/integration/kafka_clients_test.cpp; run with /usr/bin/python3.
import argparse
import sys


def with_kafka_python(args):
    from kafka import KafkaProducer
    producer = KafkaProducer(bootstrap_servers=args.bootstrap.split(","), acks="all",
                             compression_type=args.compression, linger_ms=5, retries=5,
                             request_timeout_ms=20000)
    futures = [producer.send(args.topic, key=b"k%d" % i,
                             value=("%s-%d" % (args.prefix, i)).encode())
               for i in range(args.count)]
    producer.flush(timeout=30)
    acked = sum(1 for f in futures if f.succeeded())
    for f in futures:
        if f.failed():
            print("failed:", f.exception, file=sys.stderr)
            break
    producer.close()
    return acked


def with_confluent(args):
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": args.bootstrap, "acks": "all",
                         "compression.type": args.compression, "linger.ms": 5,
                         "message.timeout.ms": 30000})
    acked = [0]

    def report(err, msg):
        if err is None:
            acked[0] += 1
        else:
            print("failed:", err, file=sys.stderr)

    for i in range(args.count):
        while True:
            try:
                producer.produce(args.topic, key=b"k%d" % i,
                                 value=("%s-%d" % (args.prefix, i)).encode(),
                                 on_delivery=report)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    producer.flush(30)
    return acked[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--client", choices=["kafka-python", "confluent-kafka"], required=True)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--compression", default="none")
    ap.add_argument("--prefix", default="v")
    ap.add_argument("--count", type=int, default=1000)
    args = ap.parse_args()
    if args.client == "kafka-python":
        acked = with_kafka_python(args)
    else:
        acked = with_confluent(args)
    print(acked)
    sys.exit(0 if acked == args.count else 1)


if __name__ == "__main__":
    main()
