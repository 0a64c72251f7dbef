#!/usr/bin/python3
# Drives confluent_kafka (librdkafka) against fake_broker.py and prints the request bodies it
# sent, for the codec tests' embedded bytes:
#
#   /usr/bin/python3 tests/tools/kafka_capture/capture_librdkafka.py SCENARIO
#
# SCENARIO: admin | range | roundrobin | cooperative-sticky | static
# Output: one line per request, "<api_key> <api_version> <body hex>".
import os
import subprocess
import sys
import tempfile
import time

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

HERE = os.path.dirname(os.path.abspath(__file__))
PORT = 19092 + os.getpid() % 1000
BOOT = '127.0.0.1:%d' % PORT


def admin():
    a = AdminClient({'bootstrap.servers': BOOT})
    fs = a.create_topics([NewTopic('t1', 3, 1, config={'cleanup.policy': 'compact'}),
                          NewTopic('t2', 2, replica_assignment=[[1], [1]])],
                         operation_timeout=5, validate_only=True)
    for f in fs.values():
        f.result()
    for f in a.delete_topics(['t1', 't2'], operation_timeout=5).values():
        f.result()
    rs = [ConfigResource(ConfigResource.Type.TOPIC, 't1'),
          ConfigResource(ConfigResource.Type.BROKER, '1')]
    for f in a.describe_configs(rs).values():
        f.result()
    a.list_groups(timeout=5)


def consume(strategy, instance=None):
    conf = {'bootstrap.servers': BOOT, 'group.id': 'g1', 'enable.auto.commit': False,
            'partition.assignment.strategy': strategy, 'client.id': 'cap'}
    if instance:
        conf['group.instance.id'] = instance
    c = Consumer(conf)
    assigned = []
    c.subscribe(['t1', 't2'], on_assign=lambda _c, ps: assigned.append(ps))
    deadline = time.time() + 10
    while not assigned and time.time() < deadline:
        c.poll(0.2)
    c.commit(offsets=[TopicPartition('t1', 0, 42)], asynchronous=False)
    c.committed([TopicPartition('t1', 0), TopicPartition('t2', 1)], timeout=5)
    if strategy == 'cooperative-sticky':
        # A second join reports the partitions owned after the first.
        c.subscribe(['t1'])
        deadline = time.time() + 3
        while time.time() < deadline:
            c.poll(0.2)
    c.close()


def main():
    scenario = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, 'frames')
        broker = subprocess.Popen([sys.executable, os.path.join(HERE, 'fake_broker.py'),
                                   str(PORT), log, 't1', 't2'])
        try:
            time.sleep(0.5)
            if scenario == 'admin':
                admin()
            elif scenario == 'static':
                consume('range', instance='inst-1')
            else:
                consume(scenario)
        finally:
            broker.terminate()
            broker.wait()
        with open(log) as f:
            sys.stdout.write(f.read())


if __name__ == '__main__':
    main()
