"""Produces to a topic that does not exist yet, for test/interop/auto-create.test.ts:
the broker auto-creates it on the client's Metadata request.

argv[1] is JSON: {"client": "kafka-python" | "confluent-kafka", "bootstrap":
"host:port", "topic": str, "values": [str]}. Produces every value with
acks=all and waits for every acknowledgement. Prints one JSON object:
{"acked": [[value, partition, offset]], "errors": [str]}; client logs go to
stderr.
"""
import json
import logging
import sys

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

cfg = json.loads(sys.argv[1])
acked = []
errors = []

if cfg["client"] == "kafka-python":
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=cfg["bootstrap"], acks="all", request_timeout_ms=15000, max_block_ms=30000)
    futures = [(value, producer.send(cfg["topic"], value=value.encode())) for value in cfg["values"]]
    for value, future in futures:
        try:
            md = future.get(timeout=30)
            acked.append([value, md.partition, md.offset])
        except Exception as err:  # noqa: BLE001 - reported to the test
            errors.append("%s: %r" % (value, err))
    producer.close(timeout=10)
else:
    from confluent_kafka import Producer

    producer = Producer({
        "bootstrap.servers": cfg["bootstrap"],
        "acks": "all",
        "message.timeout.ms": 30000,
        "error_cb": lambda err: errors.append(str(err)),
    })

    def on_delivery(err, msg):
        if err is not None:
            errors.append("%s: %s" % (msg.value().decode(), err))
        else:
            acked.append([msg.value().decode(), msg.partition(), msg.offset()])

    for value in cfg["values"]:
        producer.produce(cfg["topic"], value=value.encode(), on_delivery=on_delivery)
    left = producer.flush(40)
    if left:
        errors.append("%d records never delivered" % left)

print(json.dumps({"acked": acked, "errors": errors}))
