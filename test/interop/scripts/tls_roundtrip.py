"""A round trip over SSL for test/interop/tls.test.ts, with confluent-kafka
or kafka-python.

argv[1] is JSON: {"client": "confluent" | "kafka-python", "bootstrap":
"host:port", "topic": str, "values": [str], "ca": path, "cert": path or
null, "key": path or null}. Produces the values with acks=all over SSL
(trusting the CA; presenting cert and key when given: mTLS), then reads the
topic's partition 0 from the beginning with an assigned consumer until it
has as many records. Prints {"produced": n, "consumed": [values]}; client
logs go to stderr.
"""
import json
import logging
import sys
import time

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

cfg = json.loads(sys.argv[1])
topic = cfg["topic"]
values = cfg["values"]
deadline = time.monotonic() + 30


def confluent():
    from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

    common = {"bootstrap.servers": cfg["bootstrap"], "security.protocol": "SSL", "ssl.ca.location": cfg["ca"], "socket.timeout.ms": 10000}
    if cfg["cert"]:
        common.update({"ssl.certificate.location": cfg["cert"], "ssl.key.location": cfg["key"]})
    producer = Producer({**common, "acks": "all", "message.timeout.ms": 20000})
    acked = []
    for value in values:
        producer.produce(topic, value.encode(), partition=0, on_delivery=lambda err, msg: acked.append(err))
    producer.flush(25)
    if any(err is not None for err in acked) or len(acked) != len(values):
        raise SystemExit(f"delivery failed: {acked}")
    consumer = Consumer({**common, "group.id": "kb-tls-unused", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    consumed = []
    while len(consumed) < len(values) and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is not None and msg.error() is None:
            consumed.append(msg.value().decode())
    consumer.close()
    return len(acked), consumed


def kafka_python():
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    common = {"bootstrap_servers": cfg["bootstrap"], "security_protocol": "SSL", "ssl_cafile": cfg["ca"], "request_timeout_ms": 15000, "api_version_auto_timeout_ms": 10000}
    if cfg["cert"]:
        common.update({"ssl_certfile": cfg["cert"], "ssl_keyfile": cfg["key"]})
    producer = KafkaProducer(acks="all", **common)
    futures = [producer.send(topic, value.encode(), partition=0) for value in values]
    produced = sum(1 for f in futures if f.get(timeout=20) is not None)
    producer.close()
    consumer = KafkaConsumer(enable_auto_commit=False, **common)
    partition = TopicPartition(topic, 0)
    consumer.assign([partition])
    consumer.seek_to_beginning(partition)
    consumed = []
    while len(consumed) < len(values) and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=1000).values():
            consumed.extend(r.value.decode() for r in records)
    consumer.close()
    return produced, consumed


produced, consumed = confluent() if cfg["client"] == "confluent" else kafka_python()
print(json.dumps({"produced": produced, "consumed": consumed}))
