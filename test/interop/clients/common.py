"""Shared by the interop client scripts: the JSON shape of a record, the same in every script and in
the TypeScript tests: {"topic", "partition", "offset", "key", "value", "headers": [[k, v], ...],
"timestamp", "timestampType"}. Keys, values and header values are UTF-8 text or null."""
import json
import sys


def text(b):
    return None if b is None else b.decode("utf-8")


def raw(s):
    return None if s is None else s.encode("utf-8")


def emit(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def fail(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
    sys.exit(2)


def read_messages():
    """Messages to produce, one JSON object per stdin line:
    {"topic"?, "partition"?, "key"?, "value"?, "headers"?: [[k, v], ...], "timestamp"?}."""
    return [json.loads(line) for line in sys.stdin if line.strip()]
