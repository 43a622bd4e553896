"""A consumer-group member with confluent-kafka (librdkafka): subscribes --topic in --group, commits
each record's offset synchronously and only then prints it, so every printed record is consumed and
committed exactly once. Prints JSON lines:
  {"event": "assigned", "partitions": [p, ...]}   on each (eager) assignment
  {"event": "revoked", "partitions": [p, ...]}
  {"event": "record", ...record (see common.py)}  after its commit succeeded
  {"event": "commit-failed", "partition", "offset", "error"}  (the record will go to its next owner)
  {"event": "closed"}                             after close() (LeaveGroup) when stdin closes."""
import argparse
import sys
import threading
from confluent_kafka import Consumer, KafkaException
from common import emit, fail, text

ap = argparse.ArgumentParser()
ap.add_argument("--bootstrap", required=True)
ap.add_argument("--group", required=True)
ap.add_argument("--topic", required=True)
ap.add_argument("--session-timeout-ms", type=int, default=6000)
args = ap.parse_args()

c = Consumer({
    "bootstrap.servers": args.bootstrap,
    "group.id": args.group,
    "client.id": "interop-ck-member",
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
    "session.timeout.ms": args.session_timeout_ms,
    "heartbeat.interval.ms": 300,
    "fetch.wait.max.ms": 100,
    "socket.connection.setup.timeout.ms": 3000,
    "topic.metadata.refresh.interval.ms": 1000,
    "reconnect.backoff.ms": 50,
    "reconnect.backoff.max.ms": 500,
})
stop = threading.Event()


def watch_stdin():
    for _ in sys.stdin:
        pass
    stop.set()


threading.Thread(target=watch_stdin, daemon=True).start()


def on_assign(consumer, partitions):
    emit({"event": "assigned", "partitions": sorted(p.partition for p in partitions)})


def on_revoke(consumer, partitions):
    emit({"event": "revoked", "partitions": sorted(p.partition for p in partitions)})


c.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke)
while not stop.is_set():
    msg = c.poll(0.1)
    if msg is None:
        continue
    if msg.error():
        fail("consume error: %s" % msg.error())
    try:
        c.commit(message=msg, asynchronous=False)
    except KafkaException as e:
        emit({"event": "commit-failed", "partition": msg.partition(), "offset": msg.offset(), "error": e.args[0].name()})
        continue
    ts_type, ts = msg.timestamp()
    emit({
        "event": "record",
        "topic": msg.topic(),
        "partition": msg.partition(),
        "offset": msg.offset(),
        "key": text(msg.key()),
        "value": text(msg.value()),
        "headers": [[hk, text(hv)] for hk, hv in (msg.headers() or [])],
        "timestamp": ts,
    })
c.close()
emit({"event": "closed"})
