"""Shared command line and output format of the admin_*.py client drivers.

Run by tests/integration/kafka_admin_test.cpp with /usr/bin/python3 (Debian's Kafka clients):
  admin_<client>.py BOOTSTRAP create NAME PARTITIONS RF [--validate-only] [--timeout-ms N]
                                     [--config KEY=VALUE]... [--assign 1,2:2,1]
  admin_<client>.py BOOTSTRAP delete NAME... [--timeout-ms N]
  admin_<client>.py BOOTSTRAP describe-topic NAME [KEY...]
  admin_<client>.py BOOTSTRAP describe-broker ID [KEY...]
  admin_<client>.py BOOTSTRAP alter-topic NAME [KEY=VALUE...] [--validate-only]
                                     (AlterConfigs: the topic's overrides become these)
  admin_<client>.py BOOTSTRAP grow NAME COUNT [--validate-only]   (CreatePartitions)
Output, one line each:
  create / delete / alter-topic / grow:
                    <topic> <kafka error code> <error message or ->
  describe:         error <kafka error code> <error message or ->
                    <name>=<value> source=<n> read_only=<0|1> default=<0|1> [synonyms=<n>=<v>/<source>,...]
Exit status 0 unless the client itself failed (a Kafka error is output, not a failure).
"""

import argparse


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("bootstrap")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create")
    c.add_argument("name")
    c.add_argument("partitions", type=int)
    c.add_argument("rf", type=int)
    c.add_argument("--validate-only", action="store_true")
    c.add_argument("--timeout-ms", type=int, default=None)
    c.add_argument("--config", action="append", default=[])
    c.add_argument("--assign", default=None)
    d = sub.add_parser("delete")
    d.add_argument("names", nargs="+")
    d.add_argument("--timeout-ms", type=int, default=None)
    for name in ("describe-topic", "describe-broker"):
        s = sub.add_parser(name)
        s.add_argument("resource")
        s.add_argument("keys", nargs="*")
    a = sub.add_parser("alter-topic")
    a.add_argument("name")
    a.add_argument("configs", nargs="*")
    a.add_argument("--validate-only", action="store_true")
    g = sub.add_parser("grow")
    g.add_argument("name")
    g.add_argument("count", type=int)
    g.add_argument("--validate-only", action="store_true")
    via = sub.add_parser("describe-broker-via")  # kafka-python only: ask another broker
    via.add_argument("via", type=int)
    via.add_argument("resource")
    return p.parse_args()


def configs_of(args):
    return dict(kv.split("=", 1) for kv in args.config)


def pairs_of(items):
    return dict(kv.split("=", 1) for kv in items)


def assignment_of(args):
    """'1,2:2,1' -> [[1, 2], [2, 1]] (replicas per partition), or None."""
    if not args.assign:
        return None
    return [[int(b) for b in part.split(",")] for part in args.assign.split(":")]


def result_line(topic, code, message):
    print("{} {} {}".format(topic, code, message if message else "-"))


def config_line(name, value, source, read_only, is_default, synonyms=None):
    line = "{}={} source={} read_only={} default={}".format(
        name, value, int(source), int(bool(read_only)), int(bool(is_default)))
    if synonyms:
        line += " synonyms=" + ",".join(
            "{}={}/{}".format(n, v, int(s)) for n, v, s in synonyms)
    print(line)
