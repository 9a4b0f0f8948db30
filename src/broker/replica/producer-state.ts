/**
 * Idempotent-producer bookkeeping for one partition: per producer id, its
 * epoch and the sequence ranges and offsets of its last five batches.
 *
 * `check` decides what to do with an incoming batch before it is appended:
 * - append: sequences continue (last sequence + 1, wrapping at 2^31), or a
 *   new epoch starts at sequence 0, or the producer is not known here (its
 *   state may have been lost to retention);
 * - duplicate: the same sequence range as one of the last five batches, to
 *   be answered with that batch's original base offset and not appended;
 * - reject, not yet: the batch skips sequences of its epoch that this
 *   leader has not written (the producer's earlier batches are in flight
 *   elsewhere or were refused here): answered NOT_LEADER_OR_FOLLOWER, which
 *   every client retries after refreshing its metadata, not persisted, in
 *   sequence order. A pipelining client sees such gaps in ordinary
 *   failovers: an old leader answers a batch while the next already went to
 *   the new one (librdkafka 2.0.2 re-queues a failed batch only after
 *   another thread may have sent the next), or a batch is refused (lease,
 *   ISR) and the next one is checked after the cause is gone. Answered
 *   OUT_OF_ORDER_SEQUENCE_NUMBER, as Kafka does, librdkafka bumps its
 *   producer epoch and renumbers every batch it is about to retry, on every
 *   partition, writing a second copy of any that a leader had written
 *   without acknowledging it;
 * - reject with OUT_OF_ORDER_SEQUENCE_NUMBER (an older sequence, not one of
 *   the last five batches) or INVALID_PRODUCER_EPOCH (an epoch older than
 *   the one seen).
 * `record` is called after the append with the offsets assigned. Batches
 * without a producer id (-1) or sequence (-1) are not tracked; a batch with
 * a producer id but no sequence (the group coordinator's TxnOffsetCommit,
 * as Kafka's coordinator-origin appends) is only checked for its epoch, so
 * a fenced producer's offsets are refused (INVALID_PRODUCER_EPOCH).
 *
 * Transaction markers (control batches, sequence -1) go through
 * `checkMarker` and `recordMarker`: a marker of an epoch older than the
 * producer's is INVALID_PRODUCER_EPOCH, one from a coordinator epoch older
 * than the last marker's is TRANSACTION_COORDINATOR_FENCED; a marker of a
 * newer epoch (the coordinator bumped it to fence a zombie) moves the
 * producer to that epoch, so the old epoch's batches are refused after it.
 *
 * `expire(before, open)` forgets the producers whose last batch or marker
 * has a timestamp before `before` (producer.id.expiration.ms ago), except
 * those with a transaction open here (Kafka's producer expiry): a
 * producer idle that long starts afresh, as an unknown one.
 *
 * `toSnapshot` / `fromSnapshot`: the table as plain arrays (bigints as
 * decimal strings) for the producer-state snapshot: [[producerId, epoch,
 * coordinatorEpoch, [[firstSequence, lastSequence, baseOffset, timestamp],
 * ...], lastTimestamp], ...]; `fromSnapshot` throws on anything else.
 */
import { ErrorCode } from '../../protocol/errors.ts';

export const batchesRememberedPerProducer = 5;
const sequenceMax = 0x7fffffff;

interface RememberedBatch {
  firstSequence: number;
  lastSequence: number;
  baseOffset: bigint;
  timestamp: bigint;
}

interface ProducerEntry {
  epoch: number;
  batches: RememberedBatch[];
  /** The coordinator epoch of its last marker (-1: none). */
  coordinatorEpoch: number;
  /** The timestamp of its last batch or marker (ms since the epoch), which its expiry goes by. */
  lastTimestamp: bigint;
}

export interface ProducerSummary {
  producerId: bigint;
  epoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number;
}

export interface IdempotentBatch {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export type SequenceCheck =
  | { action: 'append' }
  | { action: 'duplicate'; baseOffset: bigint; timestamp: bigint }
  | { action: 'reject'; errorCode: number; message: string };

const appendAction: SequenceCheck = { action: 'append' };

function lastSequenceOf(batch: IdempotentBatch): number {
  return (batch.baseSequence + batch.recordCount - 1) % (sequenceMax + 1);
}

export function isIdempotent(batch: IdempotentBatch): boolean {
  return batch.producerId >= 0n && batch.baseSequence >= 0;
}

/** Whether sequence `a` comes before `b` (less than half the wrapping sequence space ahead of `a`). */
function precedes(a: number, b: number): boolean {
  const ahead = (b - a + sequenceMax + 1) % (sequenceMax + 1);
  return ahead > 0 && ahead <= sequenceMax >> 1;
}

export class ProducerStateTable {
  private readonly producers = new Map<bigint, ProducerEntry>();

