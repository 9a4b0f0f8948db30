"""A round trip over SSL or SASL for test/interop/tls.test.ts,
sasl.test.ts and acl-principals.test.ts, with confluent-kafka or
kafka-python.

argv[1] is JSON: {"client": "confluent" | "kafka-python", "bootstrap":
"host:port", "protocol": "SSL" | "SASL_SSL" | "SASL_PLAINTEXT", "topic":
str, "values": [str]}, with what the protocol needs: "ca" (a path: the CA
to trust), "cert" and "key" (paths: a client certificate, mTLS),
"mechanism", "user" and "password" (SASL). Produces the values with
acks=all, then reads the topic's partition 0 from the beginning with an
assigned consumer until it has as many records, and prints {"produced": n,
"consumed": [values]}. With no values, only connects (confluent: a
producer until its first error, kafka-python: a consumer listing the
topics), and prints {"error": the client's first error, or null,
"seconds": how long that took}: how a wrong login ends. Client logs go to
stderr.
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


def settings(names):
    """The client's settings for what cfg gives: names maps cfg's keys to the client's."""
    return {names[key]: cfg[key] for key in names if cfg.get(key)}


def confluent():
    from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

    common = {
        "socket.timeout.ms": 10000,
        **settings({
            "bootstrap": "bootstrap.servers",
            "protocol": "security.protocol",
            "ca": "ssl.ca.location",
            "cert": "ssl.certificate.location",
            "key": "ssl.key.location",
            "mechanism": "sasl.mechanisms",
            "user": "sasl.username",
            "password": "sasl.password",
        }),
    }
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
    consumer = Consumer({**common, "group.id": "kb-roundtrip-unused", "enable.auto.commit": False})
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
        "request_timeout_ms": 15000,
        "api_version_auto_timeout_ms": 10000,
        **settings({
            "bootstrap": "bootstrap_servers",
            "protocol": "security_protocol",
            "ca": "ssl_cafile",
            "cert": "ssl_certfile",
            "key": "ssl_keyfile",
            "mechanism": "sasl_mechanism",
            "user": "sasl_plain_username",
            "password": "sasl_plain_password",
        }),
    }
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
