/**
 * One segment of a partition log: `<base>.log` (entries, entry-format.ts)
 * with its `<base>.index` (offset-index.ts), `<base>.timeindex`
 * (time-index.ts) and `<base>.txnindex` (txn-index.ts), where <base> is
 * the first offset it may hold.
 *
 * Contract:
 * - `size` counts only whole, accepted entries; bytes past it (a failed
 *   write) are never read and are cut off by the next truncate or close.
 * - Appends write a group of entries with one positional writev at `size`;
 *   the in-memory indexes and statistics change only after the write
 *   succeeded. A failed or short write leaves the segment as it was.
 * - Indexes live in memory and reach disk on `persistIndexes`/`flush`
 *   (roll, flush, close); a segment opened from disk loads them lazily and
 *   checks them against the log: missing, torn, unsorted or inconsistent
 *   indexes are rebuilt by a verifying scan, which also truncates the log
 *   at the first invalid entry (`recover`). An index that merely lacks its
 *   last entries is completed from the tail.
 * - The aborted-transaction index is its owner's (txn-index.ts): loaded on
 *   first use (`loadTxnIndex`; the log loads the active segment's at open,
 *   and a new segment starts with an empty one), appended to and replaced
 *   by the log's owner, cut by `truncateTo`, written with the other indexes.
 * - The log file is a SegmentFile (segment-file.ts): a segment opened from
 *   disk opens it on first use; the active segment (a new one, `activate`,
 *   `truncateTo`) keeps it open, and so does one with writes not yet
 *   fsynced; once sealed and fsynced it is the pool's to close when unused
 *   and opens again on the next read. Sealing cuts bytes a failed write
 *   left past `size` first, so a file closed by the pool has none.
 * - Retiring renames the files to `*.deleted` at once (the segment is gone
 *   for the next open, and its file is never opened again: a read that
 *   would need to gets StorageError 'deleted') and closes/unlinks them after
 *   a delay, once no read holds the segment.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { TimerHandle } from '../clock.ts';
import { relativeOffsetMax } from '../limits.ts';
import { entryHeaderBytes, entryHeaderProblem, readEntryHeader, type EntryHeader } from './entry-format.ts';
import { EntryScanner, type ScannedEntry, type ScanOptions } from './entry-scanner.ts';
import type { StorageEnvironment } from './environment.ts';
import { describeIoError, StorageError } from './errors.ts';
import { deletedSuffix, segmentFileName, segmentSuffix } from './files.ts';
import { readAt, unlinkIfExists, type StorageFile } from './fs.ts';
import { OffsetIndex, offsetIndexEntryBytes } from './offset-index.ts';
import { SegmentFile } from './segment-file.ts';
import { TimeIndex, timeIndexEntryBytes } from './time-index.ts';
import { TxnIndex, type AbortedTxnEntry } from './txn-index.ts';

/** What the segment needs to know about an entry being appended or scanned. */
export interface EntryPlacement {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  entryBytes: number;
}

export interface RecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  problem: string | null;
}

export class Segment {
  readonly baseOffset: number;
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  readonly txnIndexPath: string;
  private readonly env: StorageEnvironment;
  private readonly file: SegmentFile;
  /** Bytes of whole entries. */
  size: number;
  /** Wall-clock time the segment was created or opened (roll by segment.ms without a first batch). */
  readonly createdMs: number;
  private indexIntervalBytes: number;
  private offsetIndex: OffsetIndex;
  private timeIndex: TimeIndex;
  /** Null until loaded (`loadTxnIndex`). */
  private txnIndex: TxnIndex | null = null;
  private txnLoading: Promise<TxnIndex> | null = null;
  private stats: SegmentStats;
  private bytesSinceIndexEntry = 0;
  private loading: Promise<void> | null;
  private sealed = false;
  /** Whether this is the log's active segment (its file stays open). */
  private active: boolean;
  private writes = 0;
  private syncedWrites = 0;
  private refs = 0;
  private idleWaiters: (() => void)[] = [];
  private removal: { timer: TimerHandle | null; done: Promise<void> | null } | null = null;
  /** Whether the files are not (yet, or any more) at this segment's names: its indexes must not be written. */
  private detached = false;

