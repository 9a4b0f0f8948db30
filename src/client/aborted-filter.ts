/**
 * read_committed on the client side (KIP-98), for one partition's Fetch
 * answer: the broker reads below the last stable offset and lists the
 * aborted transactions (producer id, first offset) with records in what it
 * returned; walking the batches in offset order, a producer's
 * transactional batches are dropped from its aborted transaction's first
 * offset until its ABORT marker. Control batches are never records.
 * A filter serves one answer: the next answer lists again what still
 * concerns it.
 */
import type { RecordBatch } from '../protocol/records/record-batch.ts';

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

export class AbortedFilter {
  /** Not yet reached, by first offset. */
  private readonly pending: AbortedTransaction[];
  /** Producers inside an aborted transaction at the current batch. */
  private readonly aborting = new Set<bigint>();

  constructor(aborted: readonly AbortedTransaction[] | null) {
    this.pending = [...(aborted ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /** Whether the batch's records are to be dropped; call for every batch in offset order. */
  drops(batch: Pick<RecordBatch, 'baseOffset' | 'lastOffsetDelta' | 'producerId' | 'transactional' | 'control'>): boolean {
    const lastOffset = batch.baseOffset + BigInt(batch.lastOffsetDelta);
    while (this.pending.length > 0 && this.pending[0].firstOffset <= lastOffset) this.aborting.add(this.pending.shift()!.producerId);
    if (batch.control) {
      this.aborting.delete(batch.producerId); // its marker ends the transaction (a commit marker of an aborting producer cannot occur)
      return true;
    }
    return batch.transactional && this.aborting.has(batch.producerId);
  }
}
