"""A consume-transform-produce loop with confluent-kafka against kb: read
`in_topic` as a member of `group`, write each record's value to `out_topic`
and commit the consumed offsets in the same transaction, until the group
has committed `count` records. Survives broker failures the way
librdkafka's transactional API asks: an abortable error aborts and rewinds
to the committed offsets, a retriable commit is retried, a fatal one (a
fenced producer) starts a new producer. After every commit the number of
records committed is written to `progress_file`.
Input: {"bootstrap", "in_topic", "out_topic", "group", "transactional_id", "count", "progress_file"}.
Prints {"commits": n, "aborts": n, "new_producers": n}."""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

args = json.loads(sys.argv[1])
deadline = time.monotonic() + 150


def new_producer():
    producer = Producer({"bootstrap.servers": args["bootstrap"], "transactional.id": args["transactional_id"], "transaction.timeout.ms": 30000})
    while True:
        try:
            producer.init_transactions(30)
            return producer
        except KafkaException as e:
            if not e.args[0].retriable() or time.monotonic() > deadline:
                raise


consumer = Consumer({
    "bootstrap.servers": args["bootstrap"],
    "group.id": args["group"],
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
    "isolation.level": "read_committed",
})
consumer.subscribe([args["in_topic"]])
producer = new_producer()
stats = {"commits": 0, "aborts": 0, "new_producers": 0}


def committed_total():
    assignment = consumer.assignment()
    if not assignment:
        return 0
    return sum(max(tp.offset, 0) for tp in consumer.committed(assignment, 30))


def rewind():
    assignment = consumer.assignment()
    for tp in consumer.committed(assignment, 30):
        consumer.seek(TopicPartition(tp.topic, tp.partition, max(tp.offset, 0)))


total = 0
while total < args["count"]:
    if time.monotonic() > deadline:
        raise Exception(f"only {total} of {args['count']} committed in time")
    msgs = [m for m in consumer.consume(200, 1.0) if not m.error()]
    if not msgs:
        total = committed_total()
        continue
    try:
        producer.begin_transaction()
        for m in msgs:
            producer.produce(args["out_topic"], value=m.value(), partition=m.partition())
        producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30)
        while True:
            try:
                producer.commit_transaction(30)
                break
            except KafkaException as e:
                if not e.args[0].retriable() or time.monotonic() > deadline:
                    raise
        stats["commits"] += 1
    except KafkaException as e:
        err = e.args[0]
        if err.txn_requires_abort():
            producer.abort_transaction(30)
            stats["aborts"] += 1
        elif err.fatal():
            producer = new_producer()
            stats["new_producers"] += 1
        else:
            raise
        rewind()
    total = committed_total()
    with open(args["progress_file"], "w") as f:
        f.write(str(total))

consumer.close()
print(json.dumps(stats))