  check(batch: IdempotentBatch): SequenceCheck {
    if (batch.producerId >= 0n && batch.baseSequence < 0) return this.checkEpoch(batch.producerId, batch.producerEpoch);
    if (!isIdempotent(batch)) return appendAction;
    const entry = this.producers.get(batch.producerId);
    if (!entry) return appendAction;
    if (batch.producerEpoch < entry.epoch) {
      return { action: 'reject', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer epoch ${batch.producerEpoch} is older than ${entry.epoch}` };
    }
    if (batch.producerEpoch > entry.epoch) {
      return batch.baseSequence === 0
        ? appendAction
        : { action: 'reject', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `a new producer epoch must start at sequence 0, got ${batch.baseSequence}` };
    }
    const last = lastSequenceOf(batch);
    const duplicate = entry.batches.find((b) => b.firstSequence === batch.baseSequence && b.lastSequence === last);
    if (duplicate) return { action: 'duplicate', baseOffset: duplicate.baseOffset, timestamp: duplicate.timestamp };
    const expected = entry.batches.length === 0 ? batch.baseSequence : (entry.batches.at(-1)!.lastSequence + 1) % (sequenceMax + 1);
    if (precedes(expected, batch.baseSequence)) {
      const message = `sequence ${batch.baseSequence} skips sequence ${expected}, which this leader has not written: retry the producer's earlier batches first`;
      return { action: 'reject', errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, message };
    }
    if (batch.baseSequence !== expected) {
      return { action: 'reject', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `expected sequence ${expected}, got ${batch.baseSequence}` };
    }
    return appendAction;
  }

  private checkEpoch(producerId: bigint, producerEpoch: number): SequenceCheck {
    const known = this.producers.get(producerId)?.epoch;
    if (known === undefined || producerEpoch >= known) return appendAction;
    return { action: 'reject', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer epoch ${producerEpoch} is older than ${known}` };
  }

  /** Remembers an appended batch (also used to rebuild the table from the log). */
  record(batch: IdempotentBatch, baseOffset: bigint, timestamp: bigint): void {
    if (!isIdempotent(batch)) return;
    let entry = this.producers.get(batch.producerId);
    if (!entry || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, batches: [], coordinatorEpoch: entry?.coordinatorEpoch ?? -1, lastTimestamp: timestamp };
      this.producers.set(batch.producerId, entry);
    }
    if (timestamp > entry.lastTimestamp) entry.lastTimestamp = timestamp;
    entry.batches.push({ firstSequence: batch.baseSequence, lastSequence: lastSequenceOf(batch), baseOffset, timestamp });
    if (entry.batches.length > batchesRememberedPerProducer) entry.batches.shift();
  }

  checkMarker(producerId: bigint, producerEpoch: number, coordinatorEpoch: number): SequenceCheck {
    const entry = this.producers.get(producerId);
    if (!entry) return appendAction;
    if (producerEpoch < entry.epoch) {
      return { action: 'reject', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `marker of producer epoch ${producerEpoch} is older than ${entry.epoch}` };
    }
    if (coordinatorEpoch < entry.coordinatorEpoch) {
      return { action: 'reject', errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED, message: `marker of coordinator epoch ${coordinatorEpoch} is older than ${entry.coordinatorEpoch}` };
    }
    return appendAction;
  }

  /** Remembers an appended marker's epochs and timestamp (also used to rebuild the table from the log). */
  recordMarker(producerId: bigint, producerEpoch: number, coordinatorEpoch: number, timestamp: bigint): void {
    const entry = this.producers.get(producerId);
    if (!entry || producerEpoch > entry.epoch) {
      this.producers.set(producerId, { epoch: producerEpoch, batches: [], coordinatorEpoch, lastTimestamp: timestamp });
    } else {
      entry.coordinatorEpoch = Math.max(entry.coordinatorEpoch, coordinatorEpoch);
      if (timestamp > entry.lastTimestamp) entry.lastTimestamp = timestamp;
    }
  }

  /** Forgets the producers idle since before `before` without a transaction in `open` (see the header). */
  expire(before: bigint, open: ReadonlyMap<bigint, unknown>): void {
    for (const [id, entry] of this.producers) if (entry.lastTimestamp < before && !open.has(id)) this.producers.delete(id);
  }

  /** Forgets batches at or after `offset` (after a log truncation). */
  truncateTo(offset: bigint): void {
    for (const [id, entry] of this.producers) {
      entry.batches = entry.batches.filter((b) => b.baseOffset < offset);
      if (entry.batches.length === 0) this.producers.delete(id);
    }
  }

  get size(): number {
    return this.producers.size;
  }

  /** Each producer's epoch, last sequence and timestamp (-1 without a batch) and coordinator epoch, for DescribeProducers. */
  describe(): ProducerSummary[] {
    return [...this.producers].map(([producerId, entry]) => {
      const last = entry.batches.at(-1);
      return { producerId, epoch: entry.epoch, lastSequence: last?.lastSequence ?? -1, lastTimestamp: last?.timestamp ?? -1n, coordinatorEpoch: entry.coordinatorEpoch };
    });
  }

  toSnapshot(): unknown {
    return [...this.producers].map(([id, e]) => [
      String(id),
      e.epoch,
      e.coordinatorEpoch,
      e.batches.map((b) => [b.firstSequence, b.lastSequence, String(b.baseOffset), String(b.timestamp)]),
      String(e.lastTimestamp),
    ]);
  }

  static fromSnapshot(snapshot: unknown): ProducerStateTable {
    const table = new ProducerStateTable();
    for (const item of arrayOf(snapshot)) {
      const [id, epoch, coordinatorEpoch, batches, lastTimestamp] = arrayOf(item);
      if (lastTimestamp === undefined) throw new Error('a producer without its last timestamp');
      const remembered = arrayOf(batches).map((b) => {
        const [firstSequence, lastSequence, baseOffset, timestamp] = arrayOf(b);
        return { firstSequence: int(firstSequence), lastSequence: int(lastSequence), baseOffset: BigInt(String(baseOffset)), timestamp: BigInt(String(timestamp)) };
      });
      if (remembered.length > batchesRememberedPerProducer) throw new Error('too many batches for one producer');
      table.producers.set(BigInt(String(id)), { epoch: int(epoch), coordinatorEpoch: int(coordinatorEpoch), batches: remembered, lastTimestamp: BigInt(String(lastTimestamp)) });
    }
    return table;
  }
}

/** Snapshot decoding: `value` as an array, else throws. */
export function arrayOf(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error('not an array');
  return value;
}

/** Snapshot decoding: `value` as a safe integer, else throws. */
export function int(value: unknown): number {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${String(value)}`);
  return value as number;
}
