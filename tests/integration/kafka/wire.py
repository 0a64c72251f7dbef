"""Raw Kafka requests on one TCP connection, for the test scripts that send versions or sizes
kafka-python 2.0.2 cannot: request header v1 (non-flexible), response header v0, and the
primitive types of Kafka's schemas. Run with /usr/bin/python3.
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

    def close(self):
        self.sock.close()
