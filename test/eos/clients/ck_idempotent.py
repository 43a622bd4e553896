"""Produces --count numbered messages ("<prefix>-<i>") to partition 0 with an idempotent librdkafka
producer (enable.idempotence=true: acks=all, at most 5 requests in flight, retries without limit)
and prints one line per acknowledged message: "ack <offset> <value>"; "error <name> <fatal>" for
every error callback; "done <undelivered>" after the final flush. --rate paces the sends, so
that a test can act while they are going on."""
import argparse
import sys
import time
from confluent_kafka import Producer

ap = argparse.ArgumentParser()
ap.add_argument("--bootstrap", required=True)
ap.add_argument("--topic", required=True)
ap.add_argument("--count", type=int, required=True)
ap.add_argument("--prefix", default="m")
ap.add_argument("--rate", type=float, default=0, help="messages per second (0: as fast as possible)")
args = ap.parse_args()


def on_error(err):
    sys.stdout.write("error %s %s\n" % (err.name(), err.fatal()))
    sys.stdout.flush()


p = Producer({
    "bootstrap.servers": args.bootstrap,
    "enable.idempotence": True,
    "linger.ms": 5,
    "message.timeout.ms": 600000,
    "retry.backoff.ms": 50,
    "reconnect.backoff.ms": 50,
    "reconnect.backoff.max.ms": 200,
    "socket.connection.setup.timeout.ms": 2000,
    "topic.metadata.refresh.interval.ms": 1000,
    "error_cb": on_error,
})
failed = []


def delivered(err, msg):
    if err is None:
        sys.stdout.write("ack %d %s\n" % (msg.offset(), msg.value().decode()))
    else:
        failed.append(err.name())
        sys.stdout.write("nack %s %s\n" % (msg.value().decode(), err.name()))


i = 0
start = time.time()
while i < args.count:
    if args.rate > 0 and i % 100 == 0:
        ahead = start + i / args.rate - time.time()
        if ahead > 0:
            p.poll(ahead)
    try:
        p.produce(args.topic, value=("%s-%d" % (args.prefix, i)).encode(), partition=0, on_delivery=delivered)
        i += 1
    except BufferError:
        p.poll(0.05)
    p.poll(0)
left = p.flush(600)
sys.stdout.write("done %d\n" % (left + len(failed)))
sys.stdout.flush()
