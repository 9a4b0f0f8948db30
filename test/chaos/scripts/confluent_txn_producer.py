"""The fault suite's transactional producer (python3-confluent-kafka).

argv[1] is JSON: {"bootstrap": "h:p,...", "topic": str, "partitions": int,
"process": str, "transactional_id": str, "rate": transactions/s, "seed": int,
"stop_file": path, "debug"?: librdkafka debug contexts}. Until `stop_file`
exists, runs transactions of 1 to 5 values "<process>:<seq>" (seq = 0, 1, ...
in send order), each to a random partition; most are committed, some are
aborted on purpose (after their values are written), and now and then one is fenced: a successor producer
with the same transactional id finishes init_transactions while the
transaction is open, then the old one (the zombie) produces one more value
and tries to commit; the successor carries on. The seed drives those
choices. Errors are handled as librdkafka asks: a retriable one is retried,
one that requires an abort aborts, a fatal one starts a new producer.
Every event is one JSON line on stdout, printed as it happens; the caller
stamps the times:
- {"type": "send", "value"} when produce() takes a value;
- {"type": "ack", "value", "partition", "offset"} or {"type": "fail",
  "value", "error"}: its delivery report (written to the log, or not);
- {"type": "txn", "values": [...], "outcome", "fenced", "error"?} when a
  transaction is over: outcome "committed" when commit_transaction
  returned; "aborted" when commit_transaction was never called for it
  (the coordinator can then only abort it, whether abort_transaction
  succeeded or not); "indeterminate" when commit_transaction was called and
  did not succeed. fenced: a successor had finished init_transactions before
  the commit was tried.
librdkafka's logs go to stderr.
"""
import json
import os
import random
import sys
import time

from confluent_kafka import KafkaException, Producer

cfg = json.loads(sys.argv[1])
rng = random.Random(cfg["seed"])
config = {
    "bootstrap.servers": cfg["bootstrap"],
    "transactional.id": cfg["transactional_id"],
    "transaction.timeout.ms": 10000,
    "linger.ms": 5,
    "topic.metadata.refresh.interval.ms": 1000,
    "error_cb": lambda err: sys.stderr.write(f"error_cb: {err}\n"),
    **({"debug": cfg["debug"]} if cfg.get("debug") else {}),
}
# Each call's timeout (s), and how many times a call failing retriably is tried.
call_timeout = 10
tries = 6
seq = 0
# Each value produced and not yet reported delivered or failed, with its producer.
pending = {}


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def stopped():
    return os.path.exists(cfg["stop_file"])


def on_delivery(err, msg):
    value = msg.value().decode()
    pending.pop(value, None)
    if err is None:
        emit({"type": "ack", "value": value, "partition": msg.partition(), "offset": msg.offset()})
    else:
        emit({"type": "fail", "value": value, "error": str(err)})


def retried(call):
    """call() until it does not fail retriably (at most `tries` times); re-raises its last error."""
    for attempt in range(tries):
        try:
            return call()
        except KafkaException as e:
            if not e.args[0].retriable() or attempt == tries - 1:
                raise


def initialized():
    """A new producer whose init_transactions succeeded, or None when stopped first."""
    while not stopped():
        producer = Producer(config)
        try:
            retried(lambda: producer.init_transactions(call_timeout))
            return producer
        except KafkaException as e:
            sys.stderr.write(f"init_transactions failed: {e}\n")
            discard(producer)
    return None


def discard(producer):
    """Drops a producer (fenced, fatal or given up): its values without a delivery report are reported failed."""
    try:
        producer.purge()
        producer.flush(1)
    except KafkaException:
        pass
    for value in [v for v, p in pending.items() if p is producer]:
        del pending[value]
        emit({"type": "fail", "value": value, "error": "no delivery report from a discarded producer"})


def produce(producer, values):
    """Produces the next value to a random partition: True when produce() took it."""
    global seq
    value = f"{cfg['process']}:{seq}"
    seq += 1
    emit({"type": "send", "value": value})
    while True:
        try:
            producer.produce(cfg["topic"], value=value.encode(), partition=rng.randrange(cfg["partitions"]), on_delivery=on_delivery)
            pending[value] = producer
            values.append(value)
            return True
        except BufferError:
            producer.poll(0.1)
        except KafkaException as e:
            emit({"type": "fail", "value": value, "error": str(e)})
            return False


def abort(producer):
    """Aborts the open transaction: the producer to go on with (a new one when the abort failed)."""
    try:
        retried(lambda: producer.abort_transaction(call_timeout))
        return producer
    except KafkaException as e:
        sys.stderr.write(f"abort_transaction failed: {e}\n")
        discard(producer)
        return initialized()


def try_commit(producer, values, fenced):
    """Tries to commit the open transaction and emits its outcome: None when committed, else the error."""
    try:
        retried(lambda: producer.commit_transaction(call_timeout))
        emit({"type": "txn", "values": values, "outcome": "committed", "fenced": fenced})
        return None
    except KafkaException as e:
        emit({"type": "txn", "values": values, "outcome": "indeterminate", "fenced": fenced, "error": str(e.args[0])})
        return e.args[0]


def commit(producer, values):
    """Commits the open transaction: the producer to go on with."""
    err = try_commit(producer, values, False)
    if err is None:
        return producer
    if err.txn_requires_abort():
        return abort(producer)
    discard(producer)
    return initialized()


def fence(zombie, values):
    """Initializes a successor while `zombie`'s transaction is open, then lets the zombie try to commit: the successor."""
    successor = Producer(config)
    try:
        retried(lambda: successor.init_transactions(call_timeout))
    except KafkaException as e:
        # The successor may or may not have fenced the zombie: its transaction is not committed, only aborted.
        sys.stderr.write(f"the successor's init_transactions failed: {e}\n")
        discard(successor)
        discard(zombie)
        emit({"type": "txn", "values": values, "outcome": "aborted", "fenced": False})
        return initialized()
    produce(zombie, values)
    try_commit(zombie, values, True)
    discard(zombie)
    return successor


producer = initialized()
interval = 1.0 / cfg["rate"]
next_txn = time.monotonic()
while producer is not None and not stopped():
    values = []
    try:
        producer.begin_transaction()
    except KafkaException as e:
        sys.stderr.write(f"begin_transaction failed: {e}\n")
        discard(producer)
        producer = initialized()
        continue
    taken = all(produce(producer, values) for _ in range(rng.randint(1, 5)))
    choice = rng.random()
    if taken and choice < 0.05:
        producer = fence(producer, values)
    elif taken and choice < 0.8:
        producer = commit(producer, values)
    else:
        emit({"type": "txn", "values": values, "outcome": "aborted", "fenced": False})
        producer.flush(call_timeout)  # the aborted records in the log, for read_committed to skip
        producer = abort(producer)
    next_txn = max(next_txn + interval, time.monotonic())
    if producer is not None:
        producer.poll(max(0.0, next_txn - time.monotonic()))

if producer is not None:
    producer.flush(call_timeout)
    discard(producer)
