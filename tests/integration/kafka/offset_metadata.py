#!/usr/bin/python3
# Committed metadata and leader epochs through the Kafka listener, for
# tests/integration/kafka_offsets_test.cpp. kafka-python commits standalone (assign(), no
# group membership) and reads back with its consumer and its admin client; OffsetCommit v7
# and OffsetFetch v5 (which kafka-python 2.0.2 lacks) are sent by hand (wire.py), from Kafka's
# schemas.
#
#   /usr/bin/python3 offset_metadata.py BOOTSTRAP GROUP TOPIC
#
# BOOTSTRAP must be the group's coordinator (a one-broker cluster). Partition 3 of TOPIC is
# committed by the test itself before. Prints "<step> ..." lines; exits 1 if a step failed.
import struct
import sys

import kafka.errors as Errors
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from wire import Connection, read, read_string, string

BOOT, GROUP, TOPIC = sys.argv[1:4]


# The partitions of a response that starts with a throttle time and its topics array.
def read_partitions(r, read_partition):
    read(r, '>i')  # throttle
    out = []
    for _ in range(read(r, '>i')[0]):
        read_string(r)  # the topic
        out += [read_partition(r) for _ in range(read(r, '>i')[0])]
    return out


def commit_v7(partitions):  # [(partition, offset, leader epoch, metadata)]
    body = string(GROUP) + struct.pack('>i', -1) + string('') + string(None)
    body += struct.pack('>i', 1) + string(TOPIC) + struct.pack('>i', len(partitions))
    for p, offset, epoch, metadata in partitions:
        body += struct.pack('>iqi', p, offset, epoch) + string(metadata)
    return read_partitions(wire.call(8, 7, body), lambda r: read(r, '>ih'))  # (partition, error)


def fetch_v5(partitions):
    body = string(GROUP) + struct.pack('>i', 1) + string(TOPIC)
    body += struct.pack('>i', len(partitions)) + b''.join(struct.pack('>i', p) for p in partitions)

    def partition(r):
        p, offset, epoch = read(r, '>iqi')
        metadata = read_string(r)
        return (p, offset, epoch, metadata, read(r, '>h')[0])

    return read_partitions(wire.call(9, 5, body), partition)


tp = [TopicPartition(TOPIC, p) for p in range(4)]
consumer = KafkaConsumer(bootstrap_servers=BOOT, group_id=GROUP, client_id='offset-meta',
                         enable_auto_commit=False)
consumer.assign(tp[:2])
consumer.commit({tp[0]: OffsetAndMetadata(5, 'my-metadata')})
c = consumer.committed(tp[0], metadata=True)
print('committed', c.offset, repr(c.metadata))
try:
    consumer.commit({tp[1]: OffsetAndMetadata(6, 'x' * 5000)})
    print('too-large none')
except Errors.OffsetMetadataTooLargeError as e:
    print('too-large', type(e).__name__, e.errno)
print('after-too-large', consumer.committed(tp[1]))
consumer.close()

wire = Connection(BOOT, 'offset-probe')
print('commit-v7', commit_v7([(2, 8, 9, None), (1, 4, -1, 'y' * 4097)]))
# About 1.24 MB of records, over message.max.bytes: refused whole, nothing stored.
too_big = commit_v7([(p % 4, 99, -1, 'z' * 4096) for p in range(300)])
print('commit-too-big', sorted(set(e for _p, e in too_big)), len(too_big))
for p, offset, epoch, metadata, error in fetch_v5([0, 1, 2, 3]):
    print('fetch-v5', p, offset, epoch, repr(metadata), error)
wire.close()

admin = KafkaAdminClient(bootstrap_servers=BOOT, client_id='offset-admin')
offsets = admin.list_consumer_group_offsets(GROUP)
for t in sorted(offsets):
    print('admin', t.partition, offsets[t].offset, repr(offsets[t].metadata))
admin.close()
