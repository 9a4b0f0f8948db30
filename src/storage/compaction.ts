/**
 * Log compaction (cleanup.policy=compact): keep only the latest record per
 * key in the inactive segments; drop tombstones (null value) older than
 * delete.retention.ms. Runs beside appends: the work happens outside the
 * log's lock on a snapshot of the segment list, and only the final swap
 * takes the lock (and gives up if the segments changed meanwhile).
 *
 * A pass:
 * 1. cleanable = the inactive segments, oldest first, up to the first one
 *    holding a record younger than min.compaction.lag.ms; nothing to do
 *    unless the bytes at or past the cleaner offset make up at least
 *    min.cleanable.dirty.ratio of them;
 * 2. map every key in the cleanable range to its last offset;
 * 3. rewrite runs of consecutive segments (up to segment.bytes of input)
 *    into one new segment each, keeping a record only if it is the latest
 *    for its key (records without a key are kept) and not an expired
 *    tombstone. Untouched batches are copied byte for byte; a batch that
 *    lost records is re-encoded with the same offsets, timestamps, producer
 *    fields and codec; a batch that lost all its records is dropped.
 *    Control batches are kept as they are.
 * Transactional data (KIP-98) by the markers in the cleanable range: a
 * committed transaction's records are compacted like any; an aborted
 * one's batches are dropped whole and shadow no key; a transaction whose
 * marker is not in the range (still open, or ended later) is undecided:
 * its batches are kept as they are and shadow no key either, so nothing
 * is lost whichever way it ends. Markers are never removed.
 *
 * Swap, crash-safe: the output is written to `<base>.log.cleaned` and
 * fsynced; then `compaction.pending` is written atomically, a MessagePack map
 * { version: 1, baseOffset, replaces: [base offsets of the other input
 * segments] }: from here on the swap is committed. Applying it: remove
 * `<base>.index`/`.timeindex`, rename the `.cleaned` file over `<base>.log`,
 * rename each replaced segment's files to `*.deleted`, remove the pending
 * file. The output's aborted-transaction index is the inputs' entries (no
 * marker is removed) and is written when the output is sealed; a crash
 * before that is an unclean stop, after which the partition rebuilds every
 * `.txnindex` (txn-index.ts). Every step can be repeated, so opening a log with a pending file just
 * applies it again (`completePendingCompaction`); a `.cleaned` file without
 * a pending file is an unfinished pass and is deleted.
 */
import path from 'node:path';
import { offsets as batchField } from '../protocol/records/batch-header.ts';
import { decodeRecordBatch, encodeRecordBatch, type RecordBatch } from '../protocol/records/record-batch.ts';
import { markerOfDecoded } from '../protocol/records/control-batch.ts';
import { readAtomicFile, writeAtomically } from './checkpoint.ts';
import { entryHeaderBytes, lastOffsetOf, readInt64, writeEntryHeader } from './entry-format.ts';
import type { StorageEnvironment } from './environment.ts';
import { StorageError } from './errors.ts';
import { cleanedSuffix, compactionPendingFile, deletedSuffix, segmentFileName, segmentSuffix } from './files.ts';
import { fsyncDir, isNotFound, unlinkIfExists, type StorageFs } from './fs.ts';
import { compactEnabled, type LogConfig } from './log-config.ts';
import { Segment, type EntryPlacement } from './segment.ts';

export interface CompactionResult {
  segmentsBefore: number;
  segmentsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  /** The cleaner offset after the pass: the end of the cleaned range. */
  cleanedTo: number;
}

/** What compaction needs from the log it cleans. */
export interface CompactionHost {
  dir: string;
  env: StorageEnvironment;
  config(): LogConfig;
  /** The current segments (the last is active) and cleaner offset. */
  snapshot(): { segments: Segment[]; cleanerOffset: number };
  /**
   * Under the log's lock: if `replaced` are still consecutive inactive
   * segments of the log, call `swap()` and put `output` in their place;
   * returns whether it did.
   */
  install(replaced: Segment[], output: Segment, swap: () => Promise<void>): Promise<boolean>;
  /** True once the log is closing: the pass gives up at the next batch. */
  cancelled(): boolean;
}

interface PendingSwap {
  version: 1;
  baseOffset: number;
  replaces: number[];
}

