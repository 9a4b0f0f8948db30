/**
 * A partition log: an ordered list of segments (segment.ts) in one
 * directory, of which the last is active and takes appends. Files and their
 * formats: files.ts, entry-format.ts, offset-index.ts, time-index.ts,
 * txn-index.ts, checkpoint.ts, leader-epoch-cache.ts.
 *
 * Contract (offsets and timestamps are bigint on this surface):
 * - `append(batch, leaderEpoch)` assigns the next offsets by patching the
 *   batch's baseOffset and partitionLeaderEpoch in place (both outside the
 *   batch CRC, which the caller has checked); `appendAsFollower(batch)`
 *   keeps the leader's offsets and rejects a batch that does not continue
 *   the log. Appends are written in call order; appends that queue up while
 *   a write is in flight go out together in one writev (group commit).
 *   An append resolves once written, and also fsynced when flush.messages
 *   or flush.ms call for it. A failed write (disk full) rejects its appends
 *   with nothing visible, and the log stays readable and appendable.
 * - `read(offset, maxBytes)` returns whole stored batches, byte for byte as
 *   appended, back to back, from the one holding `offset`; at least one
 *   batch even past maxBytes unless `minOneBatch` is false; never a batch
 *   starting at or past `maxOffset` (the high watermark for consumers).
 * - The segment roll (segment.bytes/ms/index.bytes), retention
 *   (retention.ms/bytes, never the active segment, never above the high
 *   watermark), truncation, DeleteRecords and compaction keep
 *   0 <= logStartOffset <= highWatermark <= logEndOffset <= offsetMax,
 *   asserted after every change (`assertOffsets`). These are the log's own
 *   invariants: callers check what clients and peers send before it gets
 *   here (a truncation or restart below 0 is refused by an assertion too),
 *   so a failed assertion is a bug.
 * - Durability: data below `recoveryPoint` is fsynced, and so are the
 *   indexes up to it. Rolling fsyncs the old segment in the background;
 *   `flushRecoveryPoint` (the log manager's, periodically) fsyncs up to
 *   the log end in the background and checkpoints the recovery point.
 *   Truncation writes the lowered recovery point first; DeleteRecords
 *   writes the new log start offset before removing files. Other
 *   checkpoint changes are written by `checkpoint()` (the log manager calls
 *   it periodically) and `close()`, which also leaves the clean-shutdown
 *   marker.
 * - Aborted transactions (txn-index.ts) are the owner's to record:
 *   `recordAbortedTxn` indexes one in the segment holding its marker,
 *   `resetAbortedTxns` empties every segment's index before the owner
 *   rebuilds them from the log, and `abortedTxns(from, to)` answers a
 *   read_committed read from the indexes; truncation, retention and
 *   compaction keep them with their segments.
 * - After an I/O error whose effect is unknown (an fsync failed), the log
 *   goes offline: reads work, writes fail until it is reopened.
 */
import assert from 'node:assert/strict';
import { offsets as batchField, patchBatchOffsets, readBatchHeader, type BatchHeader } from '../protocol/records/batch-header.ts';
import { offsetMax, relativeOffsetMax, writeGroupBytesMax, writevBuffersMax } from '../limits.ts';
import { writeAtomically, writePartitionCheckpoint, type PartitionCheckpoint } from './checkpoint.ts';
import { compactLog, type CompactionResult } from './compaction.ts';
import { batchShapeProblem, entryHeaderBytes, lastOffsetOf, readInt64, readUint64, writeEntryHeader } from './entry-format.ts';
import { resolveEnvironment, type StorageEnvironment } from './environment.ts';
import { describeIoError, StorageError } from './errors.ts';
import { cleanShutdownFile, producerSnapshotFile } from './files.ts';
import { fsyncDir } from './fs.ts';
import type { EpochEndOffset, LeaderEpochCache } from './leader-epoch-cache.ts';
import { deleteEnabled, resolveLogConfig, storageTuning, type LogConfig } from './log-config.ts';
import { loadLog, type ProducerSnapshotFile } from './recovery.ts';
import { retentionDeletable } from './retention.ts';
import { Segment, type EntryPlacement } from './segment.ts';
import type { AbortedTxnEntry } from './txn-index.ts';
import { Serial } from './serial.ts';
import { maxTimestampOffset, offsetForTimestamp, type TimestampAndOffset } from './timestamp-lookup.ts';

export type { TimestampAndOffset } from './timestamp-lookup.ts';

export interface AppendInfo {
  baseOffset: bigint;
  lastOffset: bigint;
}

