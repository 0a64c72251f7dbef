#!/usr/bin/python3
# Kafka requests against [limits] caps, for tests/integration/cluster_caps_test.cpp
# (kafka-python's encoders, one TCP connection per request through wire.py). Prints
# "<step> <error code> [details]" lines.
#
#   /usr/bin/python3 cluster_caps.py topics BOOTSTRAP TOPIC
#     CreateTopics v1 of TOPIC (1 partition) with validate_only and without, then Metadata v4
#     asking to auto-create TOPIC-auto.
#   /usr/bin/python3 cluster_caps.py join BOOTSTRAP GROUP TOPIC
#     One JoinGroup v2 of a new member (empty member id) at GROUP's coordinator.
import sys

from kafka.coordinator.protocol import ConsumerProtocolMemberMetadata
from kafka.protocol.admin import CreateTopicsRequest
from kafka.protocol.commit import GroupCoordinatorRequest
from kafka.protocol.group import JoinGroupRequest
from kafka.protocol.metadata import MetadataRequest

import wire


def call(address, req):
    """One kafka-python request on a connection of its own; its decoded response."""
    conn = wire.Connection(address, 'caps', timeout=30)
    try:
        return req.RESPONSE_TYPE.decode(conn.call(req.API_KEY, req.API_VERSION, req.encode()))
    finally:
        conn.close()


def topics(boot, topic):
    for step, validate in (('validate', True), ('create', False)):
        req = CreateTopicsRequest[1](create_topic_requests=[(topic, 1, 1, [], [])],
                                     timeout=30000, validate_only=validate)
        name, code, message = call(boot, req).topic_errors[0]
        print(step, name, code, message)
    auto = topic + '-auto'
    md = call(boot, MetadataRequest[4]([auto], True))
    for code, name, _internal, _partitions in md.topics:
        print('metadata', name, code)


def join(boot, group, topic):
    found = call(boot, GroupCoordinatorRequest[0](group))
    coordinator = '%s:%d' % (found.host, found.port)
    subscription = ConsumerProtocolMemberMetadata(0, [topic], b'')  # encode() is weak
    metadata = subscription.encode()
    joined = call(coordinator, JoinGroupRequest[2](group, 6000, 60000, '', 'consumer',
                                                   [('range', metadata)]))
    print('join', joined.error_code, repr(joined.member_id))


if sys.argv[1] == 'topics':
    topics(sys.argv[2], sys.argv[3])
else:
    join(sys.argv[2], sys.argv[3], sys.argv[4])