/** One compaction pass; null when compaction is off or there is nothing worth cleaning. */
export async function compactLog(host: CompactionHost): Promise<CompactionResult | null> {
  const config = host.config();
  if (!compactEnabled(config)) return null;
  const { segments, cleanerOffset } = host.snapshot();
  const now = host.env.clock.wallMs();
  const cleanable: Segment[] = [];
  for (const segment of segments.slice(0, -1)) {
    await segment.load();
    if (segment.maxTimestamp > now - config.minCompactionLagMs) break;
    cleanable.push(segment);
  }
  const total = cleanable.reduce((sum, s) => sum + s.size, 0);
  const dirty = cleanable.filter((s) => s.nextOffset > cleanerOffset).reduce((sum, s) => sum + s.size, 0);
  if (total === 0 || dirty === 0 || dirty / total < config.minCleanableDirtyRatio) return null;

  for (const segment of cleanable) segment.acquire();
  try {
    const outcomes = await transactionOutcomes(cleanable, host.cancelled);
    const latest = await latestOffsetByKey(cleanable, outcomes, host.cancelled);
    const result: CompactionResult = {
      segmentsBefore: cleanable.length,
      segmentsAfter: 0,
      bytesBefore: total,
      bytesAfter: 0,
      recordsRemoved: 0,
      cleanedTo: cleanable.at(-1)!.nextOffset,
    };
    const tombstoneHorizon = BigInt(now - config.deleteRetentionMs);
    for (const group of groupBySize(cleanable, config.segmentBytes)) {
      const output = await Segment.create(host.env, host.dir, group[0].baseOffset, config.indexIntervalBytes, cleanedSuffix);
      let installed = false;
      try {
        result.recordsRemoved += await rewrite(group, output, latest, outcomes, tombstoneHorizon, host.cancelled);
        await output.flush();
        installed = !host.cancelled() && (await host.install(group, output, () => swapIn(host.dir, host.env, group, output)));
      } finally {
        if (!installed) await discard(host.env.fs, output);
      }
      if (!installed) return null;
      result.segmentsAfter++;
      result.bytesAfter += output.size;
    }
    return result;
  } finally {
    for (const segment of cleanable) segment.release();
  }
}

function keyOf(key: Buffer): string {
  return key.toString('latin1');
}

/** Transactional data batches (by base offset) whose transaction aborted, or whose marker lies outside the range; committed ones are absent. */
type TxnOutcomes = Map<bigint, 'aborted' | 'undecided'>;

async function transactionOutcomes(segments: Segment[], cancelled: () => boolean): Promise<TxnOutcomes> {
  const outcomes: TxnOutcomes = new Map();
  /** Per producer, the base offsets of its batches since its last marker. */
  const pending = new Map<bigint, bigint[]>();
  await eachBatch(segments, cancelled, (batch) => {
    if (!batch.transactional) return;
    if (!batch.control) {
      pending.set(batch.producerId, [...(pending.get(batch.producerId) ?? []), batch.baseOffset]);
      return;
    }
    const marker = markerOfDecoded(batch);
    if (!marker) return;
    if (!marker.commit) for (const offset of pending.get(batch.producerId) ?? []) outcomes.set(offset, 'aborted');
    pending.delete(batch.producerId);
  });
  for (const offsets of pending.values()) for (const offset of offsets) outcomes.set(offset, 'undecided');
  return outcomes;
}

async function latestOffsetByKey(segments: Segment[], outcomes: TxnOutcomes, cancelled: () => boolean): Promise<Map<string, bigint>> {
  const latest = new Map<string, bigint>();
  await eachBatch(segments, cancelled, (batch) => {
    if (batch.control || outcomes.has(batch.baseOffset)) return;
    for (const record of batch.records) {
      if (record.key !== null) latest.set(keyOf(record.key), batch.baseOffset + BigInt(record.offsetDelta));
    }
  });
  return latest;
}

/** Visits every batch of `segments`, decoded; stops early (throwing) once `cancelled`. */
async function eachBatch(segments: Segment[], cancelled: () => boolean, visit: (batch: RecordBatch, bytes: Buffer) => void | Promise<void>): Promise<void> {
  for (const segment of segments) {
    const scanner = await segment.scannerFrom(segment.baseOffset);
    for (let entry = await scanner.next(); entry; entry = await scanner.next()) {
      if (cancelled()) throw new StorageError('closed', 'compaction cancelled: the log is closing');
      await visit(decodeRecordBatch(entry.batch), entry.batch);
    }
    if (scanner.problem) throw segment.corruptError(scanner);
  }
}

/** Consecutive segments whose inputs add up to at most `segmentBytes` (at least one each). */
function groupBySize(segments: Segment[], segmentBytes: number): Segment[][] {
  const groups: Segment[][] = [];
  let bytes = 0;
  for (const segment of segments) {
    const current = groups.at(-1);
    if (current && bytes + segment.size <= segmentBytes) {
      current.push(segment);
      bytes += segment.size;
    } else {
      groups.push([segment]);
      bytes = segment.size;
    }
  }
  return groups;
}

