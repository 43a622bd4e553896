"""Produces numbered messages with librdkafka (confluent-kafka), acks=all, and prints one line
per acknowledged message: "ack <partition> <offset> <value>". Runs until killed or --count is reached."""
import sys
import argparse
from confluent_kafka import Producer

ap = argparse.ArgumentParser()
ap.add_argument("--bootstrap", required=True)
ap.add_argument("--topic", required=True)
ap.add_argument("--prefix", default="m")
ap.add_argument("--count", type=int, default=0)
ap.add_argument("--idempotent", action="store_true")
args = ap.parse_args()

conf = {
    "bootstrap.servers": args.bootstrap,
    "acks": "all",
    "linger.ms": 5,
    "message.timeout.ms": 600000,
    "retry.backoff.ms": 50,
    "reconnect.backoff.ms": 50,
    "reconnect.backoff.max.ms": 200,
    "socket.connection.setup.timeout.ms": 2000,
    "topic.metadata.refresh.interval.ms": 1000,
}
if args.idempotent:
    conf["enable.idempotence"] = True
p = Producer(conf)


def delivered(err, msg):
    if err is None:
        sys.stdout.write("ack %d %d %s\n" % (msg.partition(), msg.offset(), msg.value().decode()))
        sys.stdout.flush()


i = 0
while args.count == 0 or i < args.count:
    try:
        p.produce(args.topic, value=("%s-%d" % (args.prefix, i)).encode(), key=str(i % 7).encode(), on_delivery=delivered)
        i += 1
    except BufferError:
        p.poll(0.05)
    p.poll(0)
p.flush(600)
