#!/usr/bin/python3
# Reads every record of a topic from the beginning with kafka-python (no consumer group:
# assign + seek) up to the end offsets at start, and prints one line per record:
#   <partition> <offset> <key> <value> <headers>
# key/value: "~" for null, else "x" + hex; headers: "h" + "<name hex>=<value as key/value>"
# joined by ",".
# Used by tests/integration/kafka_clients_test.cpp; run with /usr/bin/python3.
import argparse
import sys
import time

from kafka import KafkaConsumer, TopicPartition


def field(b):
    return "~" if b is None else "x" + b.hex()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--timeout-s", type=float, default=30)
    args = ap.parse_args()
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap.split(","), group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             request_timeout_ms=20000)
    deadline = time.monotonic() + args.timeout_s
    parts = None
    while not parts and time.monotonic() < deadline:
        parts = consumer.partitions_for_topic(args.topic)
        if not parts:
            time.sleep(0.1)
    if not parts:
        sys.exit("no partitions for " + args.topic)
    tps = [TopicPartition(args.topic, p) for p in sorted(parts)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    end = consumer.end_offsets(tps)
    out = sys.stdout
    while any(consumer.position(tp) < end[tp] for tp in tps):
        if time.monotonic() > deadline:
            sys.exit("timed out before the end offsets " + str(end))
        for tp, records in consumer.poll(timeout_ms=500).items():
            for r in records:
                headers = ",".join(k.encode().hex() + "=" + field(v)
                                   for k, v in (r.headers or []))
                out.write("%d %d %s %s h%s\n" % (r.partition, r.offset, field(r.key),
                                                 field(r.value), headers))
    consumer.close()


if __name__ == "__main__":
    main()
