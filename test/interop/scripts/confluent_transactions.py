"""confluent-kafka transactional producer against kb: a committed transaction
(records to several partitions and the group's offsets through
send_offsets_to_transaction) and an aborted one; then what a read_committed
and a read_uncommitted consumer see, and the group's committed offsets.
Input: {"bootstrap", "topic", "partitions", "group", "transactional_id", "committed", "aborted"}.
Prints {"committed_read": [...], "uncommitted_read": [...], "group_offsets": {partition: offset}}."""
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition

args = json.loads(sys.argv[1])
bootstrap, topic, partitions = args["bootstrap"], args["topic"], args["partitions"]

producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": args["transactional_id"], "transaction.timeout.ms": 60000})
producer.init_transactions(30)

group_consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": args["group"], "enable.auto.commit": False})
producer.begin_transaction()
for i in range(args["committed"]):
    producer.produce(topic, value=f"committed-{i}".encode(), partition=i % partitions)
offsets = [TopicPartition(topic, p, 1000 + p) for p in range(partitions)]
producer.send_offsets_to_transaction(offsets, group_consumer.consumer_group_metadata(), 30)
producer.commit_transaction(30)

producer.begin_transaction()
for i in range(args["aborted"]):
    producer.produce(topic, value=f"aborted-{i}".encode(), partition=i % partitions)
producer.flush(30)
producer.abort_transaction(30)


def read_all(isolation):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"reader-{isolation}",
        "isolation.level": isolation,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
    })
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    values, eof = [], set()
    while len(eof) < partitions:
        msg = consumer.poll(10)
        if msg is None:
            break
        if msg.error():
            if msg.error().code() == -191:  # _PARTITION_EOF
                eof.add(msg.partition())
                continue
            raise Exception(msg.error())
        values.append(msg.value().decode())
    consumer.close()
    return values


committed = group_consumer.committed([TopicPartition(topic, p) for p in range(partitions)], 30)
group_consumer.close()
print(json.dumps({
    "committed_read": read_all("read_committed"),
    "uncommitted_read": read_all("read_uncommitted"),
    "group_offsets": {str(tp.partition): tp.offset for tp in committed},
}))