export interface ReadOptions {
  /** Return the first batch even if it is larger than maxBytes (default true). */
  minOneBatch?: boolean;
  /** Return no batch that starts at or past this offset (default: the log end). */
  maxOffset?: bigint;
  /** Where file bytes are read into (default Buffer.allocUnsafe); the result is usually a view of such memory. */
  allocate?: (size: number) => Buffer;
}

interface PendingAppend {
  batch: Buffer;
  leaderEpoch: number;
  asFollower: boolean;
  resolve(info: AppendInfo): void;
  reject(err: Error): void;
}

/** Appends bound for one segment, written with one writev. */
class AppendRun {
  readonly buffers: Buffer[] = [];
  readonly placements: EntryPlacement[] = [];
  readonly requests: PendingAppend[] = [];
  readonly epochs: number[] = [];
  bytes = 0;
  records = 0;
  private readonly headers: Buffer;
  private headerAt = 0;

  constructor(capacity: number) {
    this.headers = Buffer.allocUnsafe(capacity * entryHeaderBytes);
  }

  add(request: PendingAppend, placement: EntryPlacement, epoch: number): void {
    writeEntryHeader(this.headers, this.headerAt, request.batch);
    this.buffers.push(this.headers.subarray(this.headerAt, this.headerAt + entryHeaderBytes), request.batch);
    this.headerAt += entryHeaderBytes;
    this.placements.push(placement);
    this.requests.push(request);
    this.epochs.push(epoch);
    this.bytes += placement.entryBytes;
    this.records += Math.max(1, request.batch.readInt32BE(batchField.recordCount));
  }
}

export class Log {
  readonly dir: string;
  private readonly env: StorageEnvironment;
  private cfg: LogConfig;
  private segments: Segment[];
  private readonly epochs: LeaderEpochCache;
  private endOffset: number;
  private startOffset: number;
  private hw: number;
  private recoveredTo: number;
  private cleanedTo: number;
  private readonly serial = new Serial();
  private pending: PendingAppend[] = [];
  private draining: Promise<void> | null = null;
  private unflushedRecords = 0;
  private lastFlushMs: number;
  /** Bumped by every truncation, so a background flush does not raise the recovery point past it. */
  private truncations = 0;
  private failure: StorageError | null = null;
  private closed = false;
  /** Set while a compaction pass runs; close waits for it (the pass gives up once `closing`). */
  private compacting: Promise<void> | null = null;
  private closing = false;
  private writtenCheckpoint = '';
  private readonly retired = new Set<Segment>();
  private readonly backgroundFlushes = new Set<Promise<void>>();
  /** The owner's state as the producer-state snapshot held it at open, until taken. */
  private producerSnapshot: unknown;
  /** What `close()` writes as the producer-state snapshot, or null. */
  private captureSnapshot: (() => unknown) | null = null;

  private constructor(dir: string, config: LogConfig, env: StorageEnvironment, segments: Segment[], checkpoint: PartitionCheckpoint, epochs: LeaderEpochCache, producerSnapshot: unknown) {
    this.dir = dir;
    this.cfg = config;
    this.env = env;
    this.segments = segments;
    this.epochs = epochs;
    this.endOffset = segments.at(-1)!.nextOffset;
    this.startOffset = checkpoint.logStartOffset;
    this.hw = checkpoint.highWatermark;
    this.recoveredTo = checkpoint.recoveryPoint;
    this.cleanedTo = checkpoint.cleanerOffset;
    this.lastFlushMs = env.clock.monotonicMs();
    this.producerSnapshot = producerSnapshot;
    this.assertOffsets();
  }

  /**
   * The owner's state from the producer-state snapshot the last clean close
   * wrote, covering the whole log as it is (files.ts), once; null when
   * there is none to trust (the owner then rebuilds it from the log).
   */
  takeProducerSnapshot(): unknown {
    const snapshot = this.producerSnapshot;
    this.producerSnapshot = null;
    return snapshot;
  }

  /** `capture` gives the state a clean close writes as the producer-state snapshot. */
  snapshotOnClose(capture: () => unknown): void {
    this.captureSnapshot = capture;
  }

  /** The offsets' order (see the header comment), asserted wherever one of them changes. */
  private assertOffsets(): void {
    assert.ok(this.startOffset >= 0, 'the log start offset is not negative');
    assert.ok(this.startOffset <= this.hw, 'the high watermark is not below the log start offset');
    assert.ok(this.hw <= this.endOffset, 'the high watermark is not past the log end offset');
    assert.ok(this.endOffset <= offsetMax, 'the log end offset is within offsetMax');
  }

