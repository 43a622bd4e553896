"""Reads every partition of the given topics with confluent-kafka (librdkafka), by assignment (no
group), from the log start up to the high watermark found at start. Prints one JSON record per line
(see common.py), in partition order then offset order."""
import argparse
import time
from confluent_kafka import Consumer, TopicPartition, TIMESTAMP_LOG_APPEND_TIME
from common import emit, fail, text

ap = argparse.ArgumentParser()
ap.add_argument("--bootstrap", required=True)
ap.add_argument("--topic", action="append", required=True)
ap.add_argument("--timeout", type=float, default=20)
args = ap.parse_args()

c = Consumer({
    "bootstrap.servers": args.bootstrap,
    "group.id": "interop-assign-only",
    "enable.auto.commit": False,
    "enable.partition.eof": False,
    "fetch.wait.max.ms": 100,
    "socket.connection.setup.timeout.ms": 3000,
})
deadline = time.time() + args.timeout
md = c.list_topics(timeout=10)
want = {}  # (topic, partition) -> high watermark
assignment = []
for topic in args.topic:
    if topic not in md.topics or md.topics[topic].error is not None:
        fail("topic %s not in metadata: %s" % (topic, md.topics.get(topic)))
    for p in sorted(md.topics[topic].partitions):
        low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        if high > low:
            want[(topic, p)] = high
            assignment.append(TopicPartition(topic, p, low))
c.assign(assignment)
got = {k: [] for k in want}
done = set()
while len(done) < len(want):
    if time.time() > deadline:
        fail("timed out: %s" % {k: (len(got[k]), want[k]) for k in want})
    msg = c.poll(0.2)
    if msg is None:
        continue
    if msg.error():
        fail("consume error: %s" % msg.error())
    k = (msg.topic(), msg.partition())
    ts_type, ts = msg.timestamp()
    got[k].append({
        "topic": msg.topic(),
        "partition": msg.partition(),
        "offset": msg.offset(),
        "key": text(msg.key()),
        "value": text(msg.value()),
        "headers": [[hk, text(hv)] for hk, hv in (msg.headers() or [])],
        "timestamp": ts,
        "timestampType": "LogAppendTime" if ts_type == TIMESTAMP_LOG_APPEND_TIME else "CreateTime",
    })
    if msg.offset() >= want[k] - 1:
        done.add(k)
c.close()
for k in sorted(got):
    for r in got[k]:
        emit(r)
