#!/usr/bin/python3
# Kafka clients over a SASL listener (SASL_SSL or SASL_PLAINTEXT), for
# tests/integration/kafka_sasl_test.cpp. Run with /usr/bin/python3.
#
#   roundtrip: writes records "<prefix>-<i>" (i in [0, count)) with kafka-python or
#     confluent-kafka (acks=all), reads them back in consumer group --group, prints each
#     value read, one a line; exits 0 once all were acknowledged and read.
#   raw: SaslHandshake v1 and SaslAuthenticate v1 by hand (PLAIN), printing
#     "handshake <error> <mechanisms>", "authenticate <error> <message>", then "closed" if the
#     broker closed the connection or "open" if it answered a Metadata request.
#   acls: kafka-python's admin client: creates an ACL, describes it, deletes it, printing
#     what each step returned.
# A Kafka error a client reports is printed as "error <NAME>" (Kafka's name, e.g.
# TOPIC_AUTHORIZATION_FAILED) with exit code 2; anything else goes to stderr with exit 1.
import argparse
import io
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import wire  # noqa: E402


class KafkaFailure(Exception):
    def __init__(self, name):
        super().__init__(name)
        self.name = name


def kafka_python_conf(args):
    conf = {"bootstrap_servers": args.bootstrap.split(","),
            "security_protocol": args.protocol, "sasl_mechanism": args.mechanism,
            "sasl_plain_username": args.user, "sasl_plain_password": args.password}
    if args.protocol == "SASL_SSL":
        conf.update(ssl_cafile=args.ca, ssl_check_hostname=True)
    return conf


def kafka_python_error(e):
    from kafka.errors import KafkaError
    if isinstance(e, type):  # the admin client reports error classes
        e = e()
    if isinstance(e, KafkaError) and getattr(e, "errno", None) is not None:
        return KafkaFailure(e.message)  # Kafka's name, e.g. TOPIC_AUTHORIZATION_FAILED
    return e


def with_kafka_python(args):
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.errors import KafkaError
    try:
        producer = KafkaProducer(acks="all", retries=2, request_timeout_ms=20000,
                                 max_block_ms=20000, **kafka_python_conf(args))
        futures = [producer.send(args.topic, value=("%s-%d" % (args.prefix, i)).encode())
                   for i in range(args.count)]
        producer.flush(timeout=30)
        failed = [f.exception for f in futures if not f.succeeded()]
        producer.close()
        if failed:
            raise failed[0]
        consumer = KafkaConsumer(args.topic, group_id=args.group, auto_offset_reset="earliest",
                                 enable_auto_commit=False, consumer_timeout_ms=20000,
                                 **kafka_python_conf(args))
        values = []
        for msg in consumer:
            values.append(msg.value.decode())
            if len(values) == args.count:
                break
        consumer.commit()
        consumer.close()
        return values
    except KafkaError as e:
        raise kafka_python_error(e)


def confluent_conf(args):
    conf = {"bootstrap.servers": args.bootstrap, "security.protocol": args.protocol,
            "sasl.mechanisms": args.mechanism, "sasl.username": args.user,
            "sasl.password": args.password}
    if args.protocol == "SASL_SSL":
        conf.update({"ssl.ca.location": args.ca,
                     "ssl.endpoint.identification.algorithm": "https"})
    return conf


def with_confluent(args):
    from confluent_kafka import Consumer, Producer
    errors = []

    def on_error(err):
        errors.append(err)

    producer = Producer(dict(confluent_conf(args), **{"acks": "all",
                                                     "message.timeout.ms": 20000,
                                                     "error_cb": on_error}))

    def report(err, msg):
        if err is not None:
            errors.append(err)

    for i in range(args.count):
        producer.produce(args.topic, value=("%s-%d" % (args.prefix, i)).encode(),
                         on_delivery=report)
    left = producer.flush(30)
    if errors:  # the first: later ones are what followed from it (e.g. timeouts)
        raise KafkaFailure(errors[0].name())
    if left != 0:
        raise RuntimeError("not acknowledged: timeout")
    consumer = Consumer(dict(confluent_conf(args), **{"group.id": args.group,
                                                     "auto.offset.reset": "earliest",
                                                     "enable.auto.commit": False,
                                                     "error_cb": on_error}))
    consumer.subscribe([args.topic])
    values = []
    deadline = time.monotonic() + 30
    while len(values) < args.count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if errors:
            raise KafkaFailure(errors[0].name())
        if msg is None:
            continue
        if msg.error():
            raise KafkaFailure(msg.error().name())
        values.append(msg.value().decode())
    consumer.close()
    return values