  /** Opens (creating if needed) the log in `dir`, recovering it after an unclean stop. */
  static async open(dir: string, config: Partial<LogConfig> = {}, environment: Partial<StorageEnvironment> = {}): Promise<Log> {
    const env = resolveEnvironment(environment);
    const resolved = resolveLogConfig(config);
    const loaded = await loadLog(dir, resolved, env);
    const log = new Log(dir, resolved, env, loaded.segments, loaded.checkpoint, loaded.epochs, loaded.producerSnapshot);
    try {
      await log.active.loadTxnIndex();
      if (loaded.changed || loaded.epochs.dirty) await log.checkpoint();
      else log.writtenCheckpoint = JSON.stringify(log.checkpointState());
    } catch (err) {
      // Out of descriptors or space: the caller gets no log, so nothing may stay open.
      await Promise.allSettled(loaded.segments.map((s) => s.close()));
      throw err;
    }
    return log;
  }

  get config(): Readonly<LogConfig> {
    return this.cfg;
  }

  get logStartOffset(): bigint {
    return BigInt(this.startOffset);
  }

  get logEndOffset(): bigint {
    return BigInt(this.endOffset);
  }

  get highWatermark(): bigint {
    return BigInt(this.hw);
  }

  /** Offsets below this are on disk (fsynced). */
  get recoveryPoint(): bigint {
    return BigInt(this.recoveredTo);
  }

