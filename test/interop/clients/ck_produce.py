"""Produces the JSON-line messages on stdin with confluent-kafka (librdkafka), in input order, then
flushes. Prints one line per message in input order: {"i", "topic", "partition", "offset",
"timestamp"}; exits 1 if any delivery failed."""
import argparse
from confluent_kafka import Producer
from common import emit, fail, raw, read_messages

ap = argparse.ArgumentParser()
ap.add_argument("--bootstrap", required=True)
ap.add_argument("--topic", required=True)
ap.add_argument("--compression", default="none")
ap.add_argument("--acks", default="all")
ap.add_argument("--linger-ms", type=int, default=0)
args = ap.parse_args()

p = Producer({
    "bootstrap.servers": args.bootstrap,
    "acks": args.acks,
    "compression.type": args.compression,
    "linger.ms": args.linger_ms,
    "batch.num.messages": 100000,
    "message.timeout.ms": 20000,
    "socket.connection.setup.timeout.ms": 3000,
})
results = {}


def on_delivery(i):
    def cb(err, msg):
        if err is not None:
            results[i] = {"i": i, "error": err.name()}
        else:
            ts_type, ts = msg.timestamp()
            results[i] = {"i": i, "topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(), "timestamp": ts}
    return cb


messages = read_messages()
for i, m in enumerate(messages):
    kwargs = {"key": raw(m.get("key")), "value": raw(m.get("value")), "on_delivery": on_delivery(i)}
    if m.get("partition") is not None:
        kwargs["partition"] = m["partition"]
    if m.get("headers"):
        kwargs["headers"] = [(k, raw(v)) for k, v in m["headers"]]
    if m.get("timestamp") is not None:
        kwargs["timestamp"] = m["timestamp"]
    p.produce(m.get("topic", args.topic), **kwargs)
    p.poll(0)
left = p.flush(30)
if left:
    fail("%d messages not delivered" % left)
for i in range(len(messages)):
    emit(results[i])
if any("error" in r for r in results.values()):
    raise SystemExit(1)