def connect(args):
    host, port = args.bootstrap.split(",")[0].split(":")
    sock = socket.create_connection((host, int(port)), timeout=20)
    if args.protocol == "SASL_SSL":
        ctx = ssl.create_default_context(cafile=args.ca)
        sock = ctx.wrap_socket(sock, server_hostname=host)
    conn = wire.Connection.__new__(wire.Connection)
    conn.sock, conn.client_id, conn.correlation = sock, "raw", 0
    return conn


def raw(args):
    conn = connect(args)
    r = conn.call(17, 1, wire.string(args.mechanism))
    (code,) = wire.read(r, ">h")
    (n,) = wire.read(r, ">i")
    mechanisms = [wire.read_string(r) for _ in range(n)]
    print("handshake %d %s" % (code, ",".join(mechanisms)))
    if code != 0:
        return
    token = ("\0%s\0%s" % (args.user, args.password)).encode()
    r = conn.call(36, 1, struct.pack(">i", len(token)) + token)
    (code,) = wire.read(r, ">h")
    message = wire.read_string(r)
    print("authenticate %d %s" % (code, message))
    try:
        conn.call(3, 1, struct.pack(">i", -1))  # Metadata v1, every topic
        print("open")
    except (EOFError, ConnectionResetError, ssl.SSLError):
        print("closed")


def stall(args):
    """Connects, asks for the API versions, then authenticates no further: prints "closed"
    once the node closes the connection (within 30 s), "open" if it does not."""
    conn = connect(args)
    conn.call(18, 0, b"")
    print("versions")
    conn.sock.settimeout(30)
    try:
        data = conn.sock.recv(1)
        print("closed" if not data else "unexpected data")
    except socket.timeout:
        print("open")
    except (ConnectionResetError, ssl.SSLError):
        print("closed")


def acls(args):
    from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType,
                             KafkaAdminClient, ResourcePattern, ResourcePatternFilter,
                             ResourceType, ACLResourcePatternType)
    admin = KafkaAdminClient(request_timeout_ms=20000, **kafka_python_conf(args))
    acl = ACL(principal="User:" + args.grantee, host="*", operation=ACLOperation.READ,
              permission_type=ACLPermissionType.ALLOW,
              resource_pattern=ResourcePattern(ResourceType.TOPIC, args.topic,
                                               ACLResourcePatternType.LITERAL))
    created = admin.create_acls([acl])
    if created["failed"]:
        raise kafka_python_error(created["failed"][0][1])
    print("created %d" % len(created["succeeded"]))
    flt = ACLFilter(principal=None, host="*", operation=ACLOperation.ANY,
                    permission_type=ACLPermissionType.ANY,
                    resource_pattern=ResourcePatternFilter(ResourceType.TOPIC, args.topic,
                                                           ACLResourcePatternType.LITERAL))
    found, err = admin.describe_acls(flt)
    for a in found:
        print("found %s %s %s" % (a.principal, a.operation.name, a.permission_type.name))
    deleted = admin.delete_acls([flt])
    for _, matched, err in deleted:
        print("deleted %d" % len(matched))
    admin.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["roundtrip", "raw", "acls", "stall"])
    p.add_argument("--client", choices=["kafka-python", "confluent"], default="confluent")
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--protocol", choices=["SASL_SSL", "SASL_PLAINTEXT"], required=True)
    p.add_argument("--mechanism", default="SCRAM-SHA-512")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--ca")
    p.add_argument("--topic", default="t")
    p.add_argument("--group", default="g")
    p.add_argument("--grantee", default="bob")
    p.add_argument("--prefix", default="v")
    p.add_argument("--count", type=int, default=20)
    args = p.parse_args()
    try:
        if args.mode == "raw":
            raw(args)
            return 0
        if args.mode == "acls":
            acls(args)
            return 0
        if args.mode == "stall":
            stall(args)
            return 0
        run = with_kafka_python if args.client == "kafka-python" else with_confluent
        values = run(args)
    except KafkaFailure as e:
        print("error %s" % e.name)
        return 2
    except Exception as e:  # one line for the test's message
        print("%s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    for v in values:
        print(v)
    if len(values) != args.count:
        print("read %d of %d records" % (len(values), args.count), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
