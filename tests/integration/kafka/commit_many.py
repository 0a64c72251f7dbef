#!/usr/bin/python3
# Commits offsets 1..N of partition 0 of TOPIC for GROUP with confluent-kafka (librdkafka),
# as a standalone consumer (no subscription: OffsetCommit with generation -1), for
# tests/integration/compaction_test.cpp. Prints "committed N" once the last commit is
# acknowledged.
#
#   /usr/bin/python3 commit_many.py --bootstrap B --topic T --group G --commits N
import argparse
import sys

from confluent_kafka import Consumer, KafkaException, TopicPartition


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--commits", type=int, required=True)
    args = p.parse_args()
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group,
                         "enable.auto.commit": False})
    try:
        for offset in range(1, args.commits):
            while True:
                try:
                    consumer.commit(offsets=[TopicPartition(args.topic, 0, offset)],
                                    asynchronous=True)
                    break
                except BufferError:
                    consumer.poll(0.01)
            if offset % 1000 == 0:
                consumer.poll(0)
        consumer.commit(offsets=[TopicPartition(args.topic, 0, args.commits)],
                        asynchronous=False)
    except KafkaException as e:
        sys.exit("commit failed: %s" % e)
    finally:
        consumer.close()
    print("committed %d" % args.commits)


if __name__ == "__main__":
    main()
