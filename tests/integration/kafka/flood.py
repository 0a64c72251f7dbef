#!/usr/bin/python3
"""A hostile Kafka client, and an ordinary one beside it. From one source address the hostile
side opens many connections (`connections`), sends frames of the largest declared size
(`frames`), parks many long-poll fetches (`fetches`) or asks for big answers it never reads
(`unread`); while it holds them, an ordinary kafka-python client on 127.0.0.1 produces and
consumes a record. Prints what the node did
("admitted N refused M", "served ok") and, with --pid, the node's memory ("rss-kib ...").
Used by tests/integration/kafka_flood_test.cpp and bench/flood.sh; run with /usr/bin/python3.
"""

import argparse
import os
import resource
import selectors
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402


def raise_open_files():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def node_memory(pid):
    """The node's resident set and its peak, in KiB, from /proc."""
    if not pid:
        return ''
    fields = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            key, _, value = line.partition(':')
            fields[key] = value.split()[0] if value.split() else ''
    return 'rss-kib %s hwm-kib %s' % (fields.get('VmRSS'), fields.get('VmHWM'))


def frame(api_key, version, correlation, body):
    payload = struct.pack('>hhi', api_key, version, correlation) + wire.string('flood') + body
    return struct.pack('>i', len(payload)) + payload


def open_from(source, address, timeout=30, rcvbuf=0):
    """A connection to `address` from `source`; with `rcvbuf`, that small a receive buffer."""
    host, port = address.split(':')
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((source, 0))
    s.settimeout(timeout)
    s.connect((host, int(port)))
    return s


def answered_or_closed(socks, request, deadline_s):
    """Sends `request` on every socket and sorts them: answered (the node serves it) or closed
    (the node refused it). Sockets with neither by the deadline count as silent."""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        try:
            s.send(request)
        except OSError:
            pass  # closed already: the read below sees it
        sel.register(s, selectors.EVENT_READ)
    answered, closed = [], []
    deadline = time.monotonic() + deadline_s
    pending = len(socks)
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except OSError:
                data = b''
            (answered if data else closed).append(s)
            sel.unregister(s)
            pending -= 1
    sel.close()
    return answered, closed, pending


def api_versions():
    return frame(18, 0, 1, b'')


def ordinary_client(bootstrap, topic, tag):
    """Produces one record with kafka-python from 127.0.0.1 and reads it back."""
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.structs import TopicPartition
    producer = KafkaProducer(bootstrap_servers=[bootstrap], acks='all', retries=5,
                             request_timeout_ms=20000)
    meta = producer.send(topic, value=tag.encode()).get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=[bootstrap], enable_auto_commit=False,
                             consumer_timeout_ms=20000, fetch_max_wait_ms=100)
    tp = TopicPartition(topic, meta.partition)
    consumer.assign([tp])
    consumer.seek(tp, meta.offset)
    got = [m.value.decode() for m in consumer]
    consumer.close()
    got = got[:1]
    return got == [tag]


def connections(args):
    """Opens args.count connections, 500 at a time, each batch asking for the API versions
    before the next opens (so the kernel's accept queue, not the node, never drops them)."""
    socks, answered, closed, silent, failed = [], [], [], 0, 0
    while len(socks) + failed < args.count:
        batch = []
        for _ in range(min(500, args.count - len(socks) - failed)):
            try:
                batch.append(open_from(args.source, args.bootstrap))
            except OSError as e:
                failed += 1
                if failed == 1:
                    print('connect failed:', e, file=sys.stderr)
        a, c, n = answered_or_closed(batch, api_versions(), 60)
        socks += batch
        answered += a
        closed += c
        silent += n
    print('admitted %d refused %d silent %d connect-failed %d'
          % (len(answered), len(closed), silent, failed))
    print('holding', node_memory(args.pid))
    print('served ok' if ordinary_client(args.bootstrap, args.topic, 'conn') else 'served FAILED')
    sys.stdout.flush()
    for s in socks:
        s.close()


def send_frames(args, count):
    """Opens `count` connections; each announces a frame of args.size bytes and sends all but
    its last byte, for as long as the node reads it. Returns the sockets and how many sent
    everything they meant to."""
    socks = [open_from(args.source, args.bootstrap) for _ in range(count)]
    body = b'\0' * 65536
    left = {}
    for s in socks:
        s.sendall(struct.pack('>i', args.size))
        s.setblocking(False)
        left[s] = args.size - 1
    # Send until no connection makes progress for two seconds: the node stopped reading.
    last_progress = time.monotonic()
    while time.monotonic() - last_progress < 2:
        moved = False
        for s in socks:
            n = min(left[s], len(body))
            if n == 0:
                continue
            try:
                sent = s.send(body[:n])
            except BlockingIOError:
                continue
            left[s] -= sent
            moved = moved or sent > 0
        if moved:
            last_progress = time.monotonic()
        else:
            time.sleep(0.05)
    return socks, sum(1 for s in socks if left[s] == 0)


def frames(args):
    socks, whole = send_frames(args, args.count)
    print('frames %d sent-whole %d' % (len(socks), whole))
    print('holding', node_memory(args.pid))
    print('served ok' if ordinary_client(args.bootstrap, args.topic, 'frames') else
          'served FAILED')
    for s in socks:
        s.close()
    # The bytes of closed connections are free again.
    deadline = time.monotonic() + 30
    while True:
        socks, whole = send_frames(args, 1)
        for s in socks:
            s.close()
        if whole == 1 or time.monotonic() > deadline:
            break
    print('again 1 sent-whole %d' % whole)
    sys.stdout.flush()


