"""kafka-python 2.0.2 round trip for test/interop/kafka-python.test.ts.

argv[1] is JSON: {"bootstrap": "host:port", "topic": str, "partitions": int,
"records": int, "baseTimestamp": int, "apiVersion": [2, 5, 0] or null}.
Creates the topic with KafkaAdminClient, produces with acks=all (keys,
headers, explicit partitions and timestamps), reads everything back with an
assigned KafkaConsumer (no group), then asks end_offsets, beginning_offsets
and offsets_for_times. Prints one JSON object with what each step saw; the
test does the asserting. Client logs go to stderr.
"""
import json
import logging
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

cfg = json.loads(sys.argv[1])
topic = cfg["topic"]
partitions = cfg["partitions"]
base_ts = cfg["baseTimestamp"]
common = {"bootstrap_servers": cfg["bootstrap"], "request_timeout_ms": 15000}
if cfg.get("apiVersion"):
    common["api_version"] = tuple(cfg["apiVersion"])
else:
    common["api_version_auto_timeout_ms"] = 10000


def text(b):
    return None if b is None else b.decode("utf-8")


out = {}

admin = KafkaAdminClient(**common)
response = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)], timeout_ms=10000)
out["createTopicErrors"] = [[t[0], t[1]] for t in response.topic_errors]
out["listTopics"] = topic in admin.list_topics()
admin.close()

producer = KafkaProducer(acks="all", retries=0, linger_ms=5, **common)
out["producerApiVersion"] = list(producer.config["api_version"])
futures = []
for i in range(cfg["records"]):
    key = None if i == 3 else ("key-%d" % i).encode()
    value = None if i == 5 else ("value %d ✓" % i).encode()
    headers = [("index", str(i).encode()), ("client", b"kafka-python")] if i % 4 != 1 else []
    futures.append(producer.send(topic, key=key, value=value, headers=headers, partition=i % partitions, timestamp_ms=base_ts + i * 1000))
produced = []
for i, f in enumerate(futures):
    md = f.get(timeout=20)
    key = None if i == 3 else "key-%d" % i
    value = None if i == 5 else "value %d ✓" % i
    headers = [["index", str(i)], ["client", "kafka-python"]] if i % 4 != 1 else []
    produced.append({"partition": md.partition, "offset": md.offset, "key": key, "value": value, "headers": headers,
                     "timestamp": base_ts + i * 1000, "reportedTimestamp": md.timestamp})
producer.close(timeout=10)
out["produced"] = produced

consumer = KafkaConsumer(group_id=None, enable_auto_commit=False, auto_offset_reset="earliest", **common)
tps = [TopicPartition(topic, p) for p in range(partitions)]
consumer.assign(tps)
consumer.seek_to_beginning(*tps)
consumed = []
deadline = time.time() + 20
while len(consumed) < len(produced) and time.time() < deadline:
    for tp, records in consumer.poll(timeout_ms=500).items():
        for r in records:
            consumed.append({"partition": r.partition, "offset": r.offset, "key": text(r.key), "value": text(r.value),
                             "headers": [[k, text(v)] for k, v in r.headers], "timestamp": r.timestamp,
                             "timestampType": r.timestamp_type})
out["consumed"] = consumed
out["consumerApiVersion"] = list(consumer.config["api_version"])
out["endOffsets"] = {str(tp.partition): o for tp, o in consumer.end_offsets(tps).items()}
out["beginningOffsets"] = {str(tp.partition): o for tp, o in consumer.beginning_offsets(tps).items()}
queries = {tp: base_ts + 1500 for tp in tps}
queries[tps[-1]] = base_ts + 10 ** 9  # after every record: no offset
found = consumer.offsets_for_times(queries)
out["offsetsForTimes"] = {
    str(tp.partition): {"query": queries[tp], "result": None if v is None else {"offset": v.offset, "timestamp": v.timestamp}}
    for tp, v in found.items()
}
consumer.close()
print(json.dumps(out))
