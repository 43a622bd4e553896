"""The real-client side of bench/broker: librdkafka through confluent_kafka (Debian's python3-confluent-kafka,
so run it with /usr/bin/python3). One process serves one JSON command per stdin line and answers each
with one JSON line on stdout; it exits when stdin closes (so it cannot outlive the benchmark).

Commands:
  {"op": "produce", "topic", "partitions", "count", "size"}
      produces `count` messages of `size` random bytes (null key), partition i % partitions, and
      waits for every delivery report. -> {"ms", "msgs", "errors"}; ms from the first produce() call
      to the end of flush().
  {"op": "consume", "topic", "partitions", "count"}
      assigns every partition from offset 0 and polls until `count` messages arrived.
      -> {"ms", "msgs", "bytes"} (bytes: values), ms from assign() to the last message.
  {"op": "latency", "topic", "partitions", "rate", "seconds", "size"}
      a consumer assigned at the end of the log (long-polling) and a producer sending `rate`
      messages per second for `seconds`, each carrying its send time; the consumer notes the
      receive time of each. -> {"latenciesMs": [...], "sent", "received"}; one clock
      (time.perf_counter) on both sides.
Producer and consumer are created once (first use) and reused, so connections and metadata are
warm for every measured command after the first.
"""
import json
import os
import struct
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition, OFFSET_END

bootstrap = sys.argv[1]
# Settings given as JSON in argv[2]: {"producer": {...}, "consumer": {...}}.
settings = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}

_producer = None
_consumer = None


def producer():
    global _producer
    if _producer is None:
        conf = {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "socket.nagle.disable": True,
        }
        conf.update(settings.get("producer", {}))
        _producer = Producer(conf)
    return _producer


def consumer():
    global _consumer
    if _consumer is None:
        conf = {
            "bootstrap.servers": bootstrap,
            "group.id": "riffle-bench",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            "socket.nagle.disable": True,
        }
        conf.update(settings.get("consumer", {}))
        _consumer = Consumer(conf)
    return _consumer


def produce(cmd):
    p = producer()
    topic, partitions, count = cmd["topic"], cmd["partitions"], cmd["count"]
    value = os.urandom(cmd["size"])
    errors = [0]

    def on_delivery(err, _msg):
        if err is not None:
            errors[0] += 1

    start = time.perf_counter()
    for i in range(count):
        while True:
            try:
                p.produce(topic, value=value, partition=i % partitions, on_delivery=on_delivery)
                break
            except BufferError:  # local queue full: serve delivery reports, then retry
                p.poll(0.001)
    left = p.flush(120)
    ms = (time.perf_counter() - start) * 1000
    return {"ms": ms, "msgs": count, "errors": errors[0] + left}


def consume(cmd):
    c = consumer()
    topic, partitions, count = cmd["topic"], cmd["partitions"], cmd["count"]
    got = 0
    nbytes = 0
    start = time.perf_counter()
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    while got < count:
        for m in c.consume(num_messages=min(10000, count - got), timeout=1.0):
            if m.error():
                raise KafkaException(m.error())
            got += 1
            nbytes += len(m.value())
    ms = (time.perf_counter() - start) * 1000
    c.unassign()
    return {"ms": ms, "msgs": got, "bytes": nbytes}


def latency(cmd):
    p = producer()
    c = consumer()
    topic, partitions = cmd["topic"], cmd["partitions"]
    rate, seconds, size = cmd["rate"], cmd["seconds"], cmd["size"]
    total = int(rate * seconds)
    pad = os.urandom(max(0, size - 8))
    c.assign([TopicPartition(topic, p, OFFSET_END) for p in range(partitions)])
    # Let the assignment take effect (the consumer resolves OFFSET_END and starts long-polling)
    # before the first message is sent, so no message is read by an offset reset.
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        c.poll(0.05)
        positions = c.position([TopicPartition(topic, p) for p in range(partitions)])
        if all(tp.offset >= 0 for tp in positions):
            break
    latencies = []
    done = threading.Event()

    def consume_loop():
        while len(latencies) < total and not done.is_set():
            # poll(), not consume(n): consume waits for n messages or its whole timeout.
            m = c.poll(0.1)
            now = time.perf_counter()
            if m is None or m.error():
                continue
            (sent,) = struct.unpack_from("<d", m.value(), 0)
            latencies.append((now - sent) * 1000)

    t = threading.Thread(target=consume_loop)
    t.start()
    start = time.perf_counter()
    for i in range(total):
        due = start + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        p.produce(topic, value=struct.pack("<d", time.perf_counter()) + pad, partition=i % partitions)
        p.poll(0)
    p.flush(30)
    t.join(timeout=30)
    done.set()
    t.join()
    c.unassign()
    return {"latenciesMs": latencies, "sent": total, "received": len(latencies)}


OPS = {"produce": produce, "consume": consume, "latency": latency}

for line in sys.stdin:
    if not line.strip():
        continue
    cmd = json.loads(line)
    try:
        result = OPS[cmd["op"]](cmd)
    except Exception as e:  # reported to the benchmark, which fails the case
        result = {"error": "%s: %s" % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
for client in (_producer,):
    if client is not None:
        client.flush(10)
if _consumer is not None:
    _consumer.close()
