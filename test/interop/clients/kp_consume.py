"""Reads every partition of the given topics with kafka-python, by assignment (no group), from the
log start up to the high watermark found at start. Prints one JSON record per line (see common.py),
in partition order then offset order."""
import argparse
import time
from kafka import KafkaConsumer, TopicPartition
from common import emit, fail, text

ap = argparse.ArgumentParser()
ap.add_argument("--bootstrap", required=True)
ap.add_argument("--topic", action="append", required=True)
ap.add_argument("--timeout", type=float, default=20)
args = ap.parse_args()

c = KafkaConsumer(bootstrap_servers=args.bootstrap, group_id=None, enable_auto_commit=False,
                  fetch_max_wait_ms=100, request_timeout_ms=10000)
deadline = time.time() + args.timeout
tps = []
for topic in args.topic:
    parts = None
    while not parts:
        parts = c.partitions_for_topic(topic)
        if time.time() > deadline:
            fail("topic %s not in metadata" % topic)
        if not parts:
            time.sleep(0.1)
    tps += [TopicPartition(topic, p) for p in sorted(parts)]
c.assign(tps)
c.seek_to_beginning(*tps)
ends = c.end_offsets(tps)
starts = c.beginning_offsets(tps)
want = {tp: ends[tp] for tp in tps if ends[tp] > starts[tp]}
got = {tp: [] for tp in want}
done = set()
while len(done) < len(want):
    if time.time() > deadline:
        fail("timed out: %s" % {str(k): (len(got[k]), want[k]) for k in want})
    for tp, records in c.poll(timeout_ms=200).items():
        for r in records:
            got[tp].append({
                "topic": r.topic,
                "partition": r.partition,
                "offset": r.offset,
                "key": text(r.key),
                "value": text(r.value),
                "headers": [[hk, text(hv)] for hk, hv in (r.headers or [])],
                "timestamp": r.timestamp,
                "timestampType": "LogAppendTime" if r.timestamp_type == 1 else "CreateTime",
            })
            if r.offset >= want[tp] - 1:
                done.add(tp)
c.close(autocommit=False)
for tp in sorted(got, key=lambda tp: (tp.topic, tp.partition)):
    for r in got[tp]:
        emit(r)
