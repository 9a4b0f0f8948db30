"""The fault suite's consume-transform-produce stage (python3-confluent-kafka).

argv[1] is JSON: {"bootstrap": "h:p,...", "in_topic": str, "out_topic": str,
"group": str, "transactional_id": str, "stop_file": path, "debug"?: the
producer's librdkafka debug contexts}. Reads `in_topic`
at read_committed as a member of `group` and copies each record's value to
the same partition of `out_topic`, committing the consumed offsets in the
same transaction (send_offsets_to_transaction), one transaction per polled
batch. Errors are handled as librdkafka asks: a retriable commit is
retried, an abortable error aborts and rewinds to the committed offsets, a
fatal one (fenced) starts a new producer and rewinds; a call librdkafka never
returns from (see `stuck_s`) ends the process with status 3, for the caller to
start a new one. Once `stop_file`
exists it goes on until it has committed up to the end of every input
partition (the producers have stopped by then), then exits 0; it exits 1
when it cannot within `catch_up_s`. Prints nothing on stdout: each
transaction's outcome and librdkafka's logs go to stderr.
"""
import faulthandler
import json
import os
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

cfg = json.loads(sys.argv[1])
call_timeout = 10
catch_up_s = 75
# librdkafka 2.0.2's send_offsets_to_transaction ignores its timeout when the group coordinator cannot
# be found (confluentinc/librdkafka#5456) and blocks for good: past this, the process exits with
# `stuck_exit` and the workload starts a new copy stage, which fences this one.
stuck_s = call_timeout + 20
stuck_exit = 3


def new_producer(old=None):
    """A producer whose init_transactions succeeded; `old` (fenced, failed) is dropped first, its queue purged."""
    if old is not None:
        sys.stderr.write("replacing the producer\n")
        try:
            old.purge()
            old.flush(1)
        except KafkaException:
            pass
    while True:
        producer = Producer({
            "bootstrap.servers": cfg["bootstrap"],
            "transactional.id": cfg["transactional_id"],
            "transaction.timeout.ms": 10000,
            "linger.ms": 5,
            "error_cb": lambda err: sys.stderr.write(f"producer error_cb: {err}\n"),
            **({"debug": cfg["debug"]} if cfg.get("debug") else {}),
        })
        try:
            producer.init_transactions(call_timeout)
            return producer
        except KafkaException as e:
            sys.stderr.write(f"init_transactions failed: {e}\n")
            producer.purge()


consumer = Consumer({
    "bootstrap.servers": cfg["bootstrap"],
    "group.id": cfg["group"],
    "isolation.level": "read_committed",
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
    "session.timeout.ms": 10000,
    "heartbeat.interval.ms": 1000,
    "topic.metadata.refresh.interval.ms": 1000,
    "error_cb": lambda err: sys.stderr.write(f"consumer error_cb: {err}\n"),
})
consumer.subscribe([cfg["in_topic"]])
producer = new_producer()


def rewind():
    """Seeks every assigned partition back to its committed offset (the start when none), trying until it can."""
    while True:
        try:
            for tp in consumer.committed(consumer.assignment(), call_timeout):
                consumer.seek(TopicPartition(tp.topic, tp.partition, max(tp.offset, 0)))
            return
        except KafkaException as e:
            sys.stderr.write(f"rewind failed: {e}\n")
            time.sleep(0.5)


def caught_up():
    """Whether every input partition is assigned and read to its end; each batch read was committed, or rewound to be read again."""
    assignment = consumer.assignment()
    try:
        if len(assignment) != len(consumer.list_topics(cfg["in_topic"], 5).topics[cfg["in_topic"]].partitions):
            return False
        for tp in consumer.position(assignment):
            _, high = consumer.get_watermark_offsets(tp, 5)
            if tp.offset < high:
                return False
        return True
    except KafkaException as e:
        sys.stderr.write(f"catching up: {e}\n")
        return False


def stuck():
    sys.stderr.write(f"send_offsets_to_transaction still blocked after {stuck_s} s (confluentinc/librdkafka#5456): exiting {stuck_exit}\n")
    faulthandler.dump_traceback()
    os._exit(stuck_exit)


def copy(msgs):
    """Copies `msgs` and commits their offsets in one transaction: its outcome."""
    global producer
    committing = False
    try:
        producer.begin_transaction()
        for m in msgs:
            producer.produce(cfg["out_topic"], value=m.value(), partition=m.partition())
        watchdog = threading.Timer(stuck_s, stuck)
        watchdog.start()
        try:
            producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), call_timeout)
        finally:
            watchdog.cancel()
        committing = True
        for attempt in range(6):
            try:
                producer.commit_transaction(call_timeout)
                return "committed"
            except KafkaException as e:
                if not e.args[0].retriable() or attempt == 5:
                    raise
    except KafkaException as e:
        err = e.args[0]
        sys.stderr.write(f"transaction failed: {err}\n")
        try:
            if err.txn_requires_abort():
                producer.abort_transaction(call_timeout)
            else:
                producer = new_producer(producer)
        except KafkaException as abort_err:
            sys.stderr.write(f"abort failed: {abort_err}\n")
            producer = new_producer(producer)
        sys.stderr.write("rewinding to the committed offsets\n")
        rewind()
        return "indeterminate" if committing else "aborted"


stopping_since = None
while True:
    # Re-armed every turn: a turn stuck this long prints where.
    faulthandler.dump_traceback_later(75)
    if stopping_since is None and os.path.exists(cfg["stop_file"]):
        sys.stderr.write("stopping: catching up with the input\n")
        stopping_since = time.monotonic()
    msgs = [m for m in consumer.consume(200, 0.5) if m.error() is None]
    if msgs:
        sys.stderr.write(f"transaction of {len(msgs)} records: {copy(msgs)}\n")
    elif stopping_since is not None:
        if caught_up():
            break
        if time.monotonic() - stopping_since > catch_up_s:
            sys.stderr.write(f"not caught up {catch_up_s} s after the producers stopped\n")
            sys.exit(1)

consumer.close()
