"""The fault suite's librdkafka producer (python3-confluent-kafka).

argv[1] is JSON: {"bootstrap": "h:p,...", "topic": str, "process": str,
"rate": records/s, "acks": "all" | "1", "stop_file": path, "debug"?: librdkafka
debug contexts such as "eos,msg,protocol"}. Produces the
values "<process>:<seq>" (seq = 0, 1, ... in send order), no key, at about
`rate` records/s until `stop_file` exists, then flushes (up to 60 s).
acks=all is idempotent (librdkafka's enable.idempotence); acks=1 is not.
Every event is one JSON line on stdout, printed as it happens:
{"type": "send"|"ack"|"fail", "value", "partition"?, "offset"?, "error"?};
a value still undelivered after the flush is reported as a fail. The
caller stamps the times. librdkafka's logs go to stderr.
"""
import json
import os
import sys
import time

from confluent_kafka import Producer

cfg = json.loads(sys.argv[1])
pending = set()


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def on_delivery(err, msg):
    value = msg.value().decode()
    pending.discard(value)
    if err is None:
        emit({"type": "ack", "value": value, "partition": msg.partition(), "offset": msg.offset()})
    else:
        emit({"type": "fail", "value": value, "error": str(err)})


idempotent = cfg["acks"] == "all"
producer = Producer({
    "bootstrap.servers": cfg["bootstrap"],
    "enable.idempotence": idempotent,
    "acks": "all" if idempotent else "1",
    "linger.ms": 5,
    "message.timeout.ms": 30000,
    "topic.metadata.refresh.interval.ms": 1000,
    "error_cb": lambda err: sys.stderr.write(f"error_cb: {err}\n"),
    **({"debug": cfg["debug"]} if cfg.get("debug") else {}),
})

interval = 1.0 / cfg["rate"]
seq = 0
next_send = time.monotonic()
while not os.path.exists(cfg["stop_file"]):
    value = f"{cfg['process']}:{seq}"
    emit({"type": "send", "value": value})
    pending.add(value)
    while True:
        try:
            producer.produce(cfg["topic"], value=value.encode(), on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.1)
    seq += 1
    next_send += interval
    producer.poll(max(0.0, next_send - time.monotonic()))

producer.flush(60)
for value in sorted(pending):
    emit({"type": "fail", "value": value, "error": "undelivered when the producer stopped"})
