"""The fault suite's consumer group member (python3-confluent-kafka).

argv[1] is JSON: {"bootstrap": "h:p,...", "topic": str, "group": str,
"stop_file": path}. Subscribes to the topic from the beginning with
auto-commit off, and after each polled batch commits, synchronously, the
next offset of every partition the batch held. Every commit is one JSON
line on stdout as its outcome arrives: {"partition", "offset", "outcome":
"ok"|"fail", "error"?}; the caller stamps the times. Stops once `stop_file`
exists, leaving the group. librdkafka's logs go to stderr.
"""
import json
import os
import sys

from confluent_kafka import Consumer, KafkaException, TopicPartition

cfg = json.loads(sys.argv[1])


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


consumer = Consumer({
    "bootstrap.servers": cfg["bootstrap"],
    "group.id": cfg["group"],
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
    "session.timeout.ms": 10000,
    "heartbeat.interval.ms": 1000,
    "topic.metadata.refresh.interval.ms": 1000,
    "error_cb": lambda err: sys.stderr.write(f"error_cb: {err}\n"),
})
consumer.subscribe([cfg["topic"]])

while not os.path.exists(cfg["stop_file"]):
    messages = consumer.consume(num_messages=500, timeout=0.5)
    next_offsets = {}
    for msg in messages:
        if msg.error() is None:
            next_offsets[msg.partition()] = msg.offset() + 1
    for partition, offset in sorted(next_offsets.items()):
        try:
            [result] = consumer.commit(offsets=[TopicPartition(cfg["topic"], partition, offset)], asynchronous=False)
            error = result.error
        except KafkaException as err:
            error = err
        if error is None:
            emit({"partition": partition, "offset": offset, "outcome": "ok"})
        else:
            emit({"partition": partition, "offset": offset, "outcome": "fail", "error": str(error)})

consumer.close()
