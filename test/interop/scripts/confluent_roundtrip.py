"""confluent-kafka (librdkafka 2.0.2) round trip for test/interop/confluent-kafka.test.ts.

argv[1] is JSON: {"bootstrap": "host:port", "topic": str, "partitions": int,
"records": int, "compression": "none" | "gzip" | "snappy" | "lz4" | "zstd"}.
Creates the topic with AdminClient, produces with enable.idempotence=true
and the given compression.type (keys, headers, explicit partitions; linger
so several records share a batch), collecting every delivery report, then
reads everything back with an
assigned Consumer (a group.id is mandatory in the Python binding, but
nothing is subscribed or committed). Prints one JSON object; librdkafka's
logs go to stderr.
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

cfg = json.loads(sys.argv[1])
topic = cfg["topic"]
partitions = cfg["partitions"]
count = cfg["records"]

errors = []


def on_error(err):
    errors.append(str(err))


admin = AdminClient({"bootstrap.servers": cfg["bootstrap"], "socket.timeout.ms": 10000, "error_cb": on_error})
for future in admin.create_topics([NewTopic(topic, partitions, 1)], request_timeout=15).values():
    future.result(timeout=20)

producer = Producer({
    "bootstrap.servers": cfg["bootstrap"],
    "enable.idempotence": True,
    "compression.type": cfg["compression"],
    "linger.ms": 20,
    "message.timeout.ms": 20000,
    "socket.timeout.ms": 10000,
    "error_cb": on_error,
})

reports = []


def on_delivery(index, err, msg):
    reports.append({
        "index": index,
        "error": None if err is None else str(err),
        "partition": msg.partition(),
        "offset": msg.offset(),
        "key": None if msg.key() is None else msg.key().decode(),
    })


expected = []
for i in range(count):
    key = None if i == 7 else "key-%d" % i
    # Compressible values of varied sizes, one of them large.
    value = ("%d:" % i) + ("payload-%d " % (i % 9)) * (2000 if i == 11 else i % 40)
    headers = [("index", str(i).encode()), ("codec", cfg["compression"].encode())]
    if i % 5 == 0:
        headers.append(("index", b"again"))
    partition = i % partitions
    producer.produce(topic, key=None if key is None else key.encode(), value=value.encode(), headers=headers,
                     partition=partition, on_delivery=lambda err, msg, i=i: on_delivery(i, err, msg))
    producer.poll(0)
    expected.append({"partition": partition, "key": key, "value": value,
                     "headers": [[k, v.decode()] for k, v in headers]})
remaining = producer.flush(25)

consumer = Consumer({
    "bootstrap.servers": cfg["bootstrap"],
    "group.id": "kb-interop-assign-only",
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "socket.timeout.ms": 10000,
    "error_cb": on_error,
})
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
consumed = []
consume_errors = []
deadline = time.time() + 20
while len(consumed) < count and time.time() < deadline:
    msg = consumer.poll(0.5)
    if msg is None:
        continue
    if msg.error():
        consume_errors.append(str(msg.error()))
        continue
    consumed.append({
        "partition": msg.partition(),
        "offset": msg.offset(),
        "key": None if msg.key() is None else msg.key().decode(),
        "value": None if msg.value() is None else msg.value().decode(),
        "headers": [[k, None if v is None else v.decode()] for k, v in (msg.headers() or [])],
    })
watermarks = {str(p): list(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)) for p in range(partitions)}
consumer.close()

print(json.dumps({
    "expected": expected,
    "reports": reports,
    "notDelivered": remaining,
    "consumed": consumed,
    "consumeErrors": consume_errors,
    "clientErrors": errors,
    "watermarks": watermarks,
}))
