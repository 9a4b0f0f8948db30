/**
 * Opening a partition directory: from the files on disk to a consistent log
 * state, repairing what a crash can leave behind.
 *
 * Steps, in order:
 * 1. finish a committed compaction (`compaction.pending`, compaction.ts);
 * 2. remove leftovers: `*.deleted`, `*.cleaned`, `*.tmp` files and index
 *    files without their `.log`;
 * 3. read `partition.checkpoint` and `leader-epoch-checkpoint`
 *    (checkpoint.ts, leader-epoch-cache.ts);
 * 4. after a clean shutdown (`.clean-shutdown` present) trust the segments
 *    and only check the last one's indexes and tail; otherwise recover: scan
 *    and verify every entry from the recovery point to the end (in its
 *    segment from the last offset index entry at or below it, segment.ts
 *    `recover`; the whole segment when its indexes do not fit), rebuild
 *    those segments' indexes, truncate at the first invalid entry, delete
 *    any later segments, re-add leader epochs seen, fsync, and log what was
 *    cut;
 * 5. clamp the checkpointed offsets to the recovered log, and remove the
 *    clean-shutdown marker durably before anything is written;
 * 6. the producer-state snapshot (files.ts) is handed to the log's owner
 *    only after a clean shutdown and when it covers exactly the log end
 *    offset; either way its file is removed durably with the marker, so a
 *    later crash never finds a stale one.
 * Segments below the recovery point are opened lazily (their files are
 * opened, and their indexes checked, on first use: segment.ts); the last
 * one becomes the active segment.
 */
import path from 'node:path';
import { readAtomicFile, readPartitionCheckpoint, type PartitionCheckpoint } from './checkpoint.ts';
import { completePendingCompaction } from './compaction.ts';
import type { StorageEnvironment } from './environment.ts';
import { cleanShutdownFile, compactionPendingFile, isLeftoverFile, partitionCheckpointFile, parseSegmentLogName, producerSnapshotFile, segmentSuffix } from './files.ts';
import { fsyncDir, isNotFound, unlinkIfExists } from './fs.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import type { LogConfig } from './log-config.ts';
import { Segment } from './segment.ts';

export interface LoadedLog {
  segments: Segment[];
  checkpoint: PartitionCheckpoint;
  epochs: LeaderEpochCache;
  /** Whether the state differs from the checkpoint files (they should be rewritten). */
  changed: boolean;
  /** The owner's state from the producer-state snapshot, when it can be trusted (step 6); else null. */
  producerSnapshot: unknown;
}

/** The content of `producer-state.snapshot`. */
export interface ProducerSnapshotFile {
  version: 1;
  /** The log end offset the state covers. */
  endOffset: number;
  state: unknown;
}

