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
 * without a producer id (-1) or sequence (-1) are not tracked.
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

  /** Remembers an appended batch (also used to rebuild the table from the log). */
  record(batch: IdempotentBatch, baseOffset: bigint, timestamp: bigint): void {
    if (!isIdempotent(batch)) return;
    let entry = this.producers.get(batch.producerId);
    if (!entry || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, batches: [] };
      this.producers.set(batch.producerId, entry);
    }
    entry.batches.push({ firstSequence: batch.baseSequence, lastSequence: lastSequenceOf(batch), baseOffset, timestamp });
    if (entry.batches.length > batchesRememberedPerProducer) entry.batches.shift();
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
}
