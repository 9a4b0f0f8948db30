"""confluent-kafka producing `records` values of `size` bytes to partition 0
of `topic` with acks=all, idempotent; with `per_transaction` > 0 as
transactions of that many records (transactional id `transactional_id`).
Prints {"seconds": wall time from the first produce to the last flush or commit}.
The topic's metadata is fetched before the clock starts, in both modes: a
transactional producer learns of a topic first produced after
init_transactions only from librdkafka's one-second scan of unknown topics
(librdkafka issue #3202, whose workaround this is; the idempotent producer
asks for it when it connects), which would add a second of client start-up
to every transactional run."""
import json
import sys
import time

from confluent_kafka import Producer

args = json.loads(sys.argv[1])
config = {"bootstrap.servers": args["bootstrap"], "enable.idempotence": True, "acks": "all", "linger.ms": 5, "queue.buffering.max.messages": 1000000}
per_transaction = args["per_transaction"]
if per_transaction > 0:
    config["transactional.id"] = args["transactional_id"]
producer = Producer(config)
if per_transaction > 0:
    producer.init_transactions(30)
producer.list_topics(args["topic"], timeout=30)
value = b"x" * args["size"]
started = time.monotonic()
for i in range(args["records"]):
    if per_transaction > 0 and i % per_transaction == 0:
        if i > 0:
            producer.commit_transaction(60)
        producer.begin_transaction()
    while True:
        try:
            producer.produce(args["topic"], value=value, partition=0)
            break
        except BufferError:
            producer.poll(0.01)
if per_transaction > 0:
    producer.commit_transaction(60)
else:
    producer.flush(60)
print(json.dumps({"seconds": time.monotonic() - started}))
