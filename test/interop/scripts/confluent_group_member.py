"""One confluent-kafka (librdkafka 2.0.2) group consumer, driven by test/interop/groups-confluent.test.ts.

argv[1] is JSON: {"bootstrap": "host:port", "group": str, "topic": str,
"name": str, "sessionTimeoutMs": int, "strategy": "range" |
"cooperative-sticky" | ..., "instanceId": str (optional: static membership)}. Subscribes to the topic, polls in batches and
commits each batch synchronously (auto-commit off). Prints JSON lines on
stdout, flushed at once:
  {"event": "assignment", "name", "partitions": [...]}   after every (incremental) assign or revoke
  {"event": "revoked", "name", "partitions": [...]}      the partitions taken away
  {"event": "committed", "name", "records": [[partition, offset, value], ...]}
      records whose offsets were committed successfully (nothing else is reported)
  {"event": "commit_failed", "name", "error": str}   (the batch is then read again
      where the partition is still assigned)
  {"event": "closed", "name"}
SIGTERM closes the consumer (LeaveGroup) and exits 0; SIGKILL leaves the
group to the broker's session timeout.
"""
import json
import signal
import sys

from confluent_kafka import Consumer, KafkaException, TopicPartition

cfg = json.loads(sys.argv[1])
name = cfg["name"]
stopping = False


def emit(event, **fields):
    print(json.dumps({"event": event, "name": name, **fields}), flush=True)


def on_term(signum, frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, on_term)

assigned = set()


def on_assign(consumer, partitions):
    assigned.update(p.partition for p in partitions)
    emit("assignment", partitions=sorted(assigned))


def on_revoke(consumer, partitions):
    revoked = {p.partition for p in partitions}
    assigned.difference_update(revoked)
    emit("revoked", partitions=sorted(revoked))
    emit("assignment", partitions=sorted(assigned))


def on_error(err):
    print(f"client error: {err}", file=sys.stderr, flush=True)


consumer = Consumer({
    "bootstrap.servers": cfg["bootstrap"],
    "group.id": cfg["group"],
    "client.id": name,
    "session.timeout.ms": cfg["sessionTimeoutMs"],
    "heartbeat.interval.ms": 300,
    "partition.assignment.strategy": cfg["strategy"],
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
    "topic.metadata.refresh.interval.ms": 1000,
    "socket.timeout.ms": 10000,
    "error_cb": on_error,
    **({"group.instance.id": cfg["instanceId"]} if cfg.get("instanceId") else {}),
})
consumer.subscribe([cfg["topic"]], on_assign=on_assign, on_revoke=on_revoke)

while not stopping:
    messages = consumer.consume(num_messages=200, timeout=0.2)
    batch = [m for m in messages if m.error() is None and m.partition() in assigned]
    if not batch:
        continue
    first, positions = {}, {}
    for m in batch:
        first.setdefault(m.partition(), m.offset())
        positions[m.partition()] = m.offset() + 1
    try:
        consumer.commit(offsets=[TopicPartition(cfg["topic"], p, o) for p, o in positions.items()], asynchronous=False)
    except KafkaException as err:
        emit("commit_failed", error=str(err))
        # Read the batch again where the partition stays ours, so nothing is skipped uncommitted.
        for p, o in first.items():
            if p in assigned:
                try:
                    consumer.seek(TopicPartition(cfg["topic"], p, o))
                except KafkaException:
                    pass
        continue
    emit("committed", records=[[m.partition(), m.offset(), m.value().decode()] for m in batch])

consumer.close()
emit("closed")
