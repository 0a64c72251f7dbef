#!/usr/bin/python3
# A group's lag as a Kafka admin sees it, for tests/integration/kafka_groups_test.cpp:
# kafka-python's KafkaAdminClient (FindCoordinator, OffsetFetch, DescribeGroups) against the
# log end offsets (ListOffsets) of TOPIC.
#
#   /usr/bin/python3 group_lag.py BOOTSTRAP GROUP TOPIC
#
# Prints one line per group ListGroups finds on any broker "listed <group> <protocol type>",
# one per partition "partition <p> committed <offset or -1> end <offset>", the group
# "group <id> state <state> protocol_type <type> protocol <name>", one line per member
# "member <member id> <client id> <partitions assigned>", then "lag <total>" (a partition
# without a committed offset counts its whole log).
import sys

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.coordinator.protocol import ConsumerProtocolMemberAssignment

BOOT, GROUP, TOPIC = sys.argv[1:4]

admin = KafkaAdminClient(bootstrap_servers=BOOT, client_id='lag-check')
for group, protocol_type in admin.list_consumer_groups():
    print('listed %s %s' % (group, protocol_type))
committed = admin.list_consumer_group_offsets(GROUP)
consumer = KafkaConsumer(bootstrap_servers=BOOT, client_id='lag-ends')
tps = [TopicPartition(TOPIC, p) for p in sorted(consumer.partitions_for_topic(TOPIC) or [])]
ends = consumer.end_offsets(tps)
lag = 0
for tp in tps:
    c = committed.get(tp)
    off = c.offset if c is not None else -1
    lag += ends[tp] - max(off, 0)
    print('partition %d committed %d end %d' % (tp.partition, off, ends[tp]))
for g in admin.describe_consumer_groups([GROUP]):
    print('group %s state %s protocol_type %s protocol %s' % (g.group, g.state, g.protocol_type,
                                                             g.protocol))
    for m in g.members:
        a = m.member_assignment
        if isinstance(a, bytes):
            a = ConsumerProtocolMemberAssignment.decode(a)
        n = sum(len(ps) for _t, ps in a.assignment) if a is not None else 0
        print('member %s %s %d' % (m.member_id, m.client_id, n))
print('lag %d' % lag)
consumer.close()
admin.close()
