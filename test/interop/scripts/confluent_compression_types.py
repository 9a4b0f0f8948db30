"""confluent-kafka (librdkafka 2.0.2) against topics of each compression.type,
for test/interop/compression-types.test.ts.

argv[1] is JSON: {"bootstrap": "host:port", "topics": {type: topic},
"codecs": [producer codec, ...], "records": int, "resend": bool}. A type
"default" creates its topic without compression.type (the broker's default
applies, unless resend makes it an override).

1. Admin: creates each topic with its compression.type, describes its
   configs and, with resend, re-sends every described config with AlterConfigs (what
   confluent-kafka-go's admin test does) and creates a copy of the topic
   ("<topic>-copy") with every described config, then describes both again.
2. Produces `records` records (keys, headers, explicit timestamps) to
   partition 0 of every topic with one idempotent producer per codec.
3. Reads every topic back with an assigned Consumer to the end.

Prints one JSON object; librdkafka's logs go to stderr.
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

cfg = json.loads(sys.argv[1])
bootstrap = cfg["bootstrap"]
topics = cfg["topics"]
count = cfg["records"]
errors = []


def on_error(err):
    errors.append(str(err))


admin = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000, "error_cb": on_error})


def describe(topic):
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([resource], request_timeout=15)[resource].result(timeout=20)
    return {name: entry.value for name, entry in entries.items()}


admin_errors = []


def settle(futures, what):
    for key, future in futures.items():
        try:
            future.result(timeout=20)
        except Exception as e:  # noqa: BLE001 - every failure is reported to the test
            admin_errors.append("%s %s: %s" % (what, key, e))


settle(admin.create_topics([NewTopic(topic, 1, 1, config={} if kind == "default" else {"compression.type": kind})
                            for kind, topic in topics.items()], request_timeout=15), "create")
described = {}
for kind, topic in topics.items():
    configs = describe(topic)
    if not cfg["resend"]:
        described[kind] = {"sent": configs}
        continue
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config=configs)
    settle(admin.alter_configs([resource], request_timeout=15), "re-send described configs of")
    settle(admin.create_topics([NewTopic(topic + "-copy", 1, 1, config=configs)], request_timeout=15), "create a copy with the described configs of")
    described[kind] = {"sent": configs, "after": describe(topic), "copy": describe(topic + "-copy")}

base_ts = int(time.time() * 1000) - 60000
expected = {topic: [] for topic in topics.values()}
deliveries = []


def on_delivery(codec, err, msg):
    deliveries.append({"codec": codec, "topic": msg.topic(), "offset": msg.offset(), "error": None if err is None else str(err)})


def record(codec, i):
    key = None if i == 1 else "%s-%d" % (codec, i)
    # Values of varied sizes, one large and compressible, one empty.
    value = "" if i == 2 else ("%s %d:" % (codec, i)) + ("payload-%d " % (i % 7)) * (3000 if i == 3 else i % 30)
    headers = [("codec", codec.encode()), ("index", str(i).encode())]
    if i % 4 == 0:
        headers.append(("index", b"again"))
    timestamp = base_ts + 1000 * i
    return key, value, headers, timestamp


for codec in cfg["codecs"]:
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "compression.type": codec,
        "linger.ms": 20,
        "message.timeout.ms": 20000,
        "socket.timeout.ms": 10000,
        "error_cb": on_error,
    })
    for topic in topics.values():
        for i in range(count):
            key, value, headers, timestamp = record(codec, i)
            producer.produce(topic, key=None if key is None else key.encode(), value=value.encode(), headers=headers,
                             partition=0, timestamp=timestamp, on_delivery=lambda err, msg, codec=codec: on_delivery(codec, err, msg))
            expected[topic].append({"key": key, "value": value, "headers": [[k, v.decode()] for k, v in headers], "timestamp": timestamp})
    producer.flush(25)

consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "kb-interop-assign-only",
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "enable.partition.eof": True,
    "socket.timeout.ms": 10000,
    "error_cb": on_error,
})
consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING) for topic in topics.values()])
consumed = {topic: [] for topic in topics.values()}
consume_errors = []
at_end = set()
deadline = time.time() + 30
while len(at_end) < len(topics) and time.time() < deadline:
    msg = consumer.poll(0.5)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() == KafkaError._PARTITION_EOF:
            at_end.add(msg.topic())
        else:
            consume_errors.append(str(msg.error()))
        continue
    consumed[msg.topic()].append({
        "offset": msg.offset(),
        "key": None if msg.key() is None else msg.key().decode(),
        "value": None if msg.value() is None else msg.value().decode(),
        "headers": [[k, None if v is None else v.decode()] for k, v in (msg.headers() or [])],
        "timestamp": msg.timestamp()[1],
    })
consumer.close()

print(json.dumps({
    "described": described,
    "adminErrors": admin_errors,
    "deliveries": deliveries,
    "expected": expected,
    "consumed": consumed,
    "atEnd": sorted(at_end),
    "consumeErrors": consume_errors,
    "clientErrors": errors,
}))
