#!/usr/bin/python3
# Over an SSL:// listener, writes records "<prefix>-<i>" (i in [0, count)) to a topic with
# kafka-python or confluent-kafka (acks=all), then reads the topic from the beginning with
# the same client and prints each value read, one a line. The broker's certificate is
# verified against --ca (hostname included); --cert/--key present a client certificate.
# Exits 0 once every record was acknowledged and `count` records were read back; otherwise
# prints the error to stderr and exits 1.
# Used by tests/integration/kafka_ssl_test.cpp; run with /usr/bin/python3.
import argparse
import sys
import time


def kafka_python_ssl(args):
    conf = {"bootstrap_servers": args.bootstrap.split(","), "security_protocol": "SSL",
            "ssl_cafile": args.ca, "ssl_check_hostname": True}
    if args.cert:
        conf.update(ssl_certfile=args.cert, ssl_keyfile=args.key)
    return conf


def with_kafka_python(args):
    from kafka import KafkaConsumer, KafkaProducer
    producer = KafkaProducer(acks="all", retries=5, request_timeout_ms=20000,
                             **kafka_python_ssl(args))
    futures = [producer.send(args.topic, value=("%s-%d" % (args.prefix, i)).encode())
               for i in range(args.count)]
    producer.flush(timeout=30)
    failed = [f.exception for f in futures if not f.succeeded()]
    producer.close()
    if failed:
        raise RuntimeError("not acknowledged: %s" % failed[0])
    consumer = KafkaConsumer(args.topic, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=20000,
                             **kafka_python_ssl(args))
    values = []
    for msg in consumer:
        values.append(msg.value.decode())
        if len(values) == args.count:
            break
    consumer.close()
    return values


def confluent_ssl(args):
    conf = {"bootstrap.servers": args.bootstrap, "security.protocol": "ssl",
            "ssl.ca.location": args.ca, "ssl.endpoint.identification.algorithm": "https"}
    if args.cert:
        conf.update({"ssl.certificate.location": args.cert, "ssl.key.location": args.key})
    return conf


def with_confluent(args):
    from confluent_kafka import Consumer, Producer
    errors = []
    producer = Producer(dict(confluent_ssl(args), **{"acks": "all",
                                                    "message.timeout.ms": 30000}))

    def report(err, msg):
        if err is not None:
            errors.append(err)

    for i in range(args.count):
        producer.produce(args.topic, value=("%s-%d" % (args.prefix, i)).encode(),
                         on_delivery=report)
    if producer.flush(40) != 0 or errors:
        raise RuntimeError("not acknowledged: %s" % (errors[0] if errors else "timeout"))
    consumer = Consumer(dict(confluent_ssl(args), **{"group.id": "ssl-" + args.prefix,
                                                    "auto.offset.reset": "earliest",
                                                    "enable.auto.commit": False}))
    consumer.subscribe([args.topic])
    values = []
    deadline = time.monotonic() + 30
    while len(values) < args.count and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            raise RuntimeError(str(msg.error()))
        values.append(msg.value().decode())
    consumer.close()
    return values


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--client", choices=["kafka-python", "confluent"], required=True)
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--prefix", default="v")
    p.add_argument("--count", type=int, default=20)
    args = p.parse_args()
    try:
        run = with_kafka_python if args.client == "kafka-python" else with_confluent
        values = run(args)
    except Exception as e:  # one line for the test's message
        print("%s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    for v in values:
        print(v)
    if len(values) != args.count:
        print("read %d of %d records" % (len(values), args.count), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
