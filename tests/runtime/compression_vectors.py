#!/usr/bin/python3
# Generates the compressed record batches embedded in protocol_compressed_batch_test.cpp.
#   /usr/bin/python3 tests/runtime/compression_vectors.py kafka-python
#     batches of kafka-python 2.0.2's DefaultRecordBatchBuilder, one per codec
#   /usr/bin/python3 tests/runtime/compression_vectors.py rdkafka
#     batches librdkafka 2.0.2 sends: `kcat -P -z <codec>` against a fake broker on 127.0.0.1
#     that answers ApiVersions v3, Metadata v4 and Produce v7, capturing each ProduceRequest
# Needs Debian's python3-kafka, python3-snappy, python3-lz4, python3-zstandard and kcat.
# Prints one hex string per codec. The output differs from run to run (timestamps, gzip's
# mtime); the tests embed one run.
import socket
import struct
import subprocess
import sys
import threading

CODECS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def kafka_python_batches():
    from kafka.record.default_records import DefaultRecordBatchBuilder
    for name, codec in CODECS.items():
        b = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=0,
                                      producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                      batch_size=1 << 20)
        for i in range(10):
            key = None if i == 3 else ("key-%d" % i).encode()
            value = ("value %d: the same words again and again" % i).encode()
            headers = [("trace", b"abc")] if i % 2 == 0 else []
            b.append(i, timestamp=1700000000000 + i, key=key, value=value, headers=headers)
        print(name, bytes(b.build()).hex())


# -- fake broker for librdkafka -----------------------------------------------------------

def read_frame(conn):
    head = b""
    while len(head) < 4:
        chunk = conn.recv(4 - len(head))
        if not chunk:
            return None
        head += chunk
    n = struct.unpack(">i", head)[0]
    body = b""
    while len(body) < n:
        chunk = conn.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    return body


def api_versions_v3(corr):
    # Produce, Fetch, Metadata, FindCoordinator, ApiVersions: librdkafka writes record batches
    # v2 only if the broker has Produce >= 3 and Fetch >= 4, zstd only with Produce 7 and
    # Fetch 10, and lz4 only if it has FindCoordinator (its sign of a broker >= 0.9).
    keys = [(0, 0, 7), (1, 0, 11), (3, 0, 4), (10, 0, 2), (18, 0, 3)]
    body = struct.pack(">h", 0) + bytes([len(keys) + 1])
    for k, lo, hi in keys:
        body += struct.pack(">hhh", k, lo, hi) + b"\x00"
    body += struct.pack(">i", 0) + b"\x00"
    return struct.pack(">i", corr) + body


def metadata_v4(corr, port):
    from kafka.protocol.metadata import MetadataResponse_v4
    r = MetadataResponse_v4(0, [(1, "127.0.0.1", port, None)], "fake", 1,
                            [(0, "t", False, [(0, 0, 1, [1], [1])])])
    return struct.pack(">i", corr) + r.encode()


def parse_produce_v7(body):
    # after the request header v1: transactional_id, acks, timeout, topics
    pos = 8
    (n,) = struct.unpack_from(">h", body, pos)
    pos += 2 + max(n, 0)  # client_id
    (n,) = struct.unpack_from(">h", body, pos)
    pos += 2 + max(n, 0)  # transactional_id
    pos += 6  # acks, timeout
    pos += 4  # one topic
    (n,) = struct.unpack_from(">h", body, pos)
    pos += 2 + n
    pos += 4 + 4  # one partition, its index
    (n,) = struct.unpack_from(">i", body, pos)
    return body[pos + 4:pos + 4 + n]


def produce_v7(corr):
    from kafka.protocol.produce import ProduceResponse_v7
    r = ProduceResponse_v7([("t", [(0, 0, 0, -1, 0)])], 0)
    return struct.pack(">i", corr) + r.encode()


def serve(sock, port, captured):
    conn, _ = sock.accept()
    while True:
        req = read_frame(conn)
        if req is None:
            return
        api, _, corr = struct.unpack_from(">hhi", req)
        if api == 18:
            out = api_versions_v3(corr)
        elif api == 3:
            out = metadata_v4(corr, port)
        elif api == 0:
            captured.append(parse_produce_v7(req))
            out = produce_v7(corr)
        else:
            return
        conn.sendall(struct.pack(">i", len(out)) + out)


def rdkafka_batches():
    lines = "".join("key-%d:value %d: the same words again and again\n" % (i, i)
                    for i in range(10))
    for name in CODECS:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        port = sock.getsockname()[1]
        captured = []
        t = threading.Thread(target=serve, args=(sock, port, captured), daemon=True)
        t.start()
        subprocess.run(["kcat", "-P", "-b", "127.0.0.1:%d" % port, "-t", "t", "-p", "0",
                        "-K", ":", "-H", "trace=abc", "-z", name, "-X", "linger.ms=100",
                        "-X", "broker.address.family=v4"],
                       input=lines.encode(), check=True, timeout=30)
        t.join(5)
        sock.close()
        assert captured[0][16] == 2, "not a record batch v2"
        assert captured[0][22] == CODECS[name], "not compressed with " + name
        print(name, captured[0].hex())


if __name__ == "__main__":
    {"kafka-python": kafka_python_batches, "rdkafka": rdkafka_batches}[sys.argv[1]]()
