/**
 * The transactions of one partition (KIP-98), kept from its batches in log
 * order beside the producer table: per producer id, the first offset of its
 * open transaction (its first transactional batch since its last marker),
 * and the transactions that ended with an ABORT marker (producer id, first
 * offset, marker offset), which read_committed consumers skip.
 *
 * - `firstUnstableOffset(highWatermark)`: the smallest first offset of a
 *   transaction that is open or whose marker the high watermark has not
 *   passed yet (as Kafka's unreplicated transactions: a marker a new leader
 *   may not have does not end the transaction for readers), or null; the
 *   last stable offset is this capped by the high watermark
 *   (Partition.lastStableOffset), so it never moves back.
 * - `abortedBetween(from, to)`: the aborted transactions that may hold
 *   records in [from, to), oldest first: what a read_committed Fetch
 *   answers with (`aborted_transactions`).
 * - `truncateTo(offset)` forgets what the log no longer holds and reopens
 *   the transactions whose marker it held; `dropBefore(offset)` forgets
 *   aborted transactions whose marker is below the log start.
 * Aborted transactions are kept in memory until the log start passes their
 * marker (rebuilt from the log when the partition opens); committed ones
 * only until the high watermark passes their marker.
 *
 * `toSnapshot` / `fromSnapshot`: the table as plain arrays (bigints as
 * decimal strings) for the producer-state snapshot: { open: [[producerId,
 * firstOffset], ...], aborted: [[producerId, firstOffset, lastOffset],
 * ...], committed: (the same) }; `fromSnapshot` throws on anything else.
 */
import { arrayOf } from './producer-state.ts';

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  /** The offset of the ABORT marker. */
  lastOffset: bigint;
}

export class TransactionTable {
  /** Per producer id, the first offset of its open transaction. */
  private readonly open = new Map<bigint, bigint>();
  /** Aborted transactions, ordered by marker offset. */
  private readonly aborted: AbortedTxn[] = [];
  /** Committed transactions whose marker is not yet below the high watermark (a truncation may reopen them). */
  private readonly committed: AbortedTxn[] = [];

  /** A transactional data batch at `baseOffset`: opens its producer's transaction if none is open. */
  recordData(producerId: bigint, baseOffset: bigint): void {
    if (!this.open.has(producerId)) this.open.set(producerId, baseOffset);
  }

  /** A marker at `offset` ends the producer's open transaction (a marker without one ends nothing). */
  recordMarker(producerId: bigint, commit: boolean, offset: bigint): void {
    const firstOffset = this.open.get(producerId);
    if (firstOffset === undefined) return;
    this.open.delete(producerId);
    (commit ? this.committed : this.aborted).push({ producerId, firstOffset, lastOffset: offset });
  }

  firstUnstableOffset(highWatermark: bigint): bigint | null {
    let first: bigint | null = null;
    const consider = (offset: bigint) => {
      if (first === null || offset < first) first = offset;
    };
    for (const offset of this.open.values()) consider(offset);
    for (const ended of [this.aborted, this.committed]) {
      for (let i = ended.length - 1; i >= 0 && ended[i].lastOffset >= highWatermark; i--) consider(ended[i].firstOffset);
    }
    return first;
  }

  /** The producers with an open transaction and where it starts. */
  openTransactions(): ReadonlyMap<bigint, bigint> {
    return this.open;
  }

  abortedBetween(from: bigint, to: bigint): AbortedTxn[] {
    return this.aborted.filter((t) => t.lastOffset >= from && t.firstOffset < to);
  }

  /** The high watermark reached `offset`: committed markers below it can no longer be truncated away. */
  settledBelow(offset: bigint): void {
    let settled = 0;
    while (settled < this.committed.length && this.committed[settled].lastOffset < offset) settled++;
    this.committed.splice(0, settled);
  }

  /**
   * The log was truncated to `offset`: transactions that start at or after
   * it are forgotten, and those whose marker was at or after it are open
   * again from their first offset (their data below `offset` is still there).
   */
  truncateTo(offset: bigint): void {
    for (const [producerId, first] of this.open) if (first >= offset) this.open.delete(producerId);
    for (const ended of [this.aborted, this.committed]) {
      while (ended.length > 0 && ended.at(-1)!.lastOffset >= offset) {
        const t = ended.pop()!;
        if (t.firstOffset < offset) this.open.set(t.producerId, t.firstOffset);
      }
    }
  }

  toSnapshot(): unknown {
    const ended = (list: AbortedTxn[]) => list.map((t) => [String(t.producerId), String(t.firstOffset), String(t.lastOffset)]);
    return { open: [...this.open].map(([id, first]) => [String(id), String(first)]), aborted: ended(this.aborted), committed: ended(this.committed) };
  }

  static fromSnapshot(snapshot: unknown): TransactionTable {
    const table = new TransactionTable();
    const { open, aborted, committed } = (snapshot ?? {}) as Record<string, unknown>;
    const offsets = (item: unknown) => arrayOf(item).map((v) => BigInt(String(v)));
    for (const item of arrayOf(open)) {
      const [id, first] = offsets(item);
      if (first === undefined) throw new Error('open transaction without its first offset');
      table.open.set(id, first);
    }
    for (const [list, into] of [[aborted, table.aborted], [committed, table.committed]] as const) {
      for (const item of arrayOf(list)) {
        const [producerId, firstOffset, lastOffset] = offsets(item);
        if (lastOffset === undefined || (into.length > 0 && into.at(-1)!.lastOffset > lastOffset)) throw new Error('ended transactions out of order');
        into.push({ producerId, firstOffset, lastOffset });
      }
    }
    return table;
  }

  /** Forgets aborted transactions whose marker lies below `offset` (the log start moved past them). */
  dropBefore(offset: bigint): void {
    const keep = this.aborted.findIndex((t) => t.lastOffset >= offset);
    this.aborted.splice(0, keep === -1 ? this.aborted.length : keep);
  }
}
