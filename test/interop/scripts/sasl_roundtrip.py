"""A round trip over SASL for test/interop/sasl.test.ts, with confluent-kafka
or kafka-python.

argv[1] is JSON: {"client": "confluent" | "kafka-python", "bootstrap":
"host:port", "protocol": "SASL_SSL" | "SASL_PLAINTEXT", "mechanism": str,
"user": str, "password": str, "ca": path or null, "topic": str, "values":
[str]}. Produces the values with acks=all, then reads the topic's
partition 0 from the beginning with an assigned consumer until it has as
many records, and prints {"produced": n, "consumed": [values]}. With no
values, only connects (confluent: a producer until its first error,
kafka-python: a consumer listing the topics), and prints {"error": the
client's first error, or null, "seconds": how long that took}: how a wrong
login ends. Client logs go to stderr.
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

    common = {
        "bootstrap.servers": cfg["bootstrap"],
        "security.protocol": cfg["protocol"],
        "sasl.mechanisms": cfg["mechanism"],
        "sasl.username": cfg["user"],
        "sasl.password": cfg["password"],
        "socket.timeout.ms": 10000,
    }
    if cfg["ca"]:
        common["ssl.ca.location"] = cfg["ca"]
    if not values:
        errors = []
        producer = Producer({**common, "error_cb": lambda err: errors.append(str(err)), "reconnect.backoff.ms": 10000, "reconnect.backoff.max.ms": 10000})
        while not errors and time.monotonic() < deadline:
            producer.poll(0.1)
        return {"error": errors[0] if errors else None}
    producer = Producer({**common, "acks": "all", "message.timeout.ms": 20000})
    acked = []
    for value in values:
        producer.produce(topic, value.encode(), partition=0, on_delivery=lambda err, msg: acked.append(err))
    producer.flush(25)
    if any(err is not None for err in acked) or len(acked) != len(values):
        raise SystemExit(f"delivery failed: {acked}")
    consumer = Consumer({**common, "group.id": "kb-sasl-unused", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    consumed = []
    while len(consumed) < len(values) and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is not None and msg.error() is None:
            consumed.append(msg.value().decode())
    consumer.close()
    return {"produced": len(acked), "consumed": consumed}


def kafka_python():
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.errors import KafkaError

    common = {
        "bootstrap_servers": cfg["bootstrap"],
        "security_protocol": cfg["protocol"],
        "sasl_mechanism": cfg["mechanism"],
        "sasl_plain_username": cfg["user"],
        "sasl_plain_password": cfg["password"],
        "request_timeout_ms": 15000,
        "api_version_auto_timeout_ms": 10000,
    }
    if cfg["ca"]:
        common["ssl_cafile"] = cfg["ca"]
    if not values:
        try:
            KafkaConsumer(**common).topics()
            return {"error": None}
        except (KafkaError, ValueError, KeyError) as err:
            return {"error": f"{type(err).__name__}: {err}"}
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
    return {"produced": produced, "consumed": consumed}


started = time.monotonic()
result = confluent() if cfg["client"] == "confluent" else kafka_python()
if not values:
    result["seconds"] = round(time.monotonic() - started, 1)
print(json.dumps(result))
