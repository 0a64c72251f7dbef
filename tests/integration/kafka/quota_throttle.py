#!/usr/bin/python3
# Byte-rate quotas seen by clients, for tests/integration/kafka_quotas_test.cpp: a Produce v3
# of one record batch of about 20 KB and then a Fetch v4 of it from offset 0, each on a
# connection of its own, first as CLIENT_A and then as CLIENT_B (kafka-python's encoders,
# wire.py's connection, to read throttle_time_ms exactly). A client is a client id, or
# "<client id>@<user>:<password>" to authenticate first with SASL PLAIN (SaslHandshake v1,
# SaslAuthenticate v0).
#
#   /usr/bin/python3 quota_throttle.py BOOTSTRAP TOPIC CLIENT_A CLIENT_B
#
# Prints one line per request, labelled with the user if there is one, else the client id:
#   "<label> produce error <code> throttle <ms> bytes <record bytes>"
#   "<label> fetch error <code> throttle <ms> records <bytes of records returned>"
import struct
import sys

from kafka.protocol.fetch import FetchRequest, FetchResponse
from kafka.protocol.produce import ProduceRequest, ProduceResponse
from kafka.record.memory_records import MemoryRecordsBuilder

from wire import Connection, read, string

BOOT, TOPIC, CLIENTS = sys.argv[1], sys.argv[2], sys.argv[3:5]


def batch():
    b = MemoryRecordsBuilder(magic=2, compression_type=0, batch_size=1 << 20)
    b.append(timestamp=None, key=None, value=b'q' * 20000, headers=[])
    b.close()
    return bytes(b.buffer())


def connect(client):
    """A connection as `client`, authenticated if it names a user; and its label."""
    client_id, _, login = client.partition('@')
    conn = Connection(BOOT, client_id)
    if not login:
        return conn, client_id
    user, _, password = login.partition(':')
    (code,) = read(conn.call(17, 1, string('PLAIN')), '>h')
    assert code == 0, 'SaslHandshake error %d' % code
    token = b'\0' + user.encode() + b'\0' + password.encode()
    (code,) = read(conn.call(36, 0, struct.pack('>i', len(token)) + token), '>h')
    assert code == 0, 'SaslAuthenticate error %d' % code
    return conn, user


def produce(client):
    records = batch()
    conn, label = connect(client)
    req = ProduceRequest[3](transactional_id=None, required_acks=1, timeout=10000,
                            topics=[(TOPIC, [(0, records)])])
    resp = ProduceResponse[3].decode(conn.call(req.API_KEY, 3, req.encode()))
    conn.close()
    code = resp.topics[0][1][0][1]
    print(label, 'produce error', code, 'throttle', resp.throttle_time_ms, 'bytes',
          len(records))


def fetch(client):
    conn, label = connect(client)
    req = FetchRequest[4](replica_id=-1, max_wait_time=0, min_bytes=0, max_bytes=1 << 20,
                          isolation_level=0, topics=[(TOPIC, [(0, 0, 1 << 20)])])
    resp = FetchResponse[4].decode(conn.call(req.API_KEY, 4, req.encode()))
    conn.close()
    part = resp.topics[0][1][0]
    print(label, 'fetch error', part[1], 'throttle', resp.throttle_time_ms, 'records',
          len(part[5]))


for c in CLIENTS:
    produce(c)
    fetch(c)