  get sizeBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): bigint[] {
    return this.segments.map((s) => BigInt(s.baseOffset));
  }

  get latestEpoch(): number {
    return this.epochs.latestEpoch;
  }

  get offline(): boolean {
    return this.failure !== null;
  }

  updateConfig(config: Partial<LogConfig>): void {
    this.cfg = resolveLogConfig(config);
    for (const segment of this.segments) segment.setIndexInterval(this.cfg.indexIntervalBytes);
  }

  /** Moves the high watermark (clamped to [logStartOffset, logEndOffset]); returns the value set. */
  updateHighWatermark(offset: bigint): bigint {
    this.hw = Math.min(Math.max(Number(offset), this.startOffset), this.endOffset);
    this.assertOffsets();
    return BigInt(this.hw);
  }

  /** OffsetForLeaderEpoch: the largest epoch <= `epoch` and its end offset (-1, -1 when unknown). */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } {
    const found: EpochEndOffset = this.epochs.endOffsetFor(epoch, this.endOffset);
    return { epoch: found.epoch, endOffset: BigInt(found.endOffset) };
  }

  /**
   * A new leader term: records that `epoch` starts at the current log end
   * (Kafka does this on becoming leader, so the leader's latest epoch is its
   * own even before it appends, and OffsetForLeaderEpoch answers followers
   * of older epochs with where their epoch ended). Older epochs change
   * nothing; written with the next checkpoint.
   */
  assignEpochStart(epoch: number): void {
    this.epochs.assign(epoch, this.endOffset);
  }

  // ---- appends -------------------------------------------------------------

  /** Appends a batch as leader: offsets from the log end, `leaderEpoch` stamped into it. */
  append(batch: Buffer, leaderEpoch: number): Promise<AppendInfo> {
    return this.enqueue(batch, leaderEpoch, false);
  }

  /** Appends a batch fetched from the leader with its offsets and epoch; it must start at or after the log end. */
  appendAsFollower(batch: Buffer): Promise<AppendInfo> {
    const epoch = batch.length >= batchField.partitionLeaderEpoch + 4 ? batch.readInt32BE(batchField.partitionLeaderEpoch) : -1;
    return this.enqueue(batch, epoch, true);
  }

  private enqueue(batch: Buffer, leaderEpoch: number, asFollower: boolean): Promise<AppendInfo> {
    const refused = this.writeRefusal();
    if (refused) return Promise.reject(refused);
    const problem = batchShapeProblem(batch);
    if (problem) return Promise.reject(new StorageError('invalidBatch', `cannot append to ${this.dir}: ${problem}`));
    return new Promise((resolve, reject) => {
      this.pending.push({ batch, leaderEpoch, asFollower, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  private writeRefusal(): StorageError | null {
    if (this.closed) return new StorageError('closed', `log ${this.dir} is closed`);
    return this.failure;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      await this.serial.run(async () => {
        const group = this.takeGroup();
        try {
          await this.writeGroup(group);
        } catch (err) {
          const offline = this.goOffline('append', err); // a bug: the state is unknown
          for (const request of group) request.reject(offline);
        }
      });
    }
    this.draining = null;
  }

  private takeGroup(): PendingAppend[] {
    let count = 0;
    let bytes = 0;
    const maxCount = writevBuffersMax / 2;
    while (count < this.pending.length && count < maxCount) {
      bytes += this.pending[count].batch.length;
      if (count > 0 && bytes > writeGroupBytesMax) break;
      count++;
    }
    return this.pending.splice(0, count);
  }

  /** Writes a group of appends: runs per segment, rolling between them; flushes if due; then settles each append. */
  private async writeGroup(group: PendingAppend[]): Promise<void> {
    const written: AppendRun[] = [];
    let failure: Error | null = this.writeRefusal();
    let run = new AppendRun(group.length);
    const groupStart = this.endOffset;
    let next = groupStart;
    const now = this.env.clock.wallMs();
    for (const request of group) {
      if (failure) {
        request.reject(failure);
        continue;
      }
      const placement = this.place(request, next);
      if (placement instanceof StorageError) {
        request.reject(placement);
        continue;
      }
      if (this.needsRoll(run, placement, now)) {
        failure = await this.commit(run, written);
        if (!failure) failure = await this.rollTo(placement.baseOffset).then(() => null, (err) => this.ioError('roll', err));
        if (failure) {
          request.reject(failure);
          continue;
        }
        run = new AppendRun(group.length);
      }
      run.add(request, placement, request.leaderEpoch);
      next = placement.lastOffset + 1;
    }
    if (!failure) await this.commit(run, written);
    if (written.length === 0) return;
    if (this.unflushedRecords >= this.cfg.flushMessages || this.env.clock.monotonicMs() - this.lastFlushMs >= this.cfg.flushMs) {
      try {
        await this.flushLocked();
      } catch (err) {
        const offline = this.goOffline('fsync', err);
        this.endOffset = groupStart; // never acknowledged, so never served
        this.hw = Math.min(this.hw, groupStart);
        this.assertOffsets();
        for (const r of written) for (const request of r.requests) request.reject(offline);
        return;
      }
    }
    for (const r of written) {
      r.requests.forEach((request, i) => request.resolve({ baseOffset: BigInt(r.placements[i].baseOffset), lastOffset: BigInt(r.placements[i].lastOffset) }));
    }
  }

  /** Assigns (leader) or checks (follower) the batch's offsets. */
  private place(request: PendingAppend, next: number): EntryPlacement | StorageError {
    const { batch } = request;
    let baseOffset = next;
    if (request.asFollower) {
      baseOffset = readUint64(batch, 0);
      if (baseOffset < next) {
        return new StorageError('outOfOrder', `batch at offset ${baseOffset} does not continue ${this.dir}, which ends at ${next}`);
      }
    } else {
      patchBatchOffsets(batch, BigInt(baseOffset), request.leaderEpoch);
    }
    const lastOffset = lastOffsetOf(batch);
    if (lastOffset > offsetMax) return new StorageError('invalidBatch', `offset ${lastOffset} is beyond ${offsetMax}`);
    return { baseOffset, lastOffset, maxTimestamp: readInt64(batch, batchField.maxTimestamp), entryBytes: entryHeaderBytes + batch.length };
  }

  private get active(): Segment {
    return this.segments.at(-1)!;
  }

  private needsRoll(run: AppendRun, entry: EntryPlacement, now: number): boolean {
    const segment = this.active;
    if (entry.lastOffset - segment.baseOffset > relativeOffsetMax) return true;
    const size = segment.size + run.bytes;
    if (size === 0) return false;
    if (size + entry.entryBytes > this.cfg.segmentBytes) return true;
    if (segment.indexFull(this.cfg.segmentIndexBytes, run.placements.length)) return true;
    const first = segment.firstBatchTimestamp ?? run.placements[0]?.maxTimestamp ?? -1;
    return now - (first >= 0 ? first : segment.createdMs) > this.cfg.segmentMs;
  }

  /** Writes a run to the active segment; on success records it in `written`, on failure rejects it and returns the error. */
  private async commit(run: AppendRun, written: AppendRun[]): Promise<Error | null> {
    if (run.requests.length === 0) return null;
    try {
      await this.active.append(run.buffers, run.placements, run.bytes);
    } catch (err) {
      const failure = err instanceof StorageError ? err : this.ioError('write', err);
      for (const request of run.requests) request.reject(failure);
      return failure;
    }
    run.placements.forEach((p, i) => this.epochs.assign(run.epochs[i], p.baseOffset));
    this.endOffset = this.active.nextOffset;
    this.assertOffsets();
    this.unflushedRecords += run.records;
    written.push(run);
    return null;
  }

  private ioError(what: string, err: unknown): StorageError {
    return new StorageError('ioFailed', `${what} in ${this.dir} failed: ${describeIoError(err)}`, { cause: err });
  }

  private goOffline(what: string, err: unknown): StorageError {
    this.failure ??= new StorageError('offline', `log ${this.dir} is offline after a failed ${what}: ${describeIoError(err)}; reopen it to recover`, { cause: err });
    this.env.logger.error(this.failure.message);
    return this.failure;
  }

  /**
   * Seals the active segment, starts a new one at `baseOffset`, fsyncs the
   * old one in the background. On failure (out of space or descriptors)
   * the old segment stays active and the new one is closed.
   */
  private async rollTo(baseOffset: number): Promise<void> {
    const old = this.active;
    let segment: Segment | null = null;
    try {
      await old.seal();
      segment = await Segment.create(this.env, this.dir, baseOffset, this.cfg.indexIntervalBytes);
      await fsyncDir(this.env.fs, this.dir);
    } catch (err) {
      old.activate();
      await segment?.close().catch(() => undefined);
      throw err;
    }
    this.segments.push(segment);
    void this.flushInBackground(baseOffset);
  }

  /** Rolls the active segment now (if it holds anything). */
  roll(): Promise<void> {
    return this.serial.run(async () => {
      this.throwIfRefused();
      if (this.active.size > 0) await this.rollTo(this.endOffset);
    });
  }

  private throwIfRefused(): void {
    const refused = this.writeRefusal();
    if (refused) throw refused;
  }

  /**
   * fsyncs the segments from the one holding the recovery point (those
   * before it are flushed already) to `upTo`, with their indexes, without
   * holding appends back, then raises the recovery point to `upTo`.
   */
  private flushInBackground(upTo: number): Promise<void> {
    const truncations = this.truncations;
    const segments = this.segments.slice(Math.max(0, floorIndex(this.segments, this.recoveredTo))).filter((s) => s.baseOffset < upTo);
    for (const segment of segments) segment.acquire();
    const flushing = (async () => {
      try {
        for (const segment of segments) await segment.flush(true);
        if (truncations === this.truncations && upTo > this.recoveredTo) this.recoveredTo = upTo;
      } finally {
        for (const segment of segments) segment.release();
      }
    })().catch((err) => {
      this.goOffline('background flush', err);
    });
    this.backgroundFlushes.add(flushing);
    void flushing.finally(() => this.backgroundFlushes.delete(flushing));
    return flushing;
  }

  /**
   * The log manager's recovery flush: fsyncs what was appended so far, with
   * the active segment's indexes, while appends go on, then writes the
   * checkpoint with the raised recovery point, so that recovery after a
   * crash scans only what came after (recovery.ts).
   */
  async flushRecoveryPoint(): Promise<void> {
    // Wrapped: the section must not wait for the flush (an async function would adopt its promise).
    const started = await this.serial.run(async () => (this.writeRefusal() || this.endOffset <= this.recoveredTo ? null : { flushing: this.flushInBackground(this.endOffset) }));
    if (started === null) return;
    await started.flushing;
    await this.checkpoint();
  }

  /** fsyncs everything appended so far and moves the recovery point to the log end. */
  flush(): Promise<void> {
    return this.serial.run(async () => {
      this.throwIfRefused();
      try {
        await this.flushLocked();
      } catch (err) {
        throw this.goOffline('fsync', err);
      }
    });
  }

  /** Flushes when flush.ms has passed since the last flush and something is unflushed (the manager's flush task). */
  async flushIfDue(): Promise<void> {
    if (this.writeRefusal() || this.unflushedRecords === 0 || this.env.clock.monotonicMs() - this.lastFlushMs < this.cfg.flushMs) return;
    await this.flush();
  }

  private async flushLocked(): Promise<void> {
    const upTo = this.endOffset;
    for (const segment of this.segments) if (segment.dirty) await segment.flush();
    this.recoveredTo = Math.max(this.recoveredTo, upTo);
    this.unflushedRecords = 0;
    this.lastFlushMs = this.env.clock.monotonicMs();
  }

  // ---- reads ---------------------------------------------------------------

  /**
   * Whole batches from the one holding `offset` (see the header comment);
   * empty at the log end. A read that meets a segment deleted meanwhile is
   * tried once more from the current segments (a compacted segment replaced
   * it; or the offset is now out of range).
   */
  async read(offset: bigint, maxBytes: number, options: ReadOptions = {}): Promise<Buffer> {
    try {
      return await this.readOnce(offset, maxBytes, options);
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'deleted')) throw err;
      return this.readOnce(offset, maxBytes, options);
    }
  }

  private async readOnce(offset: bigint, maxBytes: number, options: ReadOptions): Promise<Buffer> {
    const start = Number(offset);
    if (start < this.startOffset || start > this.endOffset) {
      throw new StorageError('offsetOutOfRange', `offset ${offset} is outside [${this.startOffset}, ${this.endOffset}] of ${this.dir}`);
    }
    const limit = Math.min(options.maxOffset === undefined ? this.endOffset : Number(options.maxOffset), this.endOffset);
    if (start >= limit) return Buffer.alloc(0);
    const segments = this.segments;
    for (let i = Math.max(0, floorIndex(segments, start)); i < segments.length; i++) {
      const segment = segments[i];
      if (segment.baseOffset >= limit) break;
      segment.acquire();
      try {
        const batches = await segment.read(start, maxBytes, limit, options.minOneBatch ?? true, options.allocate);
        if (batches) return batches;
      } finally {
        segment.release();
      }
    }
    return Buffer.alloc(0);
  }

  /** The batch headers from the one holding `fromOffset` to the log end (e.g. to rebuild producer state). */
  async *batchHeaders(fromOffset: bigint): AsyncGenerator<BatchHeader> {
    const from = Number(fromOffset);
    const end = this.endOffset;
    const segments = this.segments.slice(Math.max(0, floorIndex(this.segments, from)));
    for (const segment of segments) {
      segment.acquire();
      try {
        const scanner = await segment.scannerFrom(from, { headersOnly: true, chunkBytes: storageTuning.headerScanChunkBytes });
        for (let entry = await scanner.next(); entry; entry = await scanner.next()) {
          if (entry.header.baseOffset >= end) return;
          if (entry.header.lastOffset >= from) yield readBatchHeader(entry.batch);
        }
        if (scanner.problem) throw segment.corruptError(scanner);
      } finally {
        segment.release();
      }
    }
  }

  // ---- aborted transactions ------------------------------------------------

  /** Indexes an aborted transaction in the segment holding its marker (`txn.lastOffset`, appended in this process). */
  recordAbortedTxn(txn: AbortedTxnEntry): void {
    const index = floorIndex(this.segments, Number(txn.lastOffset));
    assert.ok(index >= 0 && txn.lastOffset < BigInt(this.endOffset), `the ABORT marker at ${txn.lastOffset} is in ${this.dir}`);
    this.segments[index].addAbortedTxn(txn);
  }

  /** Empties every segment's aborted-transaction index (the owner rebuilds them from the log). */
  resetAbortedTxns(): void {
    for (const segment of this.segments) segment.resetTxnIndex();
  }

  /**
   * The aborted transactions that may hold records in [from, to), in
   * marker order: their marker is at or after `from` and they start below
   * `to`. Looked up in the indexes of the segments from the one holding
   * `from`, up to an entry whose last stable offset is at or past `to`
   * (no later marker ends a transaction starting below `to`).
   */
  async abortedTxns(from: bigint, to: bigint): Promise<AbortedTxnEntry[]> {
    const found: AbortedTxnEntry[] = [];
    const segments = this.segments.slice(Math.max(0, floorIndex(this.segments, Number(from))));
    for (const segment of segments) {
      segment.acquire();
      try {
        for (const txn of await segment.abortedTxns()) {
          if (txn.lastOffset >= from && txn.firstOffset < to) found.push(txn);
          if (txn.lastStableOffset >= to) return found;
        }
      } finally {
        segment.release();
      }
    }
    return found;
  }

  /** The first record at or after `timestamp` (ms), or null. */
  offsetForTimestamp(timestamp: bigint): Promise<TimestampAndOffset | null> {
    return offsetForTimestamp(this.segments.slice(), Number(timestamp), this.startOffset);
  }

  /** The record with the largest timestamp, or null for an empty log. */
  maxTimestampOffset(): Promise<TimestampAndOffset | null> {
    return maxTimestampOffset(this.segments.slice(), this.startOffset);
  }

  // ---- truncation and deletion --------------------------------------------

  /**
   * Removes every batch whose last offset is at or above `offset` (a batch
   * straddling it goes whole); the log then ends where the last remaining
   * batch ends. Segments left empty go too (except the first). When no
   * batch at or above the log start remains, or `offset` is below it, the
   * log is emptied and restarted at `offset` instead. At or past the log
   * end no batch goes, but an epoch starting at the log end does (as in
   * Kafka): a leader that lost its term before appending leaves one, and a
   * follower whose last fetched epoch is one the new leader never had would
   * otherwise be sent back to its log end for ever.
   */
  truncateTo(offset: bigint): Promise<void> {
    const target = Number(offset);
    assert.ok(target >= 0, 'a log is truncated to an offset that is not negative');
    return this.serial.run(async () => {
      this.throwIfRefused();
      if (target >= this.endOffset) {
        this.epochs.truncateFromEnd(this.endOffset);
        return this.writeCheckpointsLocked();
      }
      if (target < this.startOffset) return this.restartAt(target);
      this.truncations++;
      const index = floorIndex(this.segments, target);
      const segment = this.segments[index];
      const entry = await segment.entryAtOrAfter(target);
      this.recoveredTo = Math.min(this.recoveredTo, segment.baseOffset);
      this.hw = Math.min(this.hw, target);
      this.cleanedTo = Math.min(this.cleanedTo, target);
      this.epochs.truncateFromEnd(target);
      await this.writeCheckpointsLocked();
      await this.retireSegments(this.segments.splice(index + 1).reverse());
      await segment.truncateTo(entry?.position ?? segment.size, entry?.header.baseOffset ?? segment.nextOffset);
      while (this.segments.length > 1 && this.active.size === 0) await this.retireSegments(this.segments.splice(-1));
      if (this.active !== segment) await this.active.truncateTo(this.active.size, this.active.nextOffset);
      // With its indexes: recovery trusts the entries below the recovery point, so none the truncation made stale may survive a power loss.
      await this.active.flush(true);
      this.endOffset = this.active.nextOffset;
      if (this.endOffset <= this.startOffset) return this.restartAt(target);
      this.hw = Math.min(this.hw, this.endOffset);
      this.epochs.truncateFromEnd(this.endOffset);
      this.assertOffsets();
    });
  }

  /** Empties the log and restarts it at `offset` (a follower far behind the leader's log start). */
  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    assert.ok(offset >= 0n, 'a log restarts at an offset that is not negative');
    assert.ok(offset <= BigInt(offsetMax), 'a log restarts at an offset within offsetMax');
    return this.serial.run(async () => {
      this.throwIfRefused();
      await this.restartAt(Number(offset));
    });
  }

  private async restartAt(offset: number): Promise<void> {
    this.truncations++;
    this.startOffset = offset;
    this.hw = offset;
    this.recoveredTo = offset;
    this.cleanedTo = offset;
    this.epochs.truncateFromEnd(0);
    await this.writeCheckpointsLocked();
    await this.retireSegments(this.segments.splice(0).reverse());
    this.segments.push(await Segment.create(this.env, this.dir, offset, this.cfg.indexIntervalBytes));
    await fsyncDir(this.env.fs, this.dir);
    this.endOffset = offset;
    this.assertOffsets();
  }

  /** DeleteRecords: moves the log start to `offset` (durably) and deletes the segments wholly below it. */
  deleteRecordsBefore(offset: bigint): Promise<void> {
    const target = Number(offset);
    return this.serial.run(async () => {
      this.throwIfRefused();
      if (target > this.endOffset) {
        throw new StorageError('offsetOutOfRange', `cannot delete records before ${offset}: ${this.dir} ends at ${this.endOffset}`);
      }
      if (target <= this.startOffset) return;
      this.moveStartTo(target);
      await this.writeCheckpointsLocked();
      await this.deletePrefix(retentionDeletable(this.retentionView(), { deleteByRetention: false }));
    });
  }

  private moveStartTo(offset: number): void {
    this.startOffset = offset;
    this.hw = Math.max(this.hw, offset);
    this.cleanedTo = Math.max(this.cleanedTo, offset);
    this.epochs.truncateFromStart(offset);
    this.assertOffsets();
  }

  /** Deletes old segments by retention.ms/retention.bytes (with cleanup.policy delete) and below the log start; returns how many. */
  enforceRetention(): Promise<number> {
    return this.serial.run(async () => {
      if (this.writeRefusal()) return 0;
      for (const segment of this.segments.slice(0, -1)) await segment.load();
      const count = retentionDeletable(this.retentionView(), { deleteByRetention: deleteEnabled(this.cfg) });
      await this.deletePrefix(count);
      return count;
    });
  }

  private retentionView() {
    return { segments: this.segments, config: this.cfg, nowMs: this.env.clock.wallMs(), logStartOffset: this.startOffset, highWatermark: this.hw };
  }

  private async deletePrefix(count: number): Promise<void> {
    if (count === 0) return;
    await this.retireSegments(this.segments.splice(0, count));
    if (this.segments[0].baseOffset > this.startOffset) this.moveStartTo(this.segments[0].baseOffset);
  }

  /** Retires segments already taken out of the list, in the order given, then fsyncs the directory. */
  private async retireSegments(segments: Segment[]): Promise<void> {
    if (segments.length === 0) return;
    for (const segment of segments) await this.retire(segment, true);
    await fsyncDir(this.env.fs, this.dir);
  }

  private async retire(segment: Segment, renameFiles: boolean): Promise<void> {
    this.retired.add(segment);
    await segment.retire(this.cfg.fileDeleteDelayMs, () => this.retired.delete(segment), renameFiles);
  }

  // ---- compaction ----------------------------------------------------------

  /** One compaction pass (cleanup.policy=compact) over the inactive segments; appends continue meanwhile. */
  async compact(): Promise<CompactionResult | null> {
    if (this.compacting || this.closing || this.writeRefusal()) return null;
    let done = () => {};
    this.compacting = new Promise<void>((resolve) => (done = resolve));
    try {
      const result = await compactLog({
        dir: this.dir,
        env: this.env,
        config: () => this.cfg,
        snapshot: () => ({ segments: this.segments.slice(), cleanerOffset: this.cleanedTo }),
        install: (replaced, output, swap) => this.serial.run(() => this.installCompacted(replaced, output, swap)),
        cancelled: () => this.closing,
      });
      if (result) this.cleanedTo = Math.max(this.cleanedTo, result.cleanedTo);
      return result;
    } catch (err) {
      if (this.closing) return null;
      throw err;
    } finally {
      this.compacting = null;
      done();
    }
  }

  private async installCompacted(replaced: Segment[], output: Segment, swap: () => Promise<void>): Promise<boolean> {
    if (this.writeRefusal()) return false;
    const first = this.segments.indexOf(replaced[0]);
    const intact = first >= 0 && first + replaced.length < this.segments.length && replaced.every((s, i) => this.segments[first + i] === s);
    if (!intact) return false;
    try {
      await swap();
    } catch (err) {
      throw this.goOffline('compaction swap', err);
    }
    this.segments.splice(first, replaced.length, output);
    for (const segment of replaced) await this.retire(segment, false);
    return true;
  }

  // ---- checkpoints and close -----------------------------------------------

  private checkpointState(): PartitionCheckpoint {
    return { recoveryPoint: this.recoveredTo, logStartOffset: this.startOffset, highWatermark: this.hw, cleanerOffset: this.cleanedTo };
  }

  /** Writes the leader epoch cache and partition checkpoint if they changed. */
  checkpoint(): Promise<void> {
    return this.serial.run(async () => {
      if (this.closed) return;
      await this.writeCheckpointsLocked();
    });
  }

  private async writeCheckpointsLocked(): Promise<void> {
    if (this.epochs.dirty) await this.epochs.write(this.env.fs, this.dir);
    const state = this.checkpointState();
    const key = JSON.stringify(state);
    if (key === this.writtenCheckpoint) return;
    await writePartitionCheckpoint(this.env.fs, this.dir, state);
    this.writtenCheckpoint = key;
  }

  /**
   * Finishes queued appends, fsyncs, writes the checkpoints, closes the
   * files and, if all went well, writes the producer-state snapshot and
   * then leaves the clean-shutdown marker so the next open skips recovery
   * (a crash between the two leaves no marker: the snapshot is dropped).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    while (this.draining) await this.draining;
    await this.compacting;
    await this.serial.run(async () => {
      this.closed = true;
      await Promise.all(this.backgroundFlushes);
      let clean = this.failure === null;
      try {
        if (clean) {
          await this.active.seal();
          await this.flushLocked();
        }
        await this.writeCheckpointsLocked();
      } catch (err) {
        clean = false;
        this.env.logger.error(`closing ${this.dir}: ${describeIoError(err)}`);
      }
      const closing = [...this.segments.map((s) => s.close()), ...[...this.retired].map((s) => s.removeNow())];
      const results = await Promise.allSettled(closing);
      if (results.some((r) => r.status === 'rejected')) clean = false;
      if (clean && this.captureSnapshot) await this.writeProducerSnapshot(this.captureSnapshot);
      if (clean) await writeAtomically(this.env.fs, this.dir, cleanShutdownFile, { version: 1 });
    });
  }

  /** Writes the producer-state snapshot (files.ts); a failure only costs the next open a rebuild. */
  private async writeProducerSnapshot(capture: () => unknown): Promise<void> {
    try {
      const file: ProducerSnapshotFile = { version: 1, endOffset: this.endOffset, state: capture() };
      await writeAtomically(this.env.fs, this.dir, producerSnapshotFile, file);
    } catch (err) {
      this.env.logger.warn(`closing ${this.dir}: no producer-state snapshot (the next open rebuilds it from the log): ${describeIoError(err)}`);
    }
  }
}

function floorIndex(segments: readonly Segment[], offset: number): number {
  let low = 0;
  let high = segments.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (segments[mid].baseOffset <= offset) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}
