"""Produces the JSON-line messages on stdin with kafka-python, one at a time in input order, waiting
for each acknowledgement. Prints one line per message: {"i", "topic", "partition", "offset",
"timestamp"}."""
import argparse
from kafka import KafkaProducer
from common import emit, raw, read_messages

ap = argparse.ArgumentParser()
ap.add_argument("--bootstrap", required=True)
ap.add_argument("--topic", required=True)
ap.add_argument("--compression", default=None)
args = ap.parse_args()

p = KafkaProducer(bootstrap_servers=args.bootstrap, acks="all", compression_type=args.compression,
                  request_timeout_ms=10000, max_block_ms=10000)
for i, m in enumerate(read_messages()):
    md = p.send(
        m.get("topic", args.topic),
        key=raw(m.get("key")),
        value=raw(m.get("value")),
        headers=[(k, raw(v)) for k, v in m.get("headers", [])],
        partition=m.get("partition"),
        timestamp_ms=m.get("timestamp"),
    ).get(timeout=10)
    emit({"i": i, "topic": md.topic, "partition": md.partition, "offset": md.offset, "timestamp": md.timestamp})
p.close(5)
