"""A scriptable confluent-kafka (librdkafka) client for the exactly-once tests. Reads one JSON command
per stdin line and answers each with one JSON line on stdout: {"ok": true, ...} or {"ok": false,
"error": <KafkaError name>, "fatal": bool, "abortable": bool, "retriable": bool, "fenced": bool}.
The process stays up between commands, so a test can interleave two producers.

Commands ("op"):
  producer      {"transactional_id"?, "timeout_ms"?}  create the producer (idempotent when no id)
  init          init_transactions()
  begin         begin_transaction()
  produce       {"topic", "partition", "key"?, "value"}  produce; "flush": true waits for delivery
  flush         flush(); answers {"delivered": n, "failed": [error names]} since the last
                flush, commit or abort
  commit/abort  commit_transaction() / abort_transaction()
  consumer      {"group", "topic", "isolation"?}  subscribe and wait for an assignment
  consume       {"count"}  poll until `count` messages: answers {"messages": [{partition, offset, value}]}
  send_offsets  send_offsets_to_transaction(consumer position, consumer group metadata)
  exit
"""
import json
import sys
import time
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

bootstrap = sys.argv[1]
producer = None
consumer = None
delivered = 0
failed = []


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def error_reply(e):
    err = e.args[0] if e.args and isinstance(e.args[0], KafkaError) else None
    if err is None:
        return {"ok": False, "error": str(e), "fatal": False, "abortable": False, "retriable": False, "fenced": False}
    return {
        "ok": False,
        "error": err.name(),
        "fatal": err.fatal(),
        "abortable": err.txn_requires_abort(),
        "retriable": err.retriable(),
        "fenced": err.code() in (KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH),
        "message": err.str(),
    }


def on_delivery(err, msg):
    global delivered
    if err is None:
        delivered += 1
    else:
        failed.append(err.name())


def run(cmd):
    global producer, consumer, delivered, failed
    op = cmd["op"]
    if op == "producer":
        conf = {
            "bootstrap.servers": bootstrap,
            "linger.ms": 5,
            "socket.connection.setup.timeout.ms": 3000,
            "retry.backoff.ms": 50,
        }
        if cmd.get("transactional_id"):
            conf["transactional.id"] = cmd["transactional_id"]
            conf["transaction.timeout.ms"] = cmd.get("timeout_ms", 60000)
        else:
            conf["enable.idempotence"] = True
        producer = Producer(conf)
        return {"ok": True}
    if op == "init":
        producer.init_transactions(20)
        return {"ok": True}
    if op == "begin":
        producer.begin_transaction()
        return {"ok": True}
    if op == "produce":
        key = cmd.get("key")
        producer.produce(
            cmd["topic"],
            value=cmd["value"].encode(),
            key=None if key is None else key.encode(),
            partition=cmd.get("partition", -1),
            on_delivery=on_delivery,
        )
        producer.poll(0)
        if cmd.get("flush"):
            producer.flush(20)
        return {"ok": True}
    if op == "flush":
        left = producer.flush(20)
        reply = {"ok": left == 0 and not failed, "delivered": delivered, "failed": failed}
        if failed:
            reply["error"] = failed[0]
        delivered, failed = 0, []
        return reply
    if op == "commit":
        producer.commit_transaction(20)
        delivered, failed = 0, []
        return {"ok": True}
    if op == "abort":
        producer.abort_transaction(20)
        delivered, failed = 0, []
        return {"ok": True}
    if op == "consumer":
        consumer = Consumer({
            "bootstrap.servers": bootstrap,
            "group.id": cmd["group"],
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": cmd.get("isolation", "read_committed"),
            "session.timeout.ms": 6000,
            "fetch.wait.max.ms": 100,
            "socket.connection.setup.timeout.ms": 3000,
        })
        assigned = []
        consumer.subscribe([cmd["topic"]], on_assign=lambda c, ps: assigned.extend(ps))
        deadline = time.time() + 20
        while not assigned:
            if time.time() > deadline:
                return {"ok": False, "error": "no assignment"}
            consumer.poll(0.1)
        return {"ok": True, "partitions": sorted(p.partition for p in assigned)}
    if op == "consume":
        messages = []
        deadline = time.time() + 20
        while len(messages) < cmd["count"]:
            if time.time() > deadline:
                return {"ok": False, "error": "timeout", "messages": messages}
            msg = consumer.poll(0.1)
            if msg is None or msg.error():
                continue
            messages.append({"partition": msg.partition(), "offset": msg.offset(), "value": msg.value().decode()})
        return {"ok": True, "messages": messages}
    if op == "send_offsets":
        producer.send_offsets_to_transaction(
            consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 20
        )
        return {"ok": True}
    raise ValueError("unknown op %s" % op)


for line in sys.stdin:
    if not line.strip():
        continue
    cmd = json.loads(line)
    if cmd["op"] == "exit":
        break
    try:
        emit(run(cmd))
    except KafkaException as e:
        emit(error_reply(e))
    except Exception as e:  # noqa: BLE001 - every failure goes back to the test as a reply
        emit({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})
if consumer is not None:
    consumer.close()
