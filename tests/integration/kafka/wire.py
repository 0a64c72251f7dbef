"""Raw Kafka requests on one TCP connection, for the test scripts that send versions or sizes
kafka-python 2.0.2 cannot: request header v1 (non-flexible) with response header v0, or
request header v2 (flexible) with response header v1, and the primitive types of Kafka's
schemas, plain and compact (flexible versions: uvarint lengths + 1, tagged fields).
Run with /usr/bin/python3.
"""

import io
import socket
import struct


def string(s):
    """A Kafka (nullable) string: int16 length, then UTF-8 bytes; None is length -1."""
    if s is None:
        return struct.pack('>h', -1)
    b = s.encode()
    return struct.pack('>h', len(b)) + b


def read(r, fmt):
    return struct.unpack(fmt, r.read(struct.calcsize(fmt)))


def read_string(r):
    (n,) = read(r, '>h')
    return None if n < 0 else r.read(n).decode()


# ---- flexible versions ----

# An empty tagged-field section (a count of 0), closing every struct of a flexible version.
EMPTY_TAGS = b'\x00'


def uvarint(n):
    """An unsigned varint: 7 bits a byte, low first, the high bit set on all but the last."""
    out = b''
    while n >= 0x80:
        out += bytes([(n & 0x7f) | 0x80])
        n >>= 7
    return out + bytes([n])


def compact_string(s):
    """A COMPACT_STRING: uvarint length + 1, then UTF-8 bytes."""
    b = s.encode()
    return uvarint(len(b) + 1) + b


def compact_nullable_string(s):
    """A COMPACT_NULLABLE_STRING: None is length 0."""
    return uvarint(0) if s is None else compact_string(s)


def compact_array_length(n):
    """A COMPACT_ARRAY's count: uvarint n + 1; None (a null array) is 0."""
    return uvarint(0 if n is None else n + 1)


def compact_int32_array(xs):
    """A COMPACT_ARRAY of int32; None is the null array."""
    if xs is None:
        return compact_array_length(None)
    return compact_array_length(len(xs)) + b''.join(struct.pack('>i', x) for x in xs)


def read_uvarint(r):
    shift = n = 0
    while True:
        b = r.read(1)
        if not b:
            raise EOFError('truncated varint')
        n |= (b[0] & 0x7f) << shift
        if b[0] < 0x80:
            return n
        shift += 7


def read_compact_string(r):
    """A COMPACT_NULLABLE_STRING (or COMPACT_STRING); None for null."""
    n = read_uvarint(r)
    if n == 0:
        return None
    b = r.read(n - 1)
    if len(b) < n - 1:
        raise EOFError('truncated string')
    return b.decode()


def read_compact_array_length(r):
    """A COMPACT_ARRAY's count; None for a null array."""
    n = read_uvarint(r)
    return None if n == 0 else n - 1


def read_compact_int32_array(r):
    n = read_compact_array_length(r)
    return None if n is None else [read(r, '>i')[0] for _ in range(n)]


def skip_tagged_fields(r):
    """Reads a tagged-field section and drops its fields."""
    for _ in range(read_uvarint(r)):
        read_uvarint(r)  # tag
        r.read(read_uvarint(r))


def flexible_frame(api_key, version, correlation, client_id, body):
    """A request with header v2 (v1's fields, then tagged fields), without the size prefix."""
    header = struct.pack('>hhi', api_key, version, correlation) + string(client_id)
    return header + EMPTY_TAGS + body


class Connection:
    def __init__(self, address, client_id, timeout=60):
        host, port = address.split(':')
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.client_id = client_id
        self.correlation = 0

    def send(self, api_key, version, body):
        self.correlation += 1
        frame = struct.pack('>hhi', api_key, version, self.correlation)
        frame += string(self.client_id) + body
        self.sock.sendall(struct.pack('>i', len(frame)) + frame)

    def _exactly(self, n):
        data = b''
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError('connection closed')
            data += chunk
        return data

    def receive(self):
        """The next response's body (after its correlation id) as a stream."""
        (size,) = struct.unpack('>i', self._exactly(4))
        return io.BytesIO(self._exactly(size)[4:])

    def call(self, api_key, version, body):
        self.send(api_key, version, body)
        return self.receive()

    def send_flexible(self, api_key, version, body):
        """Sends `body` of a flexible version behind a request header v2."""
        self.correlation += 1
        frame = flexible_frame(api_key, version, self.correlation, self.client_id, body)
        self.sock.sendall(struct.pack('>i', len(frame)) + frame)

    def receive_flexible(self):
        """The next response's body after a response header v1 (correlation id, tags)."""
        r = self.receive()
        skip_tagged_fields(r)
        return r

    def call_flexible(self, api_key, version, body):
        self.send_flexible(api_key, version, body)
        return self.receive_flexible()

    def close(self):
        self.sock.close()
