#!/usr/bin/python3
# Raw classic group requests (kafka-python's encoders, one TCP connection per request) for
# tests/integration/kafka_groups_test.cpp: where the coordinator is, what the other broker
# answers, and that a member outlives its connection but not its session.
#
#   /usr/bin/python3 classic_probe.py BOOTSTRAP_A BOOTSTRAP_B GROUP TOPIC
#
# Prints "<step> <error code> [details]" lines.
import io
import socket
import struct
import sys
import time

from kafka.coordinator.protocol import (ConsumerProtocolMemberAssignment,
                                        ConsumerProtocolMemberMetadata)
from kafka.protocol.commit import GroupCoordinatorRequest
from kafka.protocol.admin import DescribeGroupsRequest
from kafka.protocol.group import HeartbeatRequest, JoinGroupRequest, SyncGroupRequest

A, B, GROUP, TOPIC = sys.argv[1:5]


def call(address, req):
    host, port = address.split(':')
    s = socket.create_connection((host, int(port)))
    client = b'probe'
    header = struct.pack('>hhih', req.API_KEY, req.API_VERSION, 7, len(client)) + client
    body = header + req.encode()
    s.sendall(struct.pack('>i', len(body)) + body)
    size = struct.unpack('>i', s.recv(4))[0]
    data = b''
    while len(data) < size:
        data += s.recv(size - len(data))
    s.close()  # every request on a connection of its own
    return req.RESPONSE_TYPE.decode(io.BytesIO(data[4:]))


found = call(A, GroupCoordinatorRequest[0](GROUP))
coordinator = '%s:%d' % (found.host, found.port)
other = B if coordinator == A else A
print('find', found.error_code, found.coordinator_id)
subscription = ConsumerProtocolMemberMetadata(0, [TOPIC], b'')  # kept: encode() is weak
metadata = subscription.encode()
join = JoinGroupRequest[2](GROUP, 6000, 60000, '', 'consumer', [('range', metadata)])
print('join-other', call(other, join).error_code)
connect = JoinGroupRequest[2](GROUP, 6000, 60000, '', 'connect', [('range', metadata)])
print('join-connect', call(coordinator, connect).error_code)
joined = call(coordinator, join)
print('join', joined.error_code, joined.group_protocol, repr(joined.leader_id),
      joined.generation_id > 0)
member, generation = joined.member_id, joined.generation_id
time.sleep(1)  # its connection is closed: a monitored member would be gone by now
synced = call(coordinator, SyncGroupRequest[1](GROUP, generation, member, []))
assignment = ConsumerProtocolMemberAssignment.decode(synced.member_assignment)
print('sync', synced.error_code, sum(len(ps) for _t, ps in assignment.assignment))
print('heartbeat', call(coordinator, HeartbeatRequest[1](GROUP, generation, member)).error_code)
print('heartbeat-stale',
      call(coordinator, HeartbeatRequest[1](GROUP, generation - 1, member)).error_code)
forged = JoinGroupRequest[2](GROUP, 6000, 60000, 'made-up', 'consumer', [('range', metadata)])
print('join-forged', call(coordinator, forged).error_code)
# A subscription whose group record would exceed half of message-max-bytes (1.3 MB of names).
huge = ConsumerProtocolMemberMetadata(0, ['t%06d-%s' % (i, 'x' * 12) for i in range(60000)], b'')
big = JoinGroupRequest[2](GROUP, 6000, 60000, '', 'consumer', [('range', huge.encode())])
print('join-huge', call(coordinator, big).error_code)
print('heartbeat-after-huge',
      call(coordinator, HeartbeatRequest[1](GROUP, generation, member)).error_code)
# The refused join left the group as it was: an ordinary member still joins.
print('join-after-huge', call(coordinator, join).error_code)
# A join refused before the group exists does not create it.
ghost = JoinGroupRequest[2](GROUP + '-ghost', 1000, 60000, '', 'consumer', [('range', metadata)])
print('join-ghost', call(coordinator, ghost).error_code)
described = call(coordinator, DescribeGroupsRequest[0]([GROUP + '-ghost'])).groups[0]
print('ghost-state', described[0], described[2])
# Heartbeats with a stale generation (22) do not renew the session: it ends 6 s after the
# last good one, then the member is unknown (25).
last_good = time.time()
call(coordinator, HeartbeatRequest[1](GROUP, generation, member))
deadline = last_good + 30
code = 22
while code == 22 and time.time() < deadline:
    time.sleep(0.2)  # poll interval
    code = call(coordinator, HeartbeatRequest[1](GROUP, generation - 1, member)).error_code
print('heartbeat-expired', code, time.time() - last_good >= 6)
