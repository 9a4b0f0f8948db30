"""kafka-python 2.0.2 group consumer for test/interop/groups-clients.test.ts.

argv[1] is JSON: {"bootstrap": "host:port", "topic": str, "group": str,
"records": int, "timeoutMs": int}. Subscribes with group_id (kafka-python's
defaults: auto-commit on, range assignor), polls until it has seen
`records` records or the time is up, commits what it consumed, reads the
committed offsets back from the coordinator and closes (LeaveGroup).
Prints one JSON object: {"consumed": [[partition, offset, value], ...],
"assignment": [...], "committed": {partition: offset}}. Client logs go to
stderr.
"""
import json
import logging
import sys
import time

from kafka import KafkaConsumer, TopicPartition

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

cfg = json.loads(sys.argv[1])
consumer = KafkaConsumer(
    cfg["topic"],
    bootstrap_servers=cfg["bootstrap"],
    group_id=cfg["group"],
    client_id="kafka-python-group",
    auto_offset_reset="earliest",
    session_timeout_ms=6000,
    heartbeat_interval_ms=500,
    request_timeout_ms=15000,
    api_version_auto_timeout_ms=10000,
)
consumed = []
deadline = time.time() + cfg["timeoutMs"] / 1000
while len(consumed) < cfg["records"] and time.time() < deadline:
    for tp, messages in consumer.poll(timeout_ms=200).items():
        consumed.extend([tp.partition, m.offset, m.value.decode()] for m in messages)
assignment = sorted(tp.partition for tp in consumer.assignment())
consumer.commit()
committed = {p: consumer.committed(TopicPartition(cfg["topic"], p)) for p in assignment}
consumer.close()
print(json.dumps({"consumed": consumed, "assignment": assignment, "committed": committed}))
