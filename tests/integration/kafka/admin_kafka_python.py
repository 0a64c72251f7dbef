"""Drives cafka's topic admin APIs with kafka-python 2.0.2's KafkaAdminClient.

CreateTopics v3, DeleteTopics v3, DescribeConfigs v2 (kafka-python's highest versions);
topic changes go to the Metadata response's controller, broker configs to that broker.
Command line and output: admin_common.py.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kafka.admin import (ConfigResource, ConfigResourceType, KafkaAdminClient,  # noqa: E402
                         NewPartitions, NewTopic)
from kafka.errors import KafkaError  # noqa: E402
from kafka.protocol.admin import DescribeConfigsRequest  # noqa: E402

import admin_common as common  # noqa: E402


def print_topic_results(response):
    entries = getattr(response, "topic_errors", None) or response.topic_error_codes
    for entry in entries:
        message = entry[2] if len(entry) > 2 else None
        common.result_line(entry[0], entry[1], message)


# One topic's result in the response text of kafka-python's exception.
RESULT = re.compile(r"\(topic='([^']*)', error_code=(-?\d+)"
                    r"(?:, error_message=(None|'[^']*'|\"[^\"]*\"))?\)")


def print_failure(err):
    # kafka-python raises on the first topic error; its text holds the whole response.
    for name, code, message in RESULT.findall(str(err)):
        common.result_line(name, code, None if message in ("", "None") else message[1:-1])


def create(admin, args):
    assignment = common.assignment_of(args)
    # kafka-python wants -1 for both counts when the replicas are given, and refuses -1
    # (the broker's defaults, KIP-464) otherwise: such a topic gets its -1 after the check.
    defaults = not assignment and args.partitions == -1 and args.rf == -1
    topic = NewTopic(args.name, -1 if assignment else 1 if defaults else args.partitions,
                     -1 if assignment else 1 if defaults else args.rf,
                     replica_assignments=dict(enumerate(assignment)) if assignment else None,
                     topic_configs=common.configs_of(args))
    if defaults:
        topic.num_partitions = topic.replication_factor = -1
    try:
        print_topic_results(admin.create_topics([topic], timeout_ms=args.timeout_ms,
                                                validate_only=args.validate_only))
    except KafkaError as err:
        print_failure(err)


def delete(admin, args):
    try:
        print_topic_results(admin.delete_topics(args.names, timeout_ms=args.timeout_ms))
    except KafkaError as err:
        print_failure(err)


def print_describe(response):
    version = response.API_VERSION
    for error_code, error_message, _, _, entries in response.resources:
        common.result_line("error", error_code, error_message)
        for e in entries:
            if version == 0:
                name, value, read_only, is_default, _ = e
                common.config_line(name, value, 0, read_only, is_default)
            else:
                name, value, read_only, source, _, synonyms = e
                common.config_line(name, value, source, read_only, source == 5, synonyms)


def describe(admin, args, resource_type):
    keys = {k: None for k in args.keys} or None
    resource = ConfigResource(resource_type, args.resource, configs=keys)
    for response in admin.describe_configs([resource], include_synonyms=True):
        print_describe(response)


def describe_via(admin, args):
    request = DescribeConfigsRequest[2](resources=[(4, args.resource, None)],
                                        include_synonyms=False)
    future = admin._send_request_to_node(args.via, request)
    admin._wait_for_futures([future])
    print_describe(future.value)


def alter(admin, args):
    resource = ConfigResource(ConfigResourceType.TOPIC, args.name,
                              configs=common.pairs_of(args.configs))
    response = admin.alter_configs([resource])
    for error_code, error_message, _, name in response.resources:
        common.result_line(name, error_code, error_message)


def grow(admin, args):
    try:
        print_topic_results(admin.create_partitions({args.name: NewPartitions(args.count)},
                                                    validate_only=args.validate_only))
    except KafkaError as err:
        print_failure(err)


def main():
    args = common.parse_args()
    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap, client_id="cafka-admin-test",
                             request_timeout_ms=30000)
    try:
        if args.command == "create":
            create(admin, args)
        elif args.command == "delete":
            delete(admin, args)
        elif args.command == "describe-topic":
            describe(admin, args, ConfigResourceType.TOPIC)
        elif args.command == "describe-broker":
            describe(admin, args, ConfigResourceType.BROKER)
        elif args.command == "alter-topic":
            alter(admin, args)
        elif args.command == "grow":
            grow(admin, args)
        else:
            describe_via(admin, args)
    finally:
        admin.close()


if __name__ == "__main__":
    main()
