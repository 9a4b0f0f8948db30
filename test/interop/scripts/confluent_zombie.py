"""Zombie fencing with confluent-kafka against kb: two transactional producers
with one transactional id. The first opens a transaction; the second's
init_transactions fences it (its open transaction is aborted), so the first
cannot commit; the second commits its own. Then what a read_committed
consumer sees.
Input: {"bootstrap", "topic", "transactional_id"}.
Prints {"zombie_error": str, "zombie_fatal": bool, "committed_read": [...]}."""
import json
import sys

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

args = json.loads(sys.argv[1])
bootstrap, topic = args["bootstrap"], args["topic"]
config = {"bootstrap.servers": bootstrap, "transactional.id": args["transactional_id"], "transaction.timeout.ms": 60000}

zombie = Producer(config)
zombie.init_transactions(30)
zombie.begin_transaction()
zombie.produce(topic, value=b"zombie-0", partition=0)
zombie.flush(30)

successor = Producer(config)
successor.init_transactions(30)

zombie_error, zombie_fatal = "", False
try:
    zombie.produce(topic, value=b"zombie-1", partition=0)
    zombie.commit_transaction(30)
except KafkaException as e:
    zombie_error, zombie_fatal = e.args[0].name(), e.args[0].fatal()

successor.begin_transaction()
successor.produce(topic, value=b"successor-0", partition=0)
successor.commit_transaction(30)

consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "zombie-reader",
    "isolation.level": "read_committed",
    "enable.auto.commit": False,
    "enable.partition.eof": True,
})
consumer.assign([TopicPartition(topic, 0, 0)])
values = []
while True:
    msg = consumer.poll(10)
    if msg is None:
        break
    if msg.error():
        if msg.error().code() == -191:  # _PARTITION_EOF
            break
        raise KafkaException(msg.error())
    values.append(msg.value().decode())
consumer.close()
print(json.dumps({"zombie_error": zombie_error, "zombie_fatal": zombie_fatal, "committed_read": values}))
