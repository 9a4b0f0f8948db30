/**
 * A segment's aborted-transaction index (`<base>.txnindex`, Kafka's
 * TransactionIndex): one entry per transaction whose ABORT marker lies in
 * this segment, in marker order, so a read_committed Fetch learns which
 * transactions aborted in what it reads without scanning the log.
 *
 * On disk: 34-byte entries, big-endian, back to back (Kafka's layout):
 *   version i16 (0)
 *   producer id i64
 *   first offset i64 (the transaction's first batch on this partition)
 *   last offset i64 (its ABORT marker, in this segment)
 *   last stable offset i64 (once the marker was written: the first offset
 *     of the oldest transaction still open, else the marker's offset + 1;
 *     no transaction open then starts below it, so a search for
 *     transactions starting below X can stop at an entry where it is >= X)
 * A segment without aborted transactions has no file.
 *
 * The index is derived from the log, and its owner keeps it (the broker's
 * partition, through Log.recordAbortedTxn / resetAbortedTxns): it is
 * trusted exactly when the producer-state snapshot is (a clean shutdown,
 * files.ts), and rebuilt with the producer state from the log otherwise.
 * So a write needs no ordering with the log's: it is written when the
 * segment's other indexes are (seal, flush of a sealed segment, close),
 * with an fsync, before a clean close leaves its marker.
 */
import assert from 'node:assert/strict';
import type { StorageFs } from './fs.ts';
import { unlinkIfExists } from './fs.ts';
import { IndexFile } from './index-file.ts';

export const txnIndexEntryBytes = 34;
const version = 0;
const field = { version: 0, producerId: 2, firstOffset: 10, lastOffset: 18, lastStableOffset: 26 } as const;

export interface AbortedTxnEntry {
  producerId: bigint;
  firstOffset: bigint;
  /** The offset of the ABORT marker. */
  lastOffset: bigint;
  lastStableOffset: bigint;
}

export class TxnIndex {
  private readonly fs: StorageFs;
  private file: IndexFile;
  /** Whether a file may be on disk (removed when the index is persisted empty). */
  private mayHaveFile: boolean;

  private constructor(fs: StorageFs, file: IndexFile, mayHaveFile: boolean) {
    this.fs = fs;
    this.file = file;
    this.mayHaveFile = mayHaveFile;
  }

  /** An index with no entries; `replacing` whatever file is there (an index rebuilt from the log, or a new segment's). */
  static empty(fs: StorageFs, path: string, replacing: boolean): TxnIndex {
    return new TxnIndex(fs, new IndexFile(fs, path, txnIndexEntryBytes), replacing);
  }

  /** The file's entries (none when it is missing); `problem` says what was wrong with it (a torn tail or an unknown version is dropped). */
  static async load(fs: StorageFs, path: string): Promise<{ index: TxnIndex; problem: string | null }> {
    const loaded = await IndexFile.load(fs, path, txnIndexEntryBytes);
    const index = new TxnIndex(fs, loaded.index, loaded.problem !== 'missing');
    let problem = loaded.problem === 'missing' ? null : loaded.problem;
    const bad = index.firstBadEntry();
    if (bad !== null) {
      problem ??= `entry ${bad} has an unknown version or goes backwards`;
      index.file.truncate(bad);
    }
    return { index, problem };
  }

  private firstBadEntry(): number | null {
    for (let i = 0; i < this.file.count; i++) {
      if (this.file.int16(i, field.version) !== version) return i;
      if (i > 0 && this.entry(i).lastOffset <= this.entry(i - 1).lastOffset) return i;
    }
    return null;
  }

  get count(): number {
    return this.file.count;
  }

  entry(i: number): AbortedTxnEntry {
    return {
      producerId: this.file.bigint64(i, field.producerId),
      firstOffset: this.file.bigint64(i, field.firstOffset),
      lastOffset: this.file.bigint64(i, field.lastOffset),
      lastStableOffset: this.file.bigint64(i, field.lastStableOffset),
    };
  }

  /** Adds an aborted transaction whose marker comes after every one here. */
  append(txn: AbortedTxnEntry): void {
    assert.ok(this.count === 0 || txn.lastOffset > this.entry(this.count - 1).lastOffset, 'aborted transactions are indexed in marker order');
    this.file.push((buf, at) => {
      buf.writeInt16BE(version, at + field.version);
      buf.writeBigInt64BE(txn.producerId, at + field.producerId);
      buf.writeBigInt64BE(txn.firstOffset, at + field.firstOffset);
      buf.writeBigInt64BE(txn.lastOffset, at + field.lastOffset);
      buf.writeBigInt64BE(txn.lastStableOffset, at + field.lastStableOffset);
    });
    this.mayHaveFile = true;
  }

  /** Drops the transactions whose marker is at or after `offset` (the log was truncated there). */
  truncateFrom(offset: bigint): void {
    let keep = this.count;
    while (keep > 0 && this.entry(keep - 1).lastOffset >= offset) keep--;
    this.file.truncate(keep);
  }

  /** Writes and fsyncs what changed; an index left empty has no file. */
  async persist(): Promise<void> {
    if (this.count > 0) return this.file.persist(true);
    if (!this.mayHaveFile) return;
    await unlinkIfExists(this.fs, this.file.path);
    this.mayHaveFile = false;
    this.file = new IndexFile(this.fs, this.file.path, txnIndexEntryBytes);
  }
}
