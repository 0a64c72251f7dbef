#!/usr/bin/python3
# Oversized group requests on one connection, for tests/integration/kafka_group_limits_test.cpp:
# a DescribeGroups v0 naming GROUPS groups (kafka-python's encoder) and a LeaveGroup v3 with
# MEMBERS members (hand-encoded from Kafka's schema with wire.py: kafka-python 2.0.2 stops at
# v1), then a Metadata v0 on the same connection to show the node still serves. In between, ten
# DescribeGroups of 1000 names each go out at once; their answers' counts of groups looked
# at (error 0) are printed as "pipelined [...]".
#
#   /usr/bin/python3 group_limits.py BOOTSTRAP GROUPS MEMBERS
#
# Prints "describe ..." and "leave ..." lines with the per-entry error codes counted (with the
# other codes seen, and the index of the first INVALID_REQUEST, -1 for none), then
# "metadata brokers <n>".
import collections
import struct
import sys
import time

from kafka.protocol.admin import DescribeGroupsRequest, DescribeGroupsResponse
from kafka.protocol.metadata import MetadataRequest, MetadataResponse

from wire import Connection, read, read_string, string

BOOT, GROUPS, MEMBERS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
conn = Connection(BOOT, 'limits')


def counts(codes):
    c = collections.Counter(codes)
    first = codes.index(42) if 42 in codes else -1
    other = sorted(set(c) - {0, 42})
    return 'ok %d invalid %d other %d %s first-invalid %d' % (
        c[0], c[42], len(codes) - c[0] - c[42], other, first)


start = time.time()
req = DescribeGroupsRequest[0](groups=['dg-%d' % i for i in range(GROUPS)])
resp = DescribeGroupsResponse[0].decode(conn.call(req.API_KEY, 0, req.encode()))
codes = [g[0] for g in resp.groups]
names_kept = all(g[1] == 'dg-%d' % i for i, g in enumerate(resp.groups))
print('describe', len(codes), counts(codes), 'names', names_kept,
      'seconds %.1f' % (time.time() - start))

body = string('lg') + struct.pack('>i', MEMBERS)
body += b''.join(string('m-%d' % i) + string(None) for i in range(MEMBERS))
r = conn.call(13, 3, body)
_throttle, top, n = read(r, '>ihi')
codes = []
for _ in range(n):
    read_string(r)  # member id
    read_string(r)  # instance id
    codes.append(read(r, '>h')[0])
print('leave', len(codes), counts(codes), 'top', top)

# Ten DescribeGroups of 1000 names each, sent at once: the session's budget is shared.
req = DescribeGroupsRequest[0](groups=['pg-%d' % i for i in range(1000)])
body = req.encode()
for _ in range(10):
    conn.send(15, 0, body)
oks = []
for _ in range(10):
    groups = DescribeGroupsResponse[0].decode(conn.receive()).groups
    oks.append(sum(1 for g in groups if g[0] == 0))
    assert all(g[0] in (0, 42) for g in groups) and len(groups) == 1000
print('pipelined', oks)

req = MetadataRequest[0](topics=[])
resp = MetadataResponse[0].decode(conn.call(req.API_KEY, 0, req.encode()))
print('metadata brokers', len(resp.brokers))
