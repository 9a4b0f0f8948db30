"""The fault suite's live reader (python3-confluent-kafka).

argv[1] is JSON: {"bootstrap": "h:p,...", "topic": str, "partitions": int,
"isolation": "read_committed"|"read_uncommitted", "stop_file": path}.
Reads every partition of the topic from its start with that isolation
level, no group (assigned, nothing committed), and prints each record as
one JSON line {"partition", "offset", "value"} as it reads it, until
`stop_file` exists. The caller stamps the times. librdkafka's logs go to
stderr.
"""
import json
import os
import sys

from confluent_kafka import Consumer, TopicPartition

cfg = json.loads(sys.argv[1])
consumer = Consumer({
    "bootstrap.servers": cfg["bootstrap"],
    "group.id": f"kb-chaos-reader-{cfg['isolation']}",
    "isolation.level": cfg["isolation"],
    "enable.auto.commit": False,
    "topic.metadata.refresh.interval.ms": 1000,
    "error_cb": lambda err: sys.stderr.write(f"error_cb: {err}\n"),
})
consumer.assign([TopicPartition(cfg["topic"], p, 0) for p in range(cfg["partitions"])])

while not os.path.exists(cfg["stop_file"]):
    for msg in consumer.consume(num_messages=500, timeout=0.5):
        if msg.error() is None:
            value = None if msg.value() is None else msg.value().decode(errors="replace")
            sys.stdout.write(json.dumps({"partition": msg.partition(), "offset": msg.offset(), "value": value}) + "\n")
        else:
            sys.stderr.write(f"consume error: {msg.error()}\n")
    sys.stdout.flush()

consumer.close()
