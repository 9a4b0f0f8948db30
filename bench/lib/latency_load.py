"""librdkafka (confluent-kafka) as an open-loop latency load generator, the
twin of latency-load.ts (same JSON settings, same record layout, same
output): role "produce" sends `rate` records/s of `size` bytes to partition
0 of `topic` for `seconds`, record i due at start + i/rate whatever happened
to the ones before it, each value beginning with its due time (float64 LE,
ms since the epoch); produce latency runs from the due time to the delivery
callback (served by poll() between sends). Role "consume" reads partition 0
from offset 0 until `records` arrived or `seconds` passed, end-to-end
latency from a record's due time to the poll that returned it, and prints
"ready" once its first poll returned. Offsets below `warmup` are not
counted. Latencies go to `out` as float64 microseconds; the last stdout
line is {"sent", "failed", "sendSeconds" (produce: first due time to the
last record handed over), "counted"}."""
import json
import struct
import sys
import time
from array import array

from confluent_kafka import Consumer, Producer, TopicPartition

s = json.loads(sys.argv[1])
latencies = array("d")
stamp = struct.Struct("<d")
result = {"sent": 0, "failed": 0}


def produce():
    producer = Producer({
        "bootstrap.servers": s["bootstrap"],
        "acks": str(s["acks"]),
        "linger.ms": s["lingerMs"],
        "enable.idempotence": False,
        "max.in.flight": 5,
        "queue.buffering.max.messages": 10000000,
        "queue.buffering.max.kbytes": 2097151,
    })
    warmup = s["warmup"]

    def delivered(err, msg):
        if err is not None:
            result["failed"] += 1
        elif msg.offset() >= warmup:
            latencies.append((time.time() * 1000 - stamp.unpack_from(msg.value())[0]) * 1000)

    producer.poll(0)
    count = round(s["rate"] * s["seconds"])
    interval = 1.0 / s["rate"]
    padding = b"x" * (s["size"] - 8)
    start = time.time() + 0.02
    i = 0
    while i < count:
        now = time.time()
        due = start + i * interval
        if due > now + 0.001:
            producer.poll(due - now)
            continue
        while i < count and start + i * interval <= now:
            value = stamp.pack((start + i * interval) * 1000) + padding
            try:
                producer.produce(s["topic"], value, partition=0, on_delivery=delivered)
                i += 1
            except BufferError:
                producer.poll(0.001)
                break
        producer.poll(0)
    result["sendSeconds"] = time.time() - start
    producer.flush(60)
    result["sent"] = count


def consume():
    consumer = Consumer({
        "bootstrap.servers": s["bootstrap"],
        "group.id": "kb-latency-bench",
        "enable.auto.commit": False,
        "fetch.wait.max.ms": 100,
    })
    consumer.assign([TopicPartition(s["topic"], 0, 0)])
    deadline = time.time() + s["seconds"]
    ready = False
    warmup = s["warmup"]
    received = 0
    while received < s["records"] and time.time() < deadline:
        # consume() waits out its whole timeout unless it fills up: poll() returns with the first record, then what is already queued.
        first = consumer.poll(0.1)
        messages = [] if first is None else [first] + consumer.consume(10000, 0)
        now = time.time() * 1000
        if not ready:
            print("ready", flush=True)
            ready = True
        for m in messages:
            if m.error() is not None:
                continue
            received += 1
            if m.offset() >= warmup:
                latencies.append((now - stamp.unpack_from(m.value())[0]) * 1000)
    consumer.close()
    result["sent"] = received


produce() if s["role"] == "produce" else consume()
with open(s["out"], "wb") as f:
    latencies.tofile(f)
print(json.dumps({**result, "counted": len(latencies)}), flush=True)
