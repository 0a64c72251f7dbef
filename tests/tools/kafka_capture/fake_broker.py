#!/usr/bin/python3
# A one-node fake Kafka broker on 127.0.0.1 that records every request frame librdkafka
# (confluent_kafka) sends, so the codec tests can embed real client bytes. It answers just
# enough (ApiVersions, Metadata, admin and group APIs) for a client to go on to the next
# request. Run with Debian's /usr/bin/python3 (kafka-python's types encode the answers).
#
#   /usr/bin/python3 tests/tools/kafka_capture/fake_broker.py PORT LOG TOPIC...
#
# LOG gets one line per request: "<api_key> <api_version> <body hex>" (body after the
# request header). capture_librdkafka.py starts this and drives a client against it.
import io
import socket
import struct
import sys
import threading
import time

from kafka.protocol.types import (Array, Boolean, Bytes, Int8, Int16, Int32, Int64,
                                  Schema, String)
from kafka.protocol.metadata import MetadataRequest_v4, MetadataResponse_v4
from kafka.protocol.fetch import FetchRequest_v11, FetchResponse_v11
from kafka.protocol.offset import OffsetRequest_v2, OffsetResponse_v2

S = String('utf-8')
PORT = int(sys.argv[1])
LOG = open(sys.argv[2], 'a')
TOPICS = sys.argv[3:]
LOCK = threading.Lock()
# The protocol name and metadata of the last JoinGroup, the assignment of the last SyncGroup.
STATE = {'protocol': b'', 'metadata': b'', 'assignment': b''}

# (key, min, max): the versions librdkafka may pick, capped at what cafka serves.
APIS = [(0, 3, 7), (1, 4, 11), (2, 1, 3), (3, 0, 6), (8, 1, 7), (9, 1, 5), (10, 0, 2),
        (11, 0, 5), (12, 0, 3), (13, 0, 3), (14, 0, 3), (15, 0, 4), (16, 0, 2), (18, 0, 3),
        (19, 0, 4), (20, 0, 3), (22, 0, 1), (32, 0, 2)]


def uvarint(n):
    out = b''
    while n >= 0x80:
        out += bytes([(n & 0x7f) | 0x80])
        n >>= 7
    return out + bytes([n])


def api_versions(version):
    if version < 3:
        keys = Array(('k', Int16), ('lo', Int16), ('hi', Int16)).encode(APIS)
        return Int16.encode(0) + keys + Int32.encode(0)
    body = Int16.encode(0) + uvarint(len(APIS) + 1)
    for k, lo, hi in APIS:
        body += Int16.encode(k) + Int16.encode(lo) + Int16.encode(hi) + b'\x00'
    return body + Int32.encode(0) + b'\x00'


def metadata(body):
    req = MetadataRequest_v4.decode(body)
    names = TOPICS if req.topics is None else req.topics
    topics = [(0, t, False, [(0, p, 1, [1], [1]) for p in range(2)]) for t in names]
    resp = MetadataResponse_v4(0, [(1, '127.0.0.1', PORT, None)], 'fake', 1, topics)
    return resp.encode()  # kafka-python's encode() needs a named object


def find_coordinator(version):
    out = Int32.encode(0) if version >= 1 else b''
    out += Int16.encode(0)
    if version >= 1:
        out += S.encode(None)
    return out + Int32.encode(1) + S.encode('127.0.0.1') + Int32.encode(PORT)


def join_group(version, body):
    # group, session, rebalance (v1+), member, instance (v5+), type, protocols
    fields = [('group', S), ('session', Int32)]
    if version >= 1:
        fields.append(('rebalance', Int32))
    fields.append(('member', S))
    if version >= 5:
        fields.append(('instance', S))
    fields += [('type', S), ('protocols', Array(('name', S), ('metadata', Bytes)))]
    req = Schema(*fields).decode(io.BytesIO(body))
    name, meta = req[-1][0]
    STATE['protocol'], STATE['metadata'] = name, meta
    out = Int32.encode(0) if version >= 2 else b''
    out += Int16.encode(0) + Int32.encode(1) + S.encode(name) + S.encode('m-1') + S.encode('m-1')
    member = S.encode('m-1') + (S.encode(None) if version >= 5 else b'') + Bytes.encode(meta)
    return out + Int32.encode(1) + member


def sync_group(version, body):
    fields = [('group', S), ('generation', Int32), ('member', S)]
    if version >= 3:
        fields.append(('instance', S))
    fields.append(('assignments', Array(('member', S), ('assignment', Bytes))))
    req = Schema(*fields).decode(io.BytesIO(body))
    mine = [a for m, a in req[-1] if m == 'm-1']
    STATE['assignment'] = mine[0] if mine else b''
    out = Int32.encode(0) if version >= 1 else b''
    return out + Int16.encode(0) + Bytes.encode(STATE['assignment'])


def throttled_error(version, first_throttled):
    return (Int32.encode(0) if version >= first_throttled else b'') + Int16.encode(0)


def offset_fetch(version, body):
    req = Schema(('group', S), ('topics', Array(('topic', S), ('partitions', Array(Int32))))
                 ).decode(io.BytesIO(body))
    out = Int32.encode(0) if version >= 3 else b''
    topics = req[1] or []
    out += Int32.encode(len(topics))
    for t, parts in topics:
        out += S.encode(t) + Int32.encode(len(parts))
        for p in parts:
            out += Int32.encode(p) + Int64.encode(-1)
            out += (Int32.encode(-1) if version >= 5 else b'') + S.encode('') + Int16.encode(0)
    return out + (Int16.encode(0) if version >= 2 else b'')