  private constructor(env: StorageEnvironment, dir: string, baseOffset: number, opened: { path: string; file: StorageFile } | null, size: number, indexIntervalBytes: number) {
    this.env = env;
    this.baseOffset = baseOffset;
    this.logPath = path.join(dir, segmentFileName(baseOffset, segmentSuffix.log));
    this.indexPath = path.join(dir, segmentFileName(baseOffset, segmentSuffix.index));
    this.timeIndexPath = path.join(dir, segmentFileName(baseOffset, segmentSuffix.timeIndex));
    this.txnIndexPath = path.join(dir, segmentFileName(baseOffset, segmentSuffix.txnIndex));
    this.active = opened !== null;
    this.file = new SegmentFile(env.fs, env.files, opened?.path ?? this.logPath, opened?.file ?? null, this.active);
    this.size = size;
    this.createdMs = env.clock.wallMs();
    this.indexIntervalBytes = indexIntervalBytes;
    this.offsetIndex = OffsetIndex.empty(env.fs, this.indexPath);
    this.timeIndex = TimeIndex.empty(env.fs, this.timeIndexPath);
    this.stats = emptyStats(baseOffset);
    this.loading = null;
  }

  /**
   * A new, empty segment (any file of that name is emptied). With
   * `pendingSuffix` the log file is `<base>.log<suffix>` (a compaction
   * output) and the segment stays detached until `attach`, after the file
   * was renamed to its final name.
   */
  static async create(env: StorageEnvironment, dir: string, baseOffset: number, indexIntervalBytes: number, pendingSuffix = ''): Promise<Segment> {
    const filePath = path.join(dir, segmentFileName(baseOffset, segmentSuffix.log + pendingSuffix));
    const segment = new Segment(env, dir, baseOffset, { path: filePath, file: await env.fs.open(filePath, 'w+') }, 0, indexIntervalBytes);
    segment.detached = pendingSuffix !== '';
    segment.loading = Promise.resolve();
    segment.offsetIndex.file.clear();
    segment.timeIndex.file.clear();
    segment.txnIndex = TxnIndex.empty(env.fs, segment.txnIndexPath, false); // no file has its name: a removed segment's went with it
    return segment;
  }

  /** An existing segment, not active until `activate`: its file is opened, and its indexes loaded and checked, on first use. */
  static async open(env: StorageEnvironment, dir: string, baseOffset: number, indexIntervalBytes: number): Promise<Segment> {
    const { size } = await env.fs.stat(path.join(dir, segmentFileName(baseOffset, segmentSuffix.log)));
    return new Segment(env, dir, baseOffset, null, size, indexIntervalBytes);
  }

  get name(): string {
    return path.basename(this.logPath);
  }

  /** The offset after the last entry (the base offset when empty). Valid after `load`. */
  get nextOffset(): number {
    return this.stats.nextOffset;
  }

  get maxTimestamp(): number {
    return this.stats.maxTimestamp;
  }

  get offsetOfMaxTimestamp(): number {
    return this.stats.offsetOfMaxTimestamp;
  }

  /** Max timestamp of the first batch, or null when empty (roll by segment.ms). */
  get firstBatchTimestamp(): number | null {
    return this.stats.firstBatchTimestamp;
  }

  get dirty(): boolean {
    return this.writes > this.syncedWrites;
  }

  /** Makes this the log's active segment: it takes appends and keeps its file open. */
  activate(): void {
    this.active = true;
    this.holdFile();
  }

  /** Counts a change to the log file, which the next flush must fsync. */
  private wrote(): void {
    this.writes++;
    this.holdFile();
  }

  private holdFile(): void {
    this.file.hold(this.active || this.dirty);
  }

  setIndexInterval(bytes: number): void {
    this.indexIntervalBytes = bytes;
  }

