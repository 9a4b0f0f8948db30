/**
 * The in-memory replicated log of one Raft node: the latest snapshot (which
 * stands for every entry below its end offset) and the entries after it.
 * No I/O: the node reports every change as a LogWrite and the host makes it
 * durable (persistence.ts); on restart the node is rebuilt from what the
 * host persisted.
 *
 * Contract:
 * - Offsets are contiguous from `startOffset` (the snapshot's end offset, 0
 *   without one) to `endOffset` (exclusive); epochs never decrease along
 *   the log and never fall below the snapshot's epoch (the "base" epoch,
 *   0 without a snapshot), which is the epoch of offset startOffset - 1.
 * - `endOffsetForEpoch(e)` answers like Kafka's OffsetForLeaderEpoch: the
 *   largest epoch <= e this log holds and the offset where it ends (the
 *   first offset of a later epoch, or the log end); null for e below the
 *   base epoch.
 * - `fetchPosition` is the leader's check of a follower's (fetchOffset,
 *   lastFetchedEpoch): valid, diverging (with the leader's end of the
 *   largest epoch <= lastFetchedEpoch), or below what the log holds
 *   (fetch the snapshot instead). `divergenceEnd` is the follower's side:
 *   the offset its log agrees with the leader's up to, after a diverging
 *   answer.
 */
import assert from 'node:assert/strict';
import { entryOverheadBytes } from './constants.ts';

export type EntryKind = 'data' | 'leaderChange';

export interface LogEntry {
  readonly offset: number;
  readonly epoch: number;
  /** `leaderChange` is the control entry a leader writes first in its epoch; its payload is empty. */
  readonly kind: EntryKind;
  readonly payload: Uint8Array;
}

/** A log position: the log up to `endOffset` (exclusive), whose last entry has `epoch` (Kafka's EpochEndOffset). */
export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

/** Kafka's SnapshotId: the snapshot covers offsets below endOffset; epoch is that of offset endOffset - 1. */
export type SnapshotId = EpochEndOffset;

export interface Snapshot {
  readonly id: SnapshotId;
  /** The host's applied state at id.endOffset, opaque to Raft. */
  readonly data: Uint8Array;
}

export type FetchPosition =
  | { readonly kind: 'valid' }
  | { readonly kind: 'diverging'; readonly diverging: EpochEndOffset }
  | { readonly kind: 'snapshot'; readonly snapshotId: SnapshotId };

const emptyBase: EpochEndOffset = { epoch: 0, endOffset: 0 };

export class RaftLog {
  private snapshot: Snapshot | null;
  private entries: LogEntry[];

  constructor(snapshot: Snapshot | null, entries: readonly LogEntry[]) {
    this.snapshot = snapshot;
    this.entries = [];
    for (const entry of entries) this.append(entry);
  }

  get startOffset(): number {
    return this.base.endOffset;
  }

  get endOffset(): number {
    return this.base.endOffset + this.entries.length;
  }

  /** Epoch of the last entry, or the base epoch when the log holds no entries. */
  get lastEpoch(): number {
    return this.entries.at(-1)?.epoch ?? this.base.epoch;
  }

  get latestSnapshot(): Snapshot | null {
    return this.snapshot;
  }

  private get base(): EpochEndOffset {
    return this.snapshot?.id ?? emptyBase;
  }

  entryAt(offset: number): LogEntry | undefined {
    return this.entries[offset - this.startOffset];
  }

  /** Epoch of the entry at `offset`, which may be startOffset - 1 (the base epoch). */
  epochAt(offset: number): number {
    if (offset === this.startOffset - 1) return this.base.epoch;
    const entry = this.entryAt(offset);
    assert.ok(entry, `no entry at offset ${offset}`);
    return entry.epoch;
  }

  append(entry: LogEntry): void {
    assert.equal(entry.offset, this.endOffset, 'entries continue the log');
    assert.ok(entry.epoch >= this.lastEpoch, 'epochs never decrease along the log');
    this.entries.push(entry);
  }

  /** Removes the entries at and after `offset`. */
  truncateTo(offset: number): void {
    assert.ok(offset >= this.startOffset, 'truncation stays within the log');
    assert.ok(offset <= this.endOffset, 'truncation stays within the log');
    this.entries.length = offset - this.startOffset;
  }

  /** Entries from `offset` (which must be in [startOffset, endOffset]) up to about maxBytes, at least one. */
  read(offset: number, maxBytes: number): LogEntry[] {
    assert.ok(offset >= this.startOffset, 'reads start within the log');
    assert.ok(offset <= this.endOffset, 'reads start within the log');
    const out: LogEntry[] = [];
    let bytes = 0;
    for (let i = offset - this.startOffset; i < this.entries.length; i++) {
      const entry = this.entries[i];
      const size = entry.payload.length + entryOverheadBytes;
      if (out.length > 0 && bytes + size > maxBytes) break;
      out.push(entry);
      bytes += size;
    }
    return out;
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset | null {
    if (epoch < this.base.epoch) return null;
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.entries[mid].epoch <= epoch) low = mid + 1;
      else high = mid;
    }
    return {
      epoch: low === 0 ? this.base.epoch : this.entries[low - 1].epoch,
      endOffset: low === this.entries.length ? this.endOffset : this.entries[low].offset,
    };
  }

  fetchPosition(fetchOffset: number, lastFetchedEpoch: number): FetchPosition {
    const base = this.base;
    const belowLog = fetchOffset < base.endOffset || lastFetchedEpoch < base.epoch;
    const baseMismatch = fetchOffset === base.endOffset && lastFetchedEpoch !== base.epoch;
    if (belowLog || baseMismatch) {
      if (this.snapshot) return { kind: 'snapshot', snapshotId: this.snapshot.id };
      return { kind: 'diverging', diverging: base };
    }
    const own = this.endOffsetForEpoch(lastFetchedEpoch);
    assert.ok(own, 'an epoch at or above the base epoch has an end offset');
    if (own.epoch !== lastFetchedEpoch || own.endOffset < fetchOffset) return { kind: 'diverging', diverging: own };
    return { kind: 'valid' };
  }

  /**
   * Where this log stops agreeing with a leader that answered "diverging":
   * entries of the leader's epoch end at the smaller of the two ends; if
   * this log lacks that epoch, its own entries of earlier epochs end at
   * its end for that epoch, which is never past the leader's. Null when
   * the epoch is below this log's snapshot (no consistent leader says so).
   */
  divergenceEnd(diverging: EpochEndOffset): number | null {
    const own = this.endOffsetForEpoch(diverging.epoch);
    return own && Math.min(own.endOffset, diverging.endOffset);
  }

  /** Takes a snapshot of the committed prefix: entries below its end offset go. */
  compactTo(snapshot: Snapshot): void {
    assert.ok(snapshot.id.endOffset > this.startOffset, 'a new snapshot moves the log start forward');
    assert.ok(snapshot.id.endOffset <= this.endOffset, 'a snapshot covers only entries the log holds');
    assert.equal(snapshot.id.epoch, this.epochAt(snapshot.id.endOffset - 1), 'snapshot epoch is its last entry\'s');
    this.entries = this.entries.slice(snapshot.id.endOffset - this.startOffset);
    this.snapshot = snapshot;
  }

  /** Installs a snapshot fetched from the leader past this log's end (the caller truncated it first): the log restarts empty at its end offset. */
  resetTo(snapshot: Snapshot): void {
    assert.ok(snapshot.id.endOffset > this.endOffset, 'a fetched snapshot lies past the log end');
    this.entries = [];
    this.snapshot = snapshot;
  }
}
