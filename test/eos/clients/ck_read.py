"""Reads every partition of a topic with confluent-kafka (librdkafka) by assignment, from the start to
the end of each partition as the given isolation level sees it (the last stable offset for
read_committed, the high watermark for read_uncommitted), and prints one JSON line per record:
{"partition", "offset", "value"}, in partition order then offset order."""
import argparse
import json
import sys
import time
from confluent_kafka import Consumer, KafkaError, TopicPartition, OFFSET_BEGINNING

ap = argparse.ArgumentParser()
ap.add_argument("--bootstrap", required=True)
ap.add_argument("--topic", required=True)
ap.add_argument("--isolation", default="read_committed")
ap.add_argument("--timeout", type=float, default=20)
args = ap.parse_args()

c = Consumer({
    "bootstrap.servers": args.bootstrap,
    "group.id": "eos-reader",
    "enable.auto.commit": False,
    "enable.partition.eof": True,
    "isolation.level": args.isolation,
    "fetch.wait.max.ms": 100,
    "socket.connection.setup.timeout.ms": 3000,
})
md = c.list_topics(args.topic, timeout=10)
partitions = sorted(md.topics[args.topic].partitions)
c.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in partitions])
got = {p: [] for p in partitions}
eof = set()
deadline = time.time() + args.timeout
while len(eof) < len(partitions):
    if time.time() > deadline:
        sys.stderr.write("timed out; at end of %s\n" % sorted(eof))
        sys.exit(2)
    msg = c.poll(0.1)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() == KafkaError._PARTITION_EOF:
            eof.add(msg.partition())
            continue
        sys.stderr.write("consume error: %s\n" % msg.error())
        sys.exit(2)
    got[msg.partition()].append({"partition": msg.partition(), "offset": msg.offset(), "value": msg.value().decode()})
c.close()
for p in partitions:
    for r in got[p]:
        sys.stdout.write(json.dumps(r) + "\n")
