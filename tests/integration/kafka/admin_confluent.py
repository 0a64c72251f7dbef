"""Drives cafka's topic admin APIs with confluent-kafka 1.7.0's AdminClient (librdkafka
2.0.2: CreateTopics v4, DeleteTopics v1, DescribeConfigs v1 with synonyms).
Command line and output: admin_common.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confluent_kafka import KafkaException  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic  # noqa: E402

import admin_common as common  # noqa: E402

WAIT_S = 60


def print_results(futures):
    for name, future in futures.items():
        try:
            future.result(timeout=WAIT_S)
            common.result_line(name, 0, None)
        except KafkaException as e:
            err = e.args[0]
            common.result_line(name, err.code(), err.str())


def timeout_kwargs(args):
    # operation_timeout in seconds; 0 asks the broker to answer at once.
    return {} if args.timeout_ms is None else {"operation_timeout": args.timeout_ms / 1000.0}


def create(admin, args):
    assignment = common.assignment_of(args)
    kwargs = {"config": common.configs_of(args)}
    if assignment:
        kwargs["replica_assignment"] = assignment
    else:
        kwargs["replication_factor"] = args.rf
    topic = NewTopic(args.name, args.partitions, **kwargs)
    print_results(admin.create_topics([topic], validate_only=args.validate_only,
                                      **timeout_kwargs(args)))


def delete(admin, args):
    print_results(admin.delete_topics(args.names, **timeout_kwargs(args)))


def describe(admin, args, resource_type):
    resource = ConfigResource(resource_type, args.resource)
    for _, future in admin.describe_configs([resource]).items():
        try:
            entries = future.result(timeout=WAIT_S)
        except KafkaException as e:
            err = e.args[0]
            common.result_line("error", err.code(), err.str())
            continue
        common.result_line("error", 0, None)
        for name in sorted(entries):
            if args.keys and name not in args.keys:
                continue
            e = entries[name]
            synonyms = [(s.name, s.value, s.source) for s in e.synonyms.values()]
            common.config_line(name, e.value, e.source, e.is_read_only, e.is_default, synonyms)


def alter(admin, args):
    resource = ConfigResource("TOPIC", args.name, set_config=common.pairs_of(args.configs))
    for _, future in admin.alter_configs([resource],
                                         validate_only=args.validate_only).items():
        try:
            future.result(timeout=WAIT_S)
            common.result_line(args.name, 0, None)
        except KafkaException as e:
            err = e.args[0]
            common.result_line(args.name, err.code(), err.str())


def grow(admin, args):
    print_results(admin.create_partitions([NewPartitions(args.name, args.count)],
                                          validate_only=args.validate_only))


def main():
    args = common.parse_args()
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    if args.command == "create":
        create(admin, args)
    elif args.command == "delete":
        delete(admin, args)
    elif args.command == "describe-topic":
        describe(admin, args, "TOPIC")
    elif args.command == "describe-broker":
        describe(admin, args, "BROKER")
    elif args.command == "alter-topic":
        alter(admin, args)
    elif args.command == "grow":
        grow(admin, args)
    else:
        sys.exit("describe-broker-via: kafka-python only")


if __name__ == "__main__":
    main()
