"""A steady idempotent librdkafka producer for the cluster failover tests.

argv[1] is JSON: {"bootstrap": "h:p,...", "topic": str, "rate": records/s,
"stop_file": path}. Produces values "r<N>" (N = 0, 1, ...) with
enable.idempotence=true and acks=all (librdkafka's idempotent defaults),
no key (the sticky partitioner spreads them), at about `rate` records/s
until `stop_file` exists, then flushes (up to 60 s). Every delivery report
is collected. Prints one JSON object: {"acked": [[value, partition,
offset, ms], ...] (ms: when the delivery report came, on the monotonic
clock), "failed": [[value, error], ...], "undelivered": int,
"errors": [...]}; librdkafka's logs go to stderr.
"""
import json
import os
import sys
import time

from confluent_kafka import Producer

cfg = json.loads(sys.argv[1])
acked = []
failed = []
errors = []


def on_error(err):
    errors.append(str(err))


def on_delivery(err, msg):
    value = msg.value().decode()
    if err is None:
        acked.append([value, msg.partition(), msg.offset(), time.monotonic() * 1000])
    else:
        failed.append([value, str(err)])


producer = Producer({
    "bootstrap.servers": cfg["bootstrap"],
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 5,
    "message.timeout.ms": 120000,
    "topic.metadata.refresh.interval.ms": 1000,
    "error_cb": on_error,
})

interval = 1.0 / cfg["rate"]
n = 0
next_send = time.monotonic()
while not os.path.exists(cfg["stop_file"]):
    producer.produce(cfg["topic"], value=f"r{n}".encode(), on_delivery=on_delivery)
    n += 1
    next_send += interval
    producer.poll(max(0.0, next_send - time.monotonic()))

undelivered = producer.flush(60)
print(json.dumps({"sent": n, "acked": acked, "failed": failed, "undelivered": undelivered, "errors": errors}))