  /** Whether the indexes might outgrow segment.index.bytes with `pending` more entries and one more. */
  indexFull(segmentIndexBytes: number, pending: number): boolean {
    return (
      (this.offsetIndex.count + pending + 1) * offsetIndexEntryBytes > segmentIndexBytes ||
      (this.timeIndex.count + pending + 1) * timeIndexEntryBytes > segmentIndexBytes
    );
  }

  /** Loads the aborted-transaction index once (a missing file: none); a file with a problem keeps its good entries (logged). */
  async loadTxnIndex(): Promise<void> {
    if (this.txnIndex) return;
    this.txnLoading ??= TxnIndex.load(this.env.fs, this.txnIndexPath).then(
      ({ index, problem }) => {
        if (problem) this.env.logger.warn(`${this.txnIndexPath}: ${problem}; keeping the ${index.count} entries before it`);
        return index;
      },
      (err: unknown) => {
        this.txnLoading = null;
        throw err;
      },
    );
    const loaded = await this.txnLoading;
    this.txnIndex ??= loaded;
  }

  /** Empties the aborted-transaction index, replacing the file (its owner rebuilds it from the log). */
  resetTxnIndex(): void {
    this.txnIndex = TxnIndex.empty(this.env.fs, this.txnIndexPath, true);
  }

  /** Indexes an aborted transaction whose marker this segment holds, after any indexed (the index must be loaded). */
  addAbortedTxn(txn: AbortedTxnEntry): void {
    assert.ok(this.txnIndex, `the aborted-transaction index of ${this.name} is loaded before it is added to`);
    this.txnIndex.append(txn);
  }

  /** The aborted transactions indexed here, in marker order. */
  async abortedTxns(): Promise<AbortedTxnEntry[]> {
    await this.loadTxnIndex();
    const index = this.txnIndex!;
    return Array.from({ length: index.count }, (_, i) => index.entry(i));
  }

  /** Loads and checks the indexes once (see the header comment); a load that failed (the file could not be opened) is tried again by the next. */
  load(): Promise<void> {
    this.loading ??= this.loadIndexes().catch((err: unknown) => {
      this.loading = null;
      throw err;
    });
    return this.loading;
  }

  private async loadIndexes(): Promise<void> {
    const offsets = await OffsetIndex.load(this.env.fs, this.indexPath, this.size);
    const times = await TimeIndex.load(this.env.fs, this.timeIndexPath);
    const problem = offsets.problem ?? times.problem;
    if (problem === null) {
      this.offsetIndex = offsets.index;
      this.timeIndex = times.index;
      const tailProblem = await this.restoreStatsFromTail();
      if (tailProblem === null) return;
      await this.rebuild(`${this.name}: ${tailProblem}`);
      return;
    }
    if (problem !== 'missing' || this.size > 0) await this.rebuild(`${path.basename(offsets.problem ? this.indexPath : this.timeIndexPath)}: ${problem}`);
  }

  private async rebuild(reason: string): Promise<void> {
    this.env.logger.warn(`rebuilding the indexes of ${this.logPath} (${reason})`);
    await this.recover(this.baseOffset);
  }

  /**
   * Recomputes the statistics from the last offset index entry to the end,
   * adding index entries the tail should have had. Returns a problem when
   * the tail or the indexes do not fit the log.
   */
  private async restoreStatsFromTail(): Promise<string | null> {
    const lastIndexed = this.offsetIndex.last();
    const lastTime = this.timeIndex.last();
    const stats = emptyStats(this.baseOffset);
    if (lastTime) {
      stats.maxTimestamp = lastTime.timestamp;
      stats.offsetOfMaxTimestamp = this.baseOffset + lastTime.relativeOffset;
    }
    this.stats = stats;
    this.bytesSinceIndexEntry = 0;
    const scanner = new EntryScanner(this.file, lastIndexed?.position ?? 0, this.size, { headersOnly: true });
    let entry: ScannedEntry | null;
    let first = true;
    while ((entry = await scanner.next())) {
      const { header } = entry;
      if (first && lastIndexed && header.baseOffset !== this.baseOffset + lastIndexed.relativeOffset) {
        return `offset index entry for offset ${this.baseOffset + lastIndexed.relativeOffset} points at offset ${header.baseOffset}`;
      }
      if (header.baseOffset < stats.nextOffset) return `offset ${header.baseOffset} at byte ${entry.position} goes backwards`;
      this.track(header, entry.position);
      first = false;
    }
    if (scanner.problem) return `at byte ${scanner.position}: ${scanner.problem}`;
    if (lastTime && stats.offsetOfMaxTimestamp >= stats.nextOffset) return 'time index points past the last batch';
    if (lastIndexed && stats.firstBatchTimestamp === null) stats.firstBatchTimestamp = await this.readFirstBatchTimestamp();
    return null;
  }

