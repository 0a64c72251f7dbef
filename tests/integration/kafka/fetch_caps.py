#!/usr/bin/python3
# Fetches over the parked-fetch caps, for tests/integration/kafka_fetch_caps_test.cpp, against
# a node with [limits] max-parked-fetches-per-connection=2 and
# max-parked-fetches-per-partition=1 and a topic of 5 empty partitions. Fetch v4 requests are
# sent by hand (wire.py) with kafka-python's encoders; records are produced with
# kafka-python's producer (acks=all).
#
#   /usr/bin/python3 fetch_caps.py BOOTSTRAP TOPIC NODE_LOG
#
# 1. One connection fetches all 5 partitions (max_wait 500 ms, min_bytes 1): more than its 2
#    may park. Prints "over-connection <records per partition>" once it is answered; then a
#    record is produced to partition 3 and the same fetch prints "after-produce ...".
# 2. Two connections each long-poll partition 4 (max_wait 10 s): one is parked, the replica
#    refuses to park the other. Once NODE_LOG shows the refusal, a record is produced to
#    partition 4, and both print "partition-cap <records per partition>".
import sys
import threading
import time

from kafka import KafkaProducer
from kafka.protocol.fetch import FetchRequest, FetchResponse
from kafka.record.memory_records import MemoryRecords

from wire import Connection

BOOT, TOPIC, NODE_LOG = sys.argv[1], sys.argv[2], sys.argv[3]


def fetch(conn, offsets, max_wait_ms):
    """Fetch v4 of {partition: offset}; returns [(partition, error, [values])]."""
    parts = [(p, off, 1 << 20) for p, off in sorted(offsets.items())]
    req = FetchRequest[4](replica_id=-1, max_wait_time=max_wait_ms, min_bytes=1,
                          max_bytes=50 << 20, isolation_level=0, topics=[(TOPIC, parts)])
    resp = FetchResponse[4].decode(conn.call(req.API_KEY, 4, req.encode()))
    out = []
    for _topic, partitions in resp.topics:
        for p, error, _hw, _lso, _aborted, records in partitions:
            values = []
            batches = MemoryRecords(records or b'')
            while batches.has_next():
                for rec in batches.next_batch():
                    values.append(rec.value.decode())
            out.append((p, error, values))
    return out


def show(label, result):
    print(label, ' '.join('%d:%d:%s' % (p, e, ','.join(v)) for p, e, v in result), flush=True)


def wait_for_log(text, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with open(NODE_LOG, errors='replace') as f:
            if text in f.read():
                return True
        time.sleep(0.05)
    return False


producer = KafkaProducer(bootstrap_servers=[BOOT], acks='all', request_timeout_ms=20000)

# 1. Over the connection's cap.
a = Connection(BOOT, 'over-connection')
all_five = {p: 0 for p in range(5)}
show('over-connection', fetch(a, all_five, 500))
producer.send(TOPIC, value=b'r3', partition=3).get(timeout=30)
show('after-produce', fetch(a, all_five, 500))

# 2. Over the partition's cap: two long polls of partition 4 on two connections.
results = {}


def poll(name):
    results[name] = fetch(Connection(BOOT, name), {4: 0}, 10000)


threads = [threading.Thread(target=poll, args=(n,)) for n in ('b', 'c')]
for t in threads:
    t.start()
print('refusal-logged', wait_for_log('max-parked-fetches-per-partition', 30), flush=True)
producer.send(TOPIC, value=b'r4', partition=4).get(timeout=30)
for t in threads:
    t.join(60)
for n in ('b', 'c'):
    show('partition-cap', results.get(n, []))
producer.close()
