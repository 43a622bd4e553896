"""An AdminClient (confluent-kafka, librdkafka) serving one operation per stdin line and printing one
JSON result per operation, until stdin closes. Operations:
  {"op": "create", "topic", "partitions", "configs": {k: v}}   -> {"ok": true} | {"error": {...}}
  {"op": "describe", "topic"}                                  -> {"configs": {name: {"value", "source", "isDefault", "readOnly"}}}
  {"op": "alter", "topic", "configs": {k: v}}                  (AlterConfigs: replaces the topic's set)
  {"op": "partitions", "topic", "count"}
  {"op": "delete", "topic"}
  {"op": "metadata", "topic"}                                  -> {"partitions": n} | {"error": {...}}
Errors are {"name": KafkaError name, "code": numeric code}."""
import argparse
import json
import sys
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic
from common import emit

ap = argparse.ArgumentParser()
ap.add_argument("--bootstrap", required=True)
args = ap.parse_args()
admin = AdminClient({"bootstrap.servers": args.bootstrap, "socket.connection.setup.timeout.ms": 3000})
TIMEOUT = 10


def error_of(e):
    err = e.args[0] if isinstance(e, KafkaException) and e.args else None
    if err is None or not hasattr(err, "code"):
        return {"name": type(e).__name__, "code": None, "message": str(e)}
    return {"name": err.name(), "code": err.code(), "message": err.str()}


def one(futures):
    """The result of the only future in a create/delete/... result dict."""
    (f,) = futures.values()
    return f.result(timeout=TIMEOUT)


def run(op):
    kind = op["op"]
    if kind == "create":
        t = NewTopic(op["topic"], num_partitions=op["partitions"], replication_factor=op.get("replication", 1),
                     config=op.get("configs", {}))
        one(admin.create_topics([t], operation_timeout=TIMEOUT, request_timeout=TIMEOUT))
        return {"ok": True}
    if kind == "delete":
        one(admin.delete_topics([op["topic"]], operation_timeout=TIMEOUT, request_timeout=TIMEOUT))
        return {"ok": True}
    if kind == "partitions":
        one(admin.create_partitions([NewPartitions(op["topic"], op["count"])], operation_timeout=TIMEOUT, request_timeout=TIMEOUT))
        return {"ok": True}
    if kind == "describe":
        entries = one(admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, op["topic"])], request_timeout=TIMEOUT))
        return {"configs": {
            name: {"value": e.value, "source": e.source.name if hasattr(e.source, "name") else e.source,
                   "isDefault": e.is_default, "readOnly": e.is_read_only}
            for name, e in entries.items()
        }}
    if kind == "alter":
        one(admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, op["topic"], set_config=op["configs"])], request_timeout=TIMEOUT))
        return {"ok": True}
    if kind == "metadata":
        md = admin.list_topics(topic=op["topic"], timeout=TIMEOUT)
        t = md.topics[op["topic"]]
        if t.error is not None:
            return {"error": {"name": t.error.name(), "code": t.error.code(), "message": t.error.str()}}
        return {"partitions": len(t.partitions)}
    raise ValueError("unknown op %s" % kind)


for line in sys.stdin:
    if not line.strip():
        continue
    op = json.loads(line)
    try:
        emit(run(op))
    except Exception as e:  # reported to the test, which asserts on it
        emit({"error": error_of(e)})
