"""kafka-python 2.0.2 producing in the legacy message formats for
test/interop/kafka-python.test.ts and fetch-down-conversion.test.ts.

argv[1] is JSON: {"bootstrap": "host:port", "topic": str, "records": int,
"apiVersion": [int, ...] (default [0, 10, 1]: Produce v2, message format
v1; [0, 9]: Produce v1 and [0, 8, 2]: Produce v0, both format v0),
"compression": "gzip" or null (default "gzip")}. With a long linger and a
batch size that holds every record, the records leave as one message set
to partition 0; the values are the record numbers as text. Prints one JSON
object: {"acked": int, "offsets": [first, last] or null, "error": str or
null}. Client logs go to stderr.
"""
import json
import logging
import sys

from kafka import KafkaProducer

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

cfg = json.loads(sys.argv[1])
producer = KafkaProducer(
    bootstrap_servers=cfg["bootstrap"],
    api_version=tuple(cfg.get("apiVersion", [0, 10, 1])),
    compression_type=cfg.get("compression", "gzip"),
    acks=1,
    retries=0,
    linger_ms=2000,
    batch_size=64_000_000,
    buffer_memory=256_000_000,
    max_request_size=64_000_000,
    request_timeout_ms=30000,
)
futures = [producer.send(cfg["topic"], value=str(i).encode(), partition=0) for i in range(cfg["records"])]
producer.flush()
offsets = []
error = None
for f in futures:
    try:
        offsets.append(f.get(timeout=30).offset)
    except Exception as e:  # the first failure is reported, the count says how many
        error = error or repr(e)
producer.close()
print(json.dumps({"acked": len(offsets), "offsets": [offsets[0], offsets[-1]] if offsets else None, "error": error}))