export async function loadLog(dir: string, config: LogConfig, env: StorageEnvironment): Promise<LoadedLog> {
  const { fs, logger } = env;
  const names = await listOrCreate(dir, env);
  await removeLeftovers(dir, names, env);
  const cleanShutdown = names.includes(cleanShutdownFile);
  const hasSnapshot = names.includes(producerSnapshotFile);
  const snapshot = cleanShutdown && hasSnapshot ? ((await readAtomicFile(fs, dir, producerSnapshotFile)) as Partial<ProducerSnapshotFile> | null) : null;
  const stored = await readPartitionCheckpoint(fs, dir);
  const epochs = await LeaderEpochCache.load(fs, dir);
  const bases = names.map(parseSegmentLogName).filter((b): b is number => b !== null).sort((a, b) => a - b);
  const segments: Segment[] = [];
  try {
    for (const base of bases) segments.push(await Segment.open(env, dir, base, config.indexIntervalBytes));
    const checkpoint = stored ?? { recoveryPoint: 0, logStartOffset: 0, highWatermark: 0, cleanerOffset: 0 };
    if (segments.length === 0) {
      segments.push(await Segment.create(env, dir, checkpoint.logStartOffset, config.indexIntervalBytes));
      await fsyncDir(fs, dir);
    }
    let changed = stored === null;
    if (cleanShutdown) {
      await segments.at(-1)!.load();
    } else {
      if (stored === null && bases.length > 0) logger.warn(`${dir}: no readable ${partitionCheckpointFile}; recovering every segment`);
      await recoverFrom(dir, segments, checkpoint.recoveryPoint, epochs, env);
      changed = true;
    }
    segments.at(-1)!.activate();
    const logEndOffset = segments.at(-1)!.nextOffset;
    const logStartOffset = Math.min(Math.max(checkpoint.logStartOffset, segments[0].baseOffset), logEndOffset);
    const clamp = (offset: number) => Math.min(Math.max(offset, logStartOffset), logEndOffset);
    const recovered: PartitionCheckpoint = {
      recoveryPoint: cleanShutdown ? clamp(checkpoint.recoveryPoint) : logEndOffset,
      logStartOffset,
      highWatermark: clamp(checkpoint.highWatermark),
      cleanerOffset: clamp(checkpoint.cleanerOffset),
    };
    changed ||= JSON.stringify(recovered) !== JSON.stringify(checkpoint);
    epochs.truncateFromEnd(logEndOffset);
    epochs.truncateFromStart(logStartOffset);
    const consumed = [...(cleanShutdown ? [cleanShutdownFile] : []), ...(hasSnapshot ? [producerSnapshotFile] : [])];
    for (const name of consumed) await unlinkIfExists(fs, path.join(dir, name));
    if (consumed.length > 0) await fsyncDir(fs, dir);
    const producerSnapshot = snapshot?.version === 1 && snapshot.endOffset === logEndOffset ? (snapshot.state ?? null) : null;
    return { segments, checkpoint: recovered, epochs, changed, producerSnapshot };
  } catch (err) {
    await Promise.allSettled(segments.map((s) => s.close()));
    throw err;
  }
}

/**
 * The directory's file names after step 1, creating the directory when it
 * is missing. Opening thousands of partitions at start makes each file
 * operation count, so the compaction's file is only read when listed.
 */
async function listOrCreate(dir: string, env: StorageEnvironment): Promise<string[]> {
  let names: string[];
  try {
    names = await env.fs.readdir(dir);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await env.fs.mkdir(dir);
    return [];
  }
  if (!names.includes(compactionPendingFile)) return names;
  await completePendingCompaction(dir, env);
  return env.fs.readdir(dir);
}

async function removeLeftovers(dir: string, names: string[], env: StorageEnvironment): Promise<void> {
  const logs = new Set(names.filter((n) => n.endsWith(segmentSuffix.log)).map((n) => n.slice(0, -segmentSuffix.log.length)));
  const orphanIndex = (name: string) =>
    [segmentSuffix.index, segmentSuffix.timeIndex, segmentSuffix.txnIndex].some((suffix) => name.endsWith(suffix) && !logs.has(name.slice(0, -suffix.length)));
  for (const name of names) {
    if (isLeftoverFile(name) || orphanIndex(name)) await unlinkIfExists(env.fs, path.join(dir, name));
  }
}

/**
 * Verifying scan from `recoveryPoint` to the end (see
 * the header comment). Leaves every segment from there loaded and fsynced.
 */
async function recoverFrom(dir: string, segments: Segment[], recoveryPoint: number, epochs: LeaderEpochCache, env: StorageEnvironment): Promise<void> {
  let first = segments.findLastIndex((s) => s.baseOffset <= recoveryPoint);
  if (first < 0) first = 0;
  let minimum = 0;
  if (first > 0) {
    await segments[first - 1].load();
    minimum = segments[first - 1].nextOffset;
  }
  epochs.truncateFromEnd(Math.max(segments[first].baseOffset, recoveryPoint));
  for (let i = first; i < segments.length; i++) {
    const segment = segments[i];
    const result = await segment.recover(minimum, (entry) => epochs.assign(entry.leaderEpoch, entry.baseOffset), recoveryPoint);
    if (i < segments.length - 1 && result.problem === null) await segment.seal();
    await segment.flush();
    minimum = segment.nextOffset;
    if (result.problem === null || i === segments.length - 1) continue;
    const dropped = segments.splice(i + 1);
    env.logger.warn(`${dir}: deleting ${dropped.length} segment(s) after the invalid entry in ${segment.name}: ${dropped.map((s) => s.name).join(', ')}`);
    for (const later of dropped.reverse()) {
      await later.retire(0);
      await later.removeNow();
    }
    await fsyncDir(env.fs, dir);
  }
}
