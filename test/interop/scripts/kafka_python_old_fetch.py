"""kafka-python 2.0.2 as an old client reading one partition, for
test/interop/fetch-down-conversion.test.ts: its api_version picks the Fetch
version (0.8.2 -> v0, 0.9 -> v1, 0.10.0 -> v2, 0.10.1 -> v3), so it reads
the message format the broker converts to (magic 0 for v0-1, 1 for v2-3)
and checks every message's CRC.

argv[1] is JSON: {"bootstrap": "host:port", "topic": str, "partition": int,
"apiVersion": [int, ...], "records": int, "timeoutMs": int}. Reads from the
beginning without a group until `records` records came. Prints one JSON
object: {"records": [[offset, key or null, value or null, timestamp,
timestamp_type], ...], "error": str or null}. Client logs go to stderr.
"""
import json
import logging
import sys
import time

from kafka import KafkaConsumer, TopicPartition

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

cfg = json.loads(sys.argv[1])
tp = TopicPartition(cfg["topic"], cfg["partition"])
consumer = KafkaConsumer(
    bootstrap_servers=cfg["bootstrap"],
    api_version=tuple(cfg["apiVersion"]),
    group_id=None,
    enable_auto_commit=False,
    check_crcs=True,
    fetch_max_wait_ms=100,
    request_timeout_ms=30000,
)
consumer.assign([tp])
consumer.seek_to_beginning(tp)
records = []
error = None
deadline = time.monotonic() + cfg["timeoutMs"] / 1000
try:
    while len(records) < cfg["records"] and time.monotonic() < deadline:
        for message in consumer.poll(timeout_ms=500).get(tp, []):
            text = lambda b: None if b is None else b.decode()
            records.append([message.offset, text(message.key), text(message.value), message.timestamp, message.timestamp_type])
except Exception as e:
    error = repr(e)
consumer.close()
print(json.dumps({"records": records, "error": error}))