/** Copies the surviving records of `group` into `output`; returns how many records were dropped. */
async function rewrite(group: Segment[], output: Segment, latest: Map<string, bigint>, outcomes: TxnOutcomes, tombstoneHorizon: bigint, cancelled: () => boolean): Promise<number> {
  let removed = 0;
  await eachBatch(group, cancelled, async (batch, bytes) => {
    const outcome = outcomes.get(batch.baseOffset);
    if (outcome === 'aborted') {
      removed += batch.records.length;
      return;
    }
    if (batch.control || outcome === 'undecided') return append(output, bytes);
    const kept = batch.records.filter((record) => {
      if (record.key === null) return true;
      const offset = batch.baseOffset + BigInt(record.offsetDelta);
      if (latest.get(keyOf(record.key)) !== offset) return false;
      const timestamp = batch.timestampType === 'LogAppendTime' ? batch.maxTimestamp : batch.baseTimestamp + record.timestampDelta;
      return !(record.value === null && timestamp < tombstoneHorizon);
    });
    removed += batch.records.length - kept.length;
    if (kept.length === batch.records.length) return append(output, bytes);
    if (kept.length === 0) return;
    return append(output, encodeRecordBatch({ ...batch, records: kept }, batch.codec));
  });
  return removed;
}

async function append(output: Segment, batch: Buffer): Promise<void> {
  const header = Buffer.allocUnsafe(entryHeaderBytes);
  writeEntryHeader(header, 0, batch);
  const placement: EntryPlacement = {
    baseOffset: Number(batch.readBigInt64BE(batchField.baseOffset)),
    lastOffset: lastOffsetOf(batch),
    maxTimestamp: readInt64(batch, batchField.maxTimestamp),
    entryBytes: entryHeaderBytes + batch.length,
  };
  await output.append([header, batch], [placement], placement.entryBytes);
}

async function discard(fs: StorageFs, output: Segment): Promise<void> {
  await output.close().catch(() => undefined);
  await unlinkIfExists(fs, output.logPath + cleanedSuffix);
}

/** Commits and applies the swap of `group` for `output` (see the header comment), then writes the output's indexes. */
async function swapIn(dir: string, env: StorageEnvironment, group: Segment[], output: Segment): Promise<void> {
  const pending: PendingSwap = { version: 1, baseOffset: output.baseOffset, replaces: group.slice(1).map((s) => s.baseOffset) };
  for (const segment of group) for (const txn of await segment.abortedTxns()) output.addAbortedTxn(txn);
  await writeAtomically(env.fs, dir, compactionPendingFile, pending);
  await applySwap(dir, env.fs, pending);
  output.attach();
  await output.seal();
  await output.flush();
}

async function applySwap(dir: string, fs: StorageFs, pending: PendingSwap): Promise<void> {
  const file = (base: number, suffix: string) => path.join(dir, segmentFileName(base, suffix));
  await unlinkIfExists(fs, file(pending.baseOffset, segmentSuffix.index));
  await unlinkIfExists(fs, file(pending.baseOffset, segmentSuffix.timeIndex));
  await unlinkIfExists(fs, file(pending.baseOffset, segmentSuffix.txnIndex));
  await renameIfExists(fs, file(pending.baseOffset, segmentSuffix.log + cleanedSuffix), file(pending.baseOffset, segmentSuffix.log));
  for (const base of pending.replaces) {
    for (const suffix of [segmentSuffix.log, segmentSuffix.index, segmentSuffix.timeIndex, segmentSuffix.txnIndex]) {
      await renameIfExists(fs, file(base, suffix), file(base, suffix) + deletedSuffix);
    }
  }
  await unlinkIfExists(fs, path.join(dir, compactionPendingFile));
  await fsyncDir(fs, dir);
}

async function renameIfExists(fs: StorageFs, from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** On open: applies a committed swap a crash interrupted. */
export async function completePendingCompaction(dir: string, env: StorageEnvironment): Promise<void> {
  const pending = (await readAtomicFile(env.fs, dir, compactionPendingFile)) as PendingSwap | null;
  if (!pending) return;
  if (pending.version !== 1 || !Number.isSafeInteger(pending.baseOffset) || !Array.isArray(pending.replaces)) {
    throw new Error(`${path.join(dir, compactionPendingFile)} is unreadable; move it away to open the log without finishing that compaction`);
  }
  env.logger.warn(`${dir}: finishing an interrupted compaction of segment ${pending.baseOffset}`);
  await applySwap(dir, env.fs, pending);
}