def offset_commit(version, body):
    fields = [('group', S), ('generation', Int32), ('member', S)]
    if version >= 7:
        fields.append(('instance', S))
    if 2 <= version <= 4:
        fields.append(('retention', Int64))
    part = [('partition', Int32), ('offset', Int64)]
    if version >= 6:
        part.append(('epoch', Int32))
    if version == 1:
        part.append(('timestamp', Int64))
    part.append(('metadata', S))
    fields.append(('topics', Array(('topic', S), ('partitions', Array(*part)))))
    req = Schema(*fields).decode(io.BytesIO(body))
    out = Int32.encode(0) if version >= 3 else b''
    out += Int32.encode(len(req[-1]))
    for t, parts in req[-1]:
        out += S.encode(t) + Int32.encode(len(parts))
        for p in parts:
            out += Int32.encode(p[0]) + Int16.encode(0)
    return out


def list_offsets(body):
    req = OffsetRequest_v2.decode(body)
    topics = [(t, [(p[0], 0, -1, 0) for p in parts]) for t, parts in req.topics]
    resp = OffsetResponse_v2(0, topics)
    return resp.encode()


def fetch(body):
    req = FetchRequest_v11.decode(body)
    time.sleep(0.1)
    topics = [(t, [(p[0], 0, 0, 0, 0, None, -1, b'') for p in parts])
              for t, parts in req.topics]
    resp = FetchResponse_v11(0, 0, 0, topics)
    return resp.encode()


def create_topics(version, body):
    # Every topic is created (error 0, no message).
    req = Schema(('topics', Array(('name', S), ('np', Int32), ('rf', Int16),
                                  ('assignments', Array(('p', Int32), ('b', Array(Int32)))),
                                  ('configs', Array(('k', S), ('v', S)))))).decode(io.BytesIO(body))
    out = Int32.encode(0) if version >= 2 else b''
    out += Int32.encode(len(req[0]))
    for t in req[0]:
        out += S.encode(t[0]) + Int16.encode(0) + (S.encode(None) if version >= 1 else b'')
    return out


def delete_topics(version, body):
    req = Schema(('topics', Array(S))).decode(io.BytesIO(body))
    out = Int32.encode(0) if version >= 1 else b''
    return out + Array(('t', S), ('e', Int16)).encode([(t, 0) for t in req[0]])


def describe_configs(version, body):
    resource = Array(('type', Int8), ('name', S), ('keys', Array(S)))
    req = Schema(('resources', resource)).decode(io.BytesIO(body))
    out = Int32.encode(0) + Int32.encode(len(req[0]))
    for rtype, name, _ in req[0]:
        out += Int16.encode(0) + S.encode(None) + Int8.encode(rtype) + S.encode(name)
        out += Int32.encode(1) + S.encode('retention.ms') + S.encode('604800000')
        out += Boolean.encode(False)
        out += Boolean.encode(True) if version == 0 else Int8.encode(5)
        out += Boolean.encode(False) + (Int32.encode(0) if version >= 1 else b'')
    return out


def list_groups(version):
    out = Int32.encode(0) if version >= 1 else b''
    return out + Int16.encode(0) + Array(('g', S), ('type', S)).encode([('g1', 'consumer')])


def describe_groups(version, body):
    groups = Schema(('groups', Array(S))).decode(io.BytesIO(body))[0]
    out = Int32.encode(0) if version >= 1 else b''
    out += Int32.encode(len(groups))
    for g in groups:
        out += Int16.encode(0) + S.encode(g) + S.encode('Stable') + S.encode('consumer')
        out += S.encode(STATE['protocol'] or 'range') + Int32.encode(1) + S.encode('m-1')
        out += S.encode(None) if version >= 4 else b''
        out += S.encode('rdkafka') + S.encode('/127.0.0.1')
        out += Bytes.encode(STATE['metadata']) + Bytes.encode(STATE['assignment'])
        out += Int32.encode(-2147483648) if version >= 3 else b''
    return out


def answer(key, version, body):
    if key == 18:
        return api_versions(version)
    handlers = {
        3: lambda: metadata(body), 10: lambda: find_coordinator(version),
        11: lambda: join_group(version, body), 14: lambda: sync_group(version, body),
        12: lambda: throttled_error(version, 1), 9: lambda: offset_fetch(version, body),
        8: lambda: offset_commit(version, body), 2: lambda: list_offsets(body),
        1: lambda: fetch(body), 19: lambda: create_topics(version, body),
        20: lambda: delete_topics(version, body), 32: lambda: describe_configs(version, body),
        16: lambda: list_groups(version), 15: lambda: describe_groups(version, body),
        13: lambda: throttled_error(version, 1) + (Int32.encode(0) if version >= 3 else b''),
    }
    return handlers[key]() if key in handlers else None


def read_exactly(conn, n):
    buf = b''
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def serve(conn):
    try:
        while True:
            size = struct.unpack('>i', read_exactly(conn, 4))[0]
            frame = read_exactly(conn, size)
            key, version, corr, cid_len = struct.unpack('>hhih', frame[:10])
            body = frame[10 + max(cid_len, 0):]
            if key == 18 and version >= 3:
                body = body[1:]  # request header v2: empty tagged fields
            with LOCK:
                LOG.write('%d %d %s\n' % (key, version, body.hex()))
                LOG.flush()
            reply = answer(key, version, body)
            if reply is None:
                return
            out = struct.pack('>i', corr) + reply
            conn.sendall(struct.pack('>i', len(out)) + out)
    except (EOFError, ConnectionError):
        pass
    finally:
        conn.close()


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', PORT))
    srv.listen(8)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == '__main__':
    main()
