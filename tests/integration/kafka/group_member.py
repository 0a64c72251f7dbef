#!/usr/bin/python3
# One consumer-group member on a Kafka client, for tests/integration/kafka_groups_test.cpp:
# it subscribes to TOPIC in GROUP, processes records and commits after every batch, and
# appends events in the group_consumer example's format (tests/integration/member_process.cpp
# reads them): "<unix ms> <pid> assigned|revoked <topic> <partition> [lost]" and
# "<unix ms> <pid> record <topic> <partition> <offset> <value>". SIGTERM: close (LeaveGroup).
#
#   /usr/bin/python3 group_member.py CLIENT BOOTSTRAP TOPIC GROUP EVENTS [STRATEGY [SESSION_MS]]
#
# CLIENT: kafka-python (eager, range) | confluent (librdkafka; STRATEGY range or
# cooperative-sticky). Session timeout SESSION_MS (6000), heartbeats every 500 ms. librdkafka logs to
# EVENTS.log; CAFKA_TEST_RDKAFKA_DEBUG=fetch,cgrp (librdkafka's debug contexts) adds more.
import logging
import os
import signal
import sys
import time

CLIENT, BOOT, TOPIC, GROUP, EVENTS = sys.argv[1:6]
STRATEGY = sys.argv[6] if len(sys.argv) > 6 else 'range'
SESSION_MS = int(sys.argv[7]) if len(sys.argv) > 7 else 6000
LOG = open(EVENTS, 'a', buffering=1)
PID = os.getpid()
STOP = []


def event(what, topic, partition, rest=''):
    LOG.write('%d %d %s %s %d%s\n' % (int(time.time() * 1000), PID, what, topic, partition,
                                      (' ' + rest) if rest else ''))


def value_text(v):
    return v.decode('utf-8', 'replace').replace(' ', '_') if v else '-'


def run_kafka_python():
    from kafka import KafkaConsumer, ConsumerRebalanceListener, OffsetAndMetadata

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            for tp in revoked:
                event('revoked', tp.topic, tp.partition)

        def on_partitions_assigned(self, assigned):
            for tp in assigned:
                event('assigned', tp.topic, tp.partition)

    c = KafkaConsumer(bootstrap_servers=BOOT, group_id=GROUP, client_id='kafka-python-member',
                      enable_auto_commit=False, auto_offset_reset='earliest',
                      session_timeout_ms=SESSION_MS, heartbeat_interval_ms=500,
                      max_poll_records=200)
    c.subscribe([TOPIC], listener=Listener())
    while not STOP:
        batches = c.poll(timeout_ms=200)
        offsets = {}
        for tp, records in batches.items():
            for r in records:
                event('record', tp.topic, tp.partition, '%d %s' % (r.offset, value_text(r.value)))
            offsets[tp] = OffsetAndMetadata(records[-1].offset + 1, '')
        if offsets:
            try:
                c.commit(offsets)
            except Exception as e:  # a rebalance moved them: the next owner reads again
                sys.stderr.write('commit failed: %r\n' % (e,))
    c.close()


def run_confluent():
    from confluent_kafka import Consumer, TopicPartition

    def on_assign(_c, ps):
        for p in ps:
            event('assigned', p.topic, p.partition)

    def on_revoke(_c, ps):
        for p in ps:
            event('revoked', p.topic, p.partition)

    def on_lost(_c, ps):
        for p in ps:
            event('revoked', p.topic, p.partition, 'lost')

    conf = {'bootstrap.servers': BOOT, 'group.id': GROUP,
            'client.id': 'confluent-' + STRATEGY,
            'partition.assignment.strategy': STRATEGY,
            'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
            'session.timeout.ms': SESSION_MS, 'heartbeat.interval.ms': 500}
    # librdkafka's log (warnings, or the contexts CAFKA_TEST_RDKAFKA_DEBUG names) beside
    # the events file.
    log = logging.getLogger('rdkafka')
    log.addHandler(logging.FileHandler(EVENTS + '.log'))
    log.setLevel(logging.DEBUG)
    if os.environ.get('CAFKA_TEST_RDKAFKA_DEBUG'):
        conf['debug'] = os.environ['CAFKA_TEST_RDKAFKA_DEBUG']
    c = Consumer(conf, logger=log)
    c.subscribe([TOPIC], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    while not STOP:
        msgs = c.consume(num_messages=200, timeout=0.2)
        offsets = {}
        for m in msgs:
            if m.error():
                continue
            event('record', m.topic(), m.partition(), '%d %s' % (m.offset(), value_text(m.value())))
            offsets[(m.topic(), m.partition())] = m.offset() + 1
        if offsets:
            try:
                c.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                         asynchronous=False)
            except Exception as e:
                sys.stderr.write('commit failed: %r\n' % (e,))
    c.close()


signal.signal(signal.SIGTERM, lambda *_: STOP.append(True))
if CLIENT == 'kafka-python':
    run_kafka_python()
else:
    run_confluent()