  private async readFirstBatchTimestamp(): Promise<number | null> {
    const bytes = await readAt(this.file, 0, entryHeaderBytes);
    if (entryHeaderProblem(bytes, 0)) return null;
    return readEntryHeader(bytes, 0).maxTimestamp;
  }

  /** Index and statistics bookkeeping for one entry at `position` (Kafka's rule: index after more than the interval). */
  private track(entry: EntryPlacement, position: number): void {
    const stats = this.stats;
    if (stats.firstBatchTimestamp === null && position === 0) stats.firstBatchTimestamp = entry.maxTimestamp;
    if (entry.maxTimestamp > stats.maxTimestamp) {
      stats.maxTimestamp = entry.maxTimestamp;
      stats.offsetOfMaxTimestamp = entry.baseOffset;
    }
    if (this.bytesSinceIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(entry.baseOffset - this.baseOffset, position);
      this.timeIndex.maybeAppend(stats.maxTimestamp, stats.offsetOfMaxTimestamp - this.baseOffset);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += entry.entryBytes;
    stats.nextOffset = entry.lastOffset + 1;
  }

  /**
   * Verifying scan of the file: rebuilds both indexes and the statistics
   * and truncates the file at the first invalid entry (torn, corrupt, or an
   * offset below `firstOffsetMin` or the previous entry's). `onEntry` sees
   * every entry scanned, in order. With `trustedOffset` (the recovery
   * point: entries below it are fsynced, and so are the indexes up to it),
   * the indexes on disk are kept up to their last entry at or below it and
   * the scan starts there; if they do not fit the log, or the scan finds a
   * problem below `trustedOffset`, the whole file is scanned instead.
   */
  async recover(firstOffsetMin: number, onEntry?: (header: EntryHeader) => void, trustedOffset = this.baseOffset): Promise<RecoveryResult> {
    const { size: fileSize } = await this.file.stat();
    const start = trustedOffset > this.baseOffset ? await this.trustedStart(trustedOffset, fileSize) : null;
    if (start === null) {
      this.offsetIndex.file.clear();
      this.timeIndex.file.clear();
      this.stats = emptyStats(this.baseOffset);
    }
    this.bytesSinceIndexEntry = 0;
    const scanner = new EntryScanner(this.file, start?.position ?? 0, fileSize, { verify: true });
    let problem: string | null = null;
    let minimum = Math.max(firstOffsetMin, start?.offset ?? this.baseOffset);
    let entry: ScannedEntry | null;
    while ((entry = await scanner.next())) {
      const { header } = entry;
      if (start && entry.position === start.position && header.baseOffset !== start.offset) {
        problem = `offset index entry for offset ${start.offset} points at offset ${header.baseOffset}`;
        break;
      }
      if (header.baseOffset < minimum) {
        problem = `offset ${header.baseOffset} is below ${minimum}`;
        break;
      }
      if (header.lastOffset - this.baseOffset > relativeOffsetMax) {
        problem = `offset ${header.lastOffset} is too far from the segment base`;
        break;
      }
      this.track(header, entry.position);
      onEntry?.(header);
      minimum = header.lastOffset + 1;
    }
    problem ??= scanner.problem;
    if (start && problem !== null && this.stats.nextOffset < trustedOffset) {
      this.env.logger.warn(`${this.logPath}: ${problem} below the recovery point ${trustedOffset}; scanning the whole file`);
      return this.recover(firstOffsetMin, onEntry);
    }
    const validBytes = problem === null ? scanner.position : (entry?.position ?? scanner.position);
    if (validBytes < fileSize) {
      await this.file.truncate(validBytes);
      this.env.logger.warn(`${this.logPath}: truncated ${fileSize - validBytes} bytes at byte ${validBytes} (${problem ?? 'trailing bytes'})`);
    }
    this.size = validBytes;
    this.wrote(); // the scanned bytes may never have been fsynced: the next flush must
    this.loading = Promise.resolve();
    await this.persistIndexes(false);
    return { validBytes, truncatedBytes: fileSize - validBytes, problem };
  }

  /**
   * Where a recovery may start scanning when the entries below
   * `trustedOffset` are fsynced: the last offset index entry at or below it,
   * with the indexes on disk cut to what lies before it and the statistics
   * they give; null when there is none or the indexes are unusable.
   */
  private async trustedStart(trustedOffset: number, fileSize: number): Promise<{ position: number; offset: number } | null> {
    const offsets = await OffsetIndex.load(this.env.fs, this.indexPath, fileSize);
    const times = await TimeIndex.load(this.env.fs, this.timeIndexPath);
    if (offsets.problem !== null || times.problem !== null) return null;
    const floor = offsets.index.floor(trustedOffset - this.baseOffset);
    if (floor === null) return null;
    offsets.index.truncateToPosition(floor.position + 1);
    times.index.truncateToOffset(floor.relativeOffset + 1);
    this.offsetIndex = offsets.index;
    this.timeIndex = times.index;
    const stats = emptyStats(this.baseOffset);
    const lastTime = times.index.last();
    if (lastTime) {
      stats.maxTimestamp = lastTime.timestamp;
      stats.offsetOfMaxTimestamp = this.baseOffset + lastTime.relativeOffset;
    }
    stats.firstBatchTimestamp = await this.readFirstBatchTimestamp();
    this.stats = stats;
    return { position: floor.position, offset: this.baseOffset + floor.relativeOffset };
  }

  /** The index floor for `offset`: where a scan for it starts. */
  private scanStart(offset: number): number {
    return this.offsetIndex.floor(Math.max(0, offset - this.baseOffset))?.position ?? 0;
  }

  /** Where a scan for the first record at or after `timestamp` may start (time index), as an offset. */
  timestampScanStart(timestamp: number): number {
    const skip = this.timeIndex.lastBelow(timestamp);
    return skip ? this.baseOffset + skip.relativeOffset : this.baseOffset;
  }

  /** A scanner positioned at or before the entry holding `offset`; entries ending below it must be skipped. */
  async scannerFrom(offset: number, options: ScanOptions = {}): Promise<EntryScanner> {
    await this.load();
    return new EntryScanner(this.file, this.scanStart(offset), this.size, options);
  }

  /** The first entry whose last offset is at or above `offset`, or null. */
  async entryAtOrAfter(offset: number): Promise<ScannedEntry | null> {
    const scanner = await this.scannerFrom(offset, { headersOnly: true, chunkBytes: this.indexIntervalBytes + 2 * entryHeaderBytes });
    let entry: ScannedEntry | null;
    while ((entry = await scanner.next())) {
      if (entry.header.lastOffset >= offset) return entry;
    }
    if (scanner.problem) throw this.corruptError(scanner);
    return null;
  }

  /**
   * Whole batches from the one holding `offset`, stopping before a batch
   * starting at or past `limitOffset` and before exceeding `maxBytes`
   * (but at least one batch when `minOneBatch`). The batches are returned
   * back to back in one buffer (usually a view of memory from `allocate`);
   * null when no batch here reaches `offset`.
   */
  async read(offset: number, maxBytes: number, limitOffset: number, minOneBatch: boolean, allocate?: (size: number) => Buffer): Promise<Buffer | null> {
    await this.load();
    const start = this.scanStart(offset);
    const chunkBytes = Math.min(this.size - start, maxBytes + this.indexIntervalBytes + 2 * entryHeaderBytes);
    const scanner = new EntryScanner(this.file, start, this.size, { chunkBytes, allocate });
    const taken: ScannedEntry[] = [];
    let bytes = 0;
    let stoppedEarly = false;
    const decide = (header: EntryHeader): 'take' | 'skip' | 'stop' => {
      if (header.lastOffset < offset) return 'skip';
      if (header.baseOffset >= limitOffset || (bytes + header.batchBytes > maxBytes && (taken.length > 0 || !minOneBatch))) {
        stoppedEarly = true;
        return 'stop';
      }
      return 'take';
    };
    let entry: ScannedEntry | null;
    while (bytes < maxBytes && (entry = await scanner.next(decide))) {
      taken.push(entry);
      bytes += entry.header.batchBytes;
    }
    if (scanner.problem) throw this.corruptError(scanner);
    if (taken.length === 0) return stoppedEarly ? Buffer.alloc(0) : null;
    return joinBatches(taken, bytes);
  }

  /** The error for a scan of this segment that met an invalid entry. */
  corruptError(scanner: EntryScanner): StorageError {
    return new StorageError('corrupt', `${this.logPath} is corrupt at byte ${scanner.position}: ${scanner.problem}; not serving it`);
  }

  /** Writes entries (header and batch buffers, in order) at the end; see the header comment. */
  async append(buffers: Buffer[], entries: EntryPlacement[], bytes: number): Promise<void> {
    const position = this.size;
    let written: number;
    try {
      ({ bytesWritten: written } = await this.file.writev(buffers, position));
    } catch (err) {
      await this.cutBack(position);
      throw new StorageError('ioFailed', `write to ${this.logPath} failed: ${describeIoError(err)}; nothing was appended`, { cause: err });
    }
    if (written !== bytes) {
      await this.cutBack(position);
      throw new StorageError('ioFailed', `write to ${this.logPath} stopped after ${written} of ${bytes} bytes (disk full?); nothing was appended`);
    }
    let at = position;
    for (const entry of entries) {
      this.track(entry, at);
      at += entry.entryBytes;
    }
    this.size = position + bytes;
    this.wrote();
  }

  /** Best effort: drop a failed write's bytes now; otherwise the next write overwrites them and close cuts them. */
  private async cutBack(position: number): Promise<void> {
    await this.file.truncate(position).catch(() => undefined);
  }

  /**
   * Cuts the segment at `position`, the start of the entry `fromOffset`
   * begins (or the end). Indexes and statistics follow.
   */
  async truncateTo(position: number, fromOffset: number): Promise<void> {
    await this.load();
    await this.loadTxnIndex();
    this.txnIndex!.truncateFrom(BigInt(fromOffset));
    this.offsetIndex.truncateToPosition(position);
    this.timeIndex.truncateToOffset(fromOffset - this.baseOffset);
    this.active = true;
    await this.file.truncate(position);
    this.size = position;
    this.wrote();
    this.sealed = false;
    const problem = await this.restoreStatsFromTail();
    if (problem) await this.rebuild(problem);
  }

  /**
   * Marks the segment inactive: cuts bytes past `size`, records its largest
   * timestamp in the time index and writes the indexes. Its file is the
   * pool's once fsynced (`flush`).
   */
  async seal(): Promise<void> {
    await this.load();
    await this.cutTail();
    this.timeIndex.maybeAppend(this.stats.maxTimestamp, this.stats.offsetOfMaxTimestamp - this.baseOffset);
    this.sealed = true;
    this.active = false;
    this.holdFile();
    await this.persistIndexes(false);
  }

  /** Drops bytes past `size` (left by a failed write). */
  private async cutTail(): Promise<void> {
    const { size } = await this.file.stat();
    if (size <= this.size) return;
    await this.file.truncate(this.size);
    this.wrote();
  }

  /** The log file now has its final name (see `create`). */
  attach(): void {
    this.detached = false;
    this.file.renamed(this.logPath);
  }

  async persistIndexes(sync: boolean): Promise<void> {
    if (this.detached) return;
    await this.txnIndex?.persist();
    if (!this.loading) return;
    await this.offsetIndex.file.persist(sync);
    await this.timeIndex.file.persist(sync);
  }

  /**
   * fsyncs the log if written since the last fsync, then the indexes when
   * `indexes` (always for a sealed segment; a recovery point inside the
   * active segment needs them too: `recover`).
   */
  async flush(indexes = this.sealed): Promise<void> {
    if (this.dirty) {
      const writes = this.writes;
      await this.file.datasync();
      this.syncedWrites = Math.max(this.syncedWrites, writes);
      this.holdFile();
    }
    if (indexes) await this.persistIndexes(true);
  }

  /** Waits for reads holding the segment, drops bytes past `size` (left by a failed write; only an open file can have them) and closes the files. */
  async close(): Promise<void> {
    await this.idle();
    try {
      await this.persistIndexes(false);
      if (this.file.isOpen) await this.cutTail();
    } finally {
      await this.file.close();
    }
  }

  // Reference counting: a read holds the segment so retiring it does not close the file underneath.

  acquire(): void {
    this.refs++;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private idle(): Promise<void> {
    return this.refs === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Takes the segment out of service: renames its files to `*.deleted` now
   * (unless a compaction swap already moved them), closes and removes them
   * after `delayMs` (or on `removeNow`) once no read holds it, then calls
   * `onRemoved`.
   */
  async retire(delayMs: number, onRemoved: () => void = () => undefined, renameFiles = true): Promise<void> {
    this.detached = true;
    this.file.retire();
    if (renameFiles) {
      const fs = this.env.fs;
      await fs.rename(this.logPath, this.logPath + deletedSuffix);
      for (const indexPath of [this.indexPath, this.timeIndexPath, this.txnIndexPath]) {
        await fs.rename(indexPath, indexPath + deletedSuffix).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
    }
    const removal: { timer: TimerHandle | null; done: Promise<void> | null } = { timer: null, done: null };
    this.removal = removal;
    removal.timer = this.env.clock.setTimeout(() => {
      this.removeNow().then(onRemoved, (err: Error) => this.env.logger.error(`removing ${this.logPath}: ${err.message}`));
    }, delayMs, { background: true });
  }

  /** Closes and removes a retired segment's files once no read holds it. */
  removeNow(): Promise<void> {
    const removal = this.removal;
    if (!removal) return Promise.resolve();
    this.env.clock.clear(removal.timer);
    removal.timer = null;
    removal.done ??= (async () => {
      await this.idle();
      await this.file.close();
      for (const file of [this.logPath, this.indexPath, this.timeIndexPath, this.txnIndexPath]) await unlinkIfExists(this.env.fs, file + deletedSuffix);
    })();
    return removal.done;
  }
}

interface SegmentStats {
  nextOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  firstBatchTimestamp: number | null;
}

function emptyStats(baseOffset: number): SegmentStats {
  return { nextOffset: baseOffset, maxTimestamp: -1, offsetOfMaxTimestamp: baseOffset, firstBatchTimestamp: null };
}

/**
 * The batches of consecutive entries back to back. When they all sit in one
 * chunk, the batches are slid over the entry headers in place (one memmove
 * per batch, no new buffer); otherwise they are concatenated.
 */
function joinBatches(entries: ScannedEntry[], bytes: number): Buffer {
  const chunk = entries[0].chunk;
  if (entries.length === 1) return entries[0].batch;
  if (!entries.every((e) => e.chunk === chunk)) return Buffer.concat(entries.map((e) => e.batch), bytes);
  const start = entries[0].chunkAt + entryHeaderBytes;
  let write = start;
  for (const e of entries) {
    const from = e.chunkAt + entryHeaderBytes;
    if (from !== write) chunk.copyWithin(write, from, from + e.header.batchBytes);
    write += e.header.batchBytes;
  }
  return chunk.subarray(start, write);
}
