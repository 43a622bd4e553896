"""Looks up offsets by timestamp with confluent-kafka's Consumer.offsets_for_times (librdkafka,
ListOffsets). One lookup per --query PARTITION:TIMESTAMP (a partition may appear once per request).
Prints one line per query: {"partition", "timestamp", "offset"} (offset -1: no record at or after)."""
import argparse
from confluent_kafka import Consumer, TopicPartition
from common import emit, fail

ap = argparse.ArgumentParser()
ap.add_argument("--bootstrap", required=True)
ap.add_argument("--topic", required=True)
ap.add_argument("--query", action="append", required=True)
args = ap.parse_args()

c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "interop-offsets-for-times",
              "socket.connection.setup.timeout.ms": 3000})
for q in args.query:
    p, ts = (int(x) for x in q.split(":"))
    (res,) = c.offsets_for_times([TopicPartition(args.topic, p, ts)], timeout=10)
    if res.error is not None:
        fail("offsets_for_times %s: %s" % (q, res.error))
    emit({"partition": res.partition, "timestamp": ts, "offset": res.offset})
c.close()
