/**
 * The transactions of one partition (KIP-98), kept from its batches in log
 * order beside the producer table: per producer id, the first offset of its
 * open transaction (its first transactional batch since its last marker),
 * and the transactions ended by a marker the high watermark has not passed
 * yet (producer id, first offset, marker offset, commit or abort), which a
 * truncation may reopen. Which transactions aborted, for read_committed
 * consumers, is kept on disk beside the segments (storage txn-index.ts,
 * written by the partition as markers are recorded).
 *
 * - `recordMarker` answers the transaction a marker ended (null: none was
 *   open), so the partition can index an abort.
 * - `firstUnstableOffset(highWatermark)`: the smallest first offset of a
 *   transaction that is open or whose marker the high watermark has not
 *   passed yet (as Kafka's unreplicated transactions: a marker a new leader
 *   may not have does not end the transaction for readers), or null; the
 *   last stable offset is this capped by the high watermark
 *   (Partition.lastStableOffset), so it never moves back.
 * - `firstOpenOffset()`: the smallest first offset of an open transaction
 *   (an aborted transaction's indexed last stable offset).
 * - `truncateTo(offset)` forgets what the log no longer holds and reopens
 *   the transactions whose marker it held; `settledBelow(offset)` forgets
 *   ended transactions whose marker the high watermark passed.
 *
 * `toSnapshot` / `fromSnapshot`: the table as plain arrays (bigints as
 * decimal strings) for the producer-state snapshot: { open: [[producerId,
 * firstOffset], ...], ended: [[producerId, firstOffset, lastOffset,
 * commit], ...] }; `fromSnapshot` throws on anything else (an older
 * snapshot's shape too: the partition then rebuilds from the log, and with
 * it the aborted-transaction indexes).
 */
import { arrayOf } from './producer-state.ts';

export interface EndedTxn {
  producerId: bigint;
  firstOffset: bigint;
  /** The offset of the marker. */
  lastOffset: bigint;
  commit: boolean;
}

export class TransactionTable {
  /** Per producer id, the first offset of its open transaction. */
  private readonly open = new Map<bigint, bigint>();
  /** Ended transactions whose marker is not yet below the high watermark, ordered by marker offset. */
  private readonly ended: EndedTxn[] = [];

  /** A transactional data batch at `baseOffset`: opens its producer's transaction if none is open. */
  recordData(producerId: bigint, baseOffset: bigint): void {
    if (!this.open.has(producerId)) this.open.set(producerId, baseOffset);
  }

  /** A marker at `offset` ends the producer's open transaction, which it answers (a marker without one ends nothing: null). */
  recordMarker(producerId: bigint, commit: boolean, offset: bigint): EndedTxn | null {
    const firstOffset = this.open.get(producerId);
    if (firstOffset === undefined) return null;
    this.open.delete(producerId);
    const txn = { producerId, firstOffset, lastOffset: offset, commit };
    this.ended.push(txn);
    return txn;
  }

  firstUnstableOffset(highWatermark: bigint): bigint | null {
    let first = this.firstOpenOffset();
    for (let i = this.ended.length - 1; i >= 0 && this.ended[i].lastOffset >= highWatermark; i--) {
      if (first === null || this.ended[i].firstOffset < first) first = this.ended[i].firstOffset;
    }
    return first;
  }

  firstOpenOffset(): bigint | null {
    let first: bigint | null = null;
    for (const offset of this.open.values()) if (first === null || offset < first) first = offset;
    return first;
  }

  /** The producers with an open transaction and where it starts. */
  openTransactions(): ReadonlyMap<bigint, bigint> {
    return this.open;
  }

  /** The high watermark reached `offset`: markers below it can no longer be truncated away. */
  settledBelow(offset: bigint): void {
    let settled = 0;
    while (settled < this.ended.length && this.ended[settled].lastOffset < offset) settled++;
    this.ended.splice(0, settled);
  }

  /**
   * The log was truncated to `offset`: transactions that start at or after
   * it are forgotten, and those whose marker was at or after it are open
   * again from their first offset (their data below `offset` is still there).
   */
  truncateTo(offset: bigint): void {
    for (const [producerId, first] of this.open) if (first >= offset) this.open.delete(producerId);
    while (this.ended.length > 0 && this.ended.at(-1)!.lastOffset >= offset) {
      const t = this.ended.pop()!;
      if (t.firstOffset < offset) this.open.set(t.producerId, t.firstOffset);
    }
  }

  toSnapshot(): unknown {
    return {
      open: [...this.open].map(([id, first]) => [String(id), String(first)]),
      ended: this.ended.map((t) => [String(t.producerId), String(t.firstOffset), String(t.lastOffset), t.commit]),
    };
  }

  static fromSnapshot(snapshot: unknown): TransactionTable {
    const table = new TransactionTable();
    const { open, ended } = (snapshot ?? {}) as Record<string, unknown>;
    const offsets = (item: unknown) => arrayOf(item).map((v) => BigInt(String(v)));
    for (const item of arrayOf(open)) {
      const [id, first] = offsets(item);
      if (first === undefined) throw new Error('open transaction without its first offset');
      table.open.set(id, first);
    }
    for (const item of arrayOf(ended)) {
      const [producerId, firstOffset, lastOffset] = offsets(arrayOf(item).slice(0, 3));
      const commit = arrayOf(item)[3];
      if (lastOffset === undefined || typeof commit !== 'boolean') throw new Error('an ended transaction without its marker');
      if (table.ended.length > 0 && table.ended.at(-1)!.lastOffset > lastOffset) throw new Error('ended transactions out of order');
      table.ended.push({ producerId, firstOffset, lastOffset, commit });
    }
    return table;
  }
}
