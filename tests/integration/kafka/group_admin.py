#!/usr/bin/python3
"""Kafka's group administration APIs against cafka, for tests/integration/kafka_group_admin_test.cpp.

  group_admin.py BOOTSTRAP delete GROUP...      kafka-python 2.0.2's
      KafkaAdminClient.delete_consumer_groups (DeleteGroups v1); one line "<group> <code>"
  group_admin.py BOOTSTRAP delete-v2 GROUP      DeleteGroups v2 (flexible: request header v2,
      compact strings, tagged fields), raw; one line "<group> <code>"
  group_admin.py BOOTSTRAP offset-delete GROUP TOPIC PARTITION...   OffsetDelete v0, raw;
      "error <code>", then "<topic> <partition> <code>" per partition
  group_admin.py BOOTSTRAP describe GROUP       kafka-python's describe_consumer_groups;
      "group <state> <protocol> <#members>", then "member <client id> <host> <#partitions>"

Raw requests go to the group's coordinator (FindCoordinator v0). Run with /usr/bin/python3.
"""

import io
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import wire  # noqa: E402

DELETE_GROUPS = 42
OFFSET_DELETE = 47
FIND_COORDINATOR = 10


def coordinator(boot, group):
    c = wire.Connection(boot, 'group-admin')
    r = c.call(FIND_COORDINATOR, 0, wire.string(group))
    (err, _node) = wire.read(r, '>hi')
    host = wire.read_string(r)
    (port,) = wire.read(r, '>i')
    c.close()
    if err != 0:
        raise SystemExit('FindCoordinator: error %d' % err)
    return '%s:%d' % (host, port)


def delete_v2(boot, group):
    c = wire.Connection(coordinator(boot, group), 'group-admin')
    c.correlation += 1
    # Request header v2: v1's fields, then tagged fields.
    frame = struct.pack('>hhi', DELETE_GROUPS, 2, c.correlation) + wire.string(c.client_id)
    frame += b'\x00' + wire.uvarint(2) + wire.compact_string(group) + b'\x00'
    c.sock.sendall(struct.pack('>i', len(frame)) + frame)
    r = c.receive()
    r.read(1)  # response header v1's tagged fields
    (_throttle,) = wire.read(r, '>i')
    for _ in range(wire.read_uvarint(r) - 1):
        name = wire.read_compact_string(r)
        (code,) = wire.read(r, '>h')
        wire.read_uvarint(r)
        print('%s %d' % (name, code))


def offset_delete(boot, group, topic, partitions):
    c = wire.Connection(coordinator(boot, group), 'group-admin')
    body = wire.string(group) + struct.pack('>i', 1) + wire.string(topic)
    body += struct.pack('>i', len(partitions))
    for p in partitions:
        body += struct.pack('>i', p)
    r = c.call(OFFSET_DELETE, 0, body)
    (err, _throttle) = wire.read(r, '>hi')
    print('error %d' % err)
    (topics,) = wire.read(r, '>i')
    for _ in range(topics):
        name = wire.read_string(r)
        (n,) = wire.read(r, '>i')
        for _ in range(n):
            (p, code) = wire.read(r, '>ih')
            print('%s %d %d' % (name, p, code))


def main():
    boot, cmd = sys.argv[1:3]
    args = sys.argv[3:]
    if cmd == 'delete-v2':
        return delete_v2(boot, args[0])
    if cmd == 'offset-delete':
        return offset_delete(boot, args[0], args[1], [int(p) for p in args[2:]])
    from kafka import KafkaAdminClient
    from kafka.coordinator.protocol import ConsumerProtocolMemberAssignment
    admin = KafkaAdminClient(bootstrap_servers=boot, client_id='group-admin')
    if cmd == 'delete':
        for group, err in admin.delete_consumer_groups(args):
            print('%s %d' % (group, err.errno))
    elif cmd == 'describe':
        for g in admin.describe_consumer_groups(args):
            print('group %s %s %d' % (g.state, g.protocol, len(g.members)))
            for m in g.members:
                a = m.member_assignment
                if isinstance(a, bytes):
                    a = ConsumerProtocolMemberAssignment.decode(a)
                n = sum(len(ps) for _t, ps in a.assignment) if a is not None else 0
                print('member %s %s %d' % (m.client_id, m.client_host, n))
    admin.close()


if __name__ == '__main__':
    main()
