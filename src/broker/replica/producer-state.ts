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
 * - reject with OUT_OF_ORDER_SEQUENCE_NUMBER (a gap or an older sequence) or
 *   INVALID_PRODUCER_EPOCH (an epoch older than the one seen).
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
