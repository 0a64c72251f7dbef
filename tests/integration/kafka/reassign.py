#!/usr/bin/python3
"""Kafka's partition reassignment APIs (KIP-455) against cafka, raw (kafka-python 2.0.2 has
neither): AlterPartitionReassignments v0 and ListPartitionReassignments v0, both flexible
(request header v2, response header v1, compact fields, tagged fields).

  reassign.py BOOTSTRAP alter TOPIC PARTITION R1,R2,...   reassign the partition to replicas
      R1,R2,... (timeout 30000 ms); "top <code>", then "<topic> <partition> <code> <message>"
      per partition ("-" for a null message)
  reassign.py BOOTSTRAP cancel TOPIC PARTITION            the same with null replicas (cancels
      the partition's pending reassignment)
  reassign.py BOOTSTRAP list [TOPIC [COUNT]]              ongoing reassignments: of every
      partition (null topics) without TOPIC, else of TOPIC's partitions 0..COUNT-1 (COUNT
      defaults to 1: partition 0 only); "top <code>", then
      "<topic> <partition> replicas=1,2,3 adding=4 removing=1" per partition
  reassign.py --self-check                                 checks the encoders and decoders
      against the bytes of tests/runtime/kafka_reassignment_codec_test.cpp; prints "ok"

The request goes to the first broker of BOOTSTRAP (comma-separated host:port). Kafka error
codes are printed, not raised: the exit code is 0 whenever a response arrived, 1 when the
connection failed or the response was cut short. Run with /usr/bin/python3.
"""

import io
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import wire  # noqa: E402

ALTER_PARTITION_REASSIGNMENTS = 45
LIST_PARTITION_REASSIGNMENTS = 46
TIMEOUT_MS = 30000


def alter_body(topic, partition, replicas, timeout_ms=TIMEOUT_MS):
    """One topic, one partition; replicas None cancels."""
    body = struct.pack('>i', timeout_ms) + wire.compact_array_length(1)
    body += wire.compact_string(topic) + wire.compact_array_length(1)
    body += struct.pack('>i', partition) + wire.compact_int32_array(replicas)
    return body + wire.EMPTY_TAGS * 3  # partition, topic, request


def list_body(topic=None, count=1, timeout_ms=TIMEOUT_MS):
    """Null topics (every reassignment) when topic is None, else partitions 0..count-1."""
    body = struct.pack('>i', timeout_ms)
    if topic is None:
        return body + wire.compact_array_length(None) + wire.EMPTY_TAGS
    body += wire.compact_array_length(1) + wire.compact_string(topic)
    body += wire.compact_int32_array(list(range(count)))
    return body + wire.EMPTY_TAGS * 2  # topic, request


def response_lines(r, partition_line):
    """Either response body as the lines this script prints: "top <code>", then per
    partition what partition_line(topic, r) reads from its fields."""
    (_throttle, code) = wire.read(r, '>ih')
    wire.read_compact_string(r)  # the top-level message
    lines = ['top %d' % code]
    for _ in range(wire.read_compact_array_length(r) or 0):
        topic = wire.read_compact_string(r)
        for _ in range(wire.read_compact_array_length(r) or 0):
            lines.append(partition_line(topic, r))
            wire.skip_tagged_fields(r)
        wire.skip_tagged_fields(r)
    wire.skip_tagged_fields(r)
    return lines


def alter_partition_line(topic, r):
    (partition, err) = wire.read(r, '>ih')
    message = wire.read_compact_string(r)
    return '%s %d %d %s' % (topic, partition, err, '-' if message is None else message)


def ids(xs):
    return ','.join(str(x) for x in xs or [])


def list_partition_line(topic, r):
    (partition,) = wire.read(r, '>i')
    replicas = wire.read_compact_int32_array(r)
    adding = wire.read_compact_int32_array(r)
    removing = wire.read_compact_int32_array(r)
    return '%s %d replicas=%s adding=%s removing=%s' % (
        topic, partition, ids(replicas), ids(adding), ids(removing))


def alter_lines(r):
    """An AlterPartitionReassignments v0 response body as printed lines."""
    return response_lines(r, alter_partition_line)


def list_lines(r):
    """A ListPartitionReassignments v0 response body as printed lines."""
    return response_lines(r, list_partition_line)


def self_check():
    """The bytes and lines of tests/runtime/kafka_reassignment_codec_test.cpp."""
    frame = wire.flexible_frame(ALTER_PARTITION_REASSIGNMENTS, 0, 1, 'reassign',
                                alter_body('orders', 3, None))
    checks = [
        (frame.hex(), '002d0000000000010008726561737369676e00'
                      '0000753002076f7264657273020000000300000000'),
        (alter_body('orders', 0, [1, 2, 3]).hex(),
         '0000753002076f72646572730200000000040000000100000002000000030000' '00'),
        (list_body().hex(), '000075300000'),
        (list_body('orders', 3).hex(),
         '0000753002076f726465727304000000000000000100000002' '0000'),
        (alter_lines(io.BytesIO(bytes.fromhex(
            '000000000000' '00' '02076f7264657273' '03000000000000' '0000'
            '000000010055056e6f6e6500' '00' '00'))),
         ['top 0', 'orders 0 0 -', 'orders 1 85 none']),
        (list_lines(io.BytesIO(bytes.fromhex(
            '000000000000' '00' '02076f7264657273' '0200000000'
            '050000000100000002000000030000000402000000040200000001' '000000'))),
         ['top 0', 'orders 0 replicas=1,2,3,4 adding=4 removing=1']),
        (list_lines(io.BytesIO(bytes.fromhex('00000007001d0764656e696564' '0100'))),
         ['top 29']),
    ]
    bad = [(got, want) for got, want in checks if got != want]
    for got, want in bad:
        print('self-check: got %r, want %r' % (got, want), file=sys.stderr)
    print('ok' if not bad else 'FAILED')
    return 0 if not bad else 1


def run(boot, cmd, args):
    conn = wire.Connection(boot.split(',')[0], 'reassign', timeout=60)
    try:
        if cmd == 'alter':
            replicas = [int(b) for b in args[2].split(',')] if args[2] else []
            body = alter_body(args[0], int(args[1]), replicas)
            lines = alter_lines(conn.call_flexible(ALTER_PARTITION_REASSIGNMENTS, 0, body))
        elif cmd == 'cancel':
            body = alter_body(args[0], int(args[1]), None)
            lines = alter_lines(conn.call_flexible(ALTER_PARTITION_REASSIGNMENTS, 0, body))
        else:
            topic = args[0] if args else None
            count = int(args[1]) if len(args) > 1 else 1
            body = list_body(topic, count)
            lines = list_lines(conn.call_flexible(LIST_PARTITION_REASSIGNMENTS, 0, body))
    finally:
        conn.close()
    for line in lines:
        print(line)


def main():
    argv = sys.argv[1:]
    if argv == ['--self-check']:
        return self_check()
    usage = {'alter': 3, 'cancel': 2, 'list': None}
    if len(argv) < 2 or argv[1] not in usage or (
            usage[argv[1]] is not None and len(argv) - 2 != usage[argv[1]]) or (
            argv[1] == 'list' and len(argv) > 4):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        run(argv[0], argv[1], argv[2:])
    except (OSError, EOFError, struct.error) as e:
        print('reassign.py: %s: %s' % (type(e).__name__, e), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
