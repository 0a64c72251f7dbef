#!/usr/bin/python3
# Writes 3 records with an old CreateTime timestamp (1000 ms) to TOPIC with confluent-kafka
# (librdkafka), then reads them back from the beginning, and prints what the client saw:
# "delivered <timestamp type> <timestamp>" per delivery report, then
# "consumed <timestamp type> <timestamp>" per record (types: 1 CreateTime, 2 LogAppendTime).
# Used by tests/integration/topic_config_test.cpp; run with /usr/bin/python3.
#
#   /usr/bin/python3 append_time.py BOOTSTRAP TOPIC
import sys

from confluent_kafka import Consumer, Producer, TopicPartition

BOOT, TOPIC = sys.argv[1:3]
lines = []


def report(err, msg):
    if err is not None:
        lines.append('failed %s' % err)
    else:
        t, ts = msg.timestamp()
        lines.append('delivered %d %d' % (t, ts))


p = Producer({'bootstrap.servers': BOOT, 'acks': 'all'})
for i in range(3):
    p.produce(TOPIC, value=b'v%d' % i, timestamp=1000, on_delivery=report)
p.flush(30)
c = Consumer({'bootstrap.servers': BOOT, 'group.id': 'append-time',
              'enable.auto.commit': False})
c.assign([TopicPartition(TOPIC, 0, 0)])
got = 0
while got < 3:
    m = c.poll(10)
    if m is None:
        lines.append('timeout')
        break
    if m.error():
        continue
    t, ts = m.timestamp()
    lines.append('consumed %d %d' % (t, ts))
    got += 1
c.close()
print('\n'.join(lines))