def fetch_request(correlation, topic, partitions, max_wait_ms, max_bytes=1 << 20):
    """Fetch v4: `partitions` (0, 1, ...) of `topic` from offset 0, waiting for max_bytes."""
    body = struct.pack('>iiiib', -1, max_wait_ms, max_bytes, max_bytes, 0)
    body += struct.pack('>i', 1) + wire.string(topic) + struct.pack('>i', partitions)
    body += b''.join(struct.pack('>iqi', p, 0, max_bytes) for p in range(partitions))
    return frame(1, 4, correlation, body)


def fetches(args):
    """Each of args.count connections sends one fetch of args.partitions partitions of
    args.fetch_topic (a connection serves one fetch at a time, as Kafka does)."""
    socks = [open_from(args.source, args.bootstrap) for _ in range(args.count)]
    topic = args.fetch_topic or args.topic
    for s in socks:
        s.sendall(fetch_request(1, topic, args.partitions, args.wait_ms))
    print('partition fetches sent %d' % (len(socks) * args.partitions))
    print('holding', node_memory(args.pid))
    print('served ok' if ordinary_client(args.bootstrap, args.topic, 'fetches') else
          'served FAILED')
    sys.stdout.flush()
    for s in socks:
        s.close()


def produce_request(topic, size):
    """Produce v3 of one `size`-byte record to partition 0 of `topic`, acks=1."""
    import time as clock
    from kafka.record.default_records import DefaultRecordBatchBuilder
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0,
                                        producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                        batch_size=size + 1024)
    builder.append(0, int(clock.time() * 1000), None, b'x' * size, [])
    batch = bytes(builder.build())
    body = struct.pack('>hhi', -1, 1, 10000)  # no transactional id, acks=1, timeout
    body += struct.pack('>i', 1) + wire.string(topic)
    body += struct.pack('>ii', 1, 0) + struct.pack('>i', len(batch)) + batch
    return frame(0, 3, 1, body)


def settle(pid, deadline_s=60):
    """Waits until the node's resident memory stopped growing (3 samples, 1 s apart)."""
    if not pid:
        return
    last, same, deadline = None, 0, time.monotonic() + deadline_s
    while same < 3 and time.monotonic() < deadline:
        time.sleep(1)
        now = node_memory(pid).split()[1]
        same = same + 1 if now == last else 0
        last = now


def unread(args):
    """Fills partition 0 of the topic with args.records records of args.size bytes, then from
    args.count connections (with small receive buffers) sends args.per_connection fetches of
    all of it each and never reads an answer."""
    conn = wire.Connection.__new__(wire.Connection)
    conn.sock = open_from('127.0.0.1', args.bootstrap)
    for _ in range(args.records):
        conn.sock.sendall(produce_request(args.topic, args.size))
        r = conn.receive()
        (topics,) = wire.read(r, '>i')
        wire.read_string(r)
        (partitions, partition, code) = wire.read(r, '>iih')
        if code != 0:
            print('produce failed with error %d' % code)
            return
    conn.sock.close()
    socks = []
    for i in range(args.count):
        s = open_from(args.source, args.bootstrap, rcvbuf=4096)
        s.sendall(b''.join(fetch_request(j + 1, args.topic, 1, 0, 64 << 20)
                           for j in range(args.per_connection)))
        socks.append(s)
    print('unread fetches sent %d' % (len(socks) * args.per_connection))
    settle(args.pid)
    print('holding', node_memory(args.pid))
    print('served ok' if ordinary_client(args.bootstrap, args.topic, 'unread') else
          'served FAILED')
    sys.stdout.flush()
    for s in socks:
        s.close()


def pipelined(args):
    """A Produce of one args.size-byte record and an ApiVersions request in one write, the
    second's size prefix in the same segment as the first's end: prints both error codes."""
    s = open_from('127.0.0.1', args.bootstrap)
    s.sendall(produce_request(args.topic, args.size) + api_versions())
    conn = wire.Connection.__new__(wire.Connection)
    conn.sock = s
    r = conn.receive()
    (topics,) = wire.read(r, '>i')
    wire.read_string(r)
    (partitions, partition, produce_code) = wire.read(r, '>iih')
    r = conn.receive()
    (versions_code,) = wire.read(r, '>h')
    print('produce %d apiversions %d' % (produce_code, versions_code))
    s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['connections', 'frames', 'fetches', 'unread', 'pipelined'])
    p.add_argument('bootstrap')
    p.add_argument('topic')
    p.add_argument('--source', default='127.0.0.2', help='the hostile side\'s address')
    p.add_argument('--count', type=int, default=10000, help='connections')
    p.add_argument('--size', type=int, default=1 << 20, help='frame size (frames)')
    p.add_argument('--per-connection', type=int, default=20,
                   help='fetches per connection (unread)')
    p.add_argument('--partitions', type=int, default=125, help='partitions per fetch (fetches)')
    p.add_argument('--fetch-topic', default='', help='the topic fetched (fetches)')
    p.add_argument('--records', type=int, default=16, help='records of --size (unread)')
    p.add_argument('--wait-ms', type=int, default=30000, help='fetch max wait')
    p.add_argument('--pid', type=int, default=0, help='the node, for its memory figures')
    args = p.parse_args()
    raise_open_files()
    {'connections': connections, 'frames': frames, 'fetches': fetches, 'unread': unread,
     'pipelined': pipelined}[args.mode](args)


if __name__ == '__main__':
    main()
