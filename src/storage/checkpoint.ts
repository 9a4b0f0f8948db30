/**
 * Small state files written atomically (storage/atomic-write.ts), so after
 * a crash the file holds either the old or the new content, never a mix.
 * Content is one MessagePack map (plain maps and arrays, numbers).
 *
 * `partition.checkpoint` (one per partition directory), a map:
 *   { version: 1, recoveryPoint, logStartOffset, highWatermark, cleanerOffset }
 * recoveryPoint: offsets below it are fsynced and need no recovery;
 * logStartOffset: first offset visible to readers; highWatermark: as last
 * set by the broker; cleanerOffset: first offset compaction has not cleaned.
 * An unreadable file is reported as null; the caller falls back to a full
 * recovery.
 */
import path from 'node:path';
import { Packr } from 'msgpackr';
import { writeFileAtomically } from './atomic-write.ts';
import { partitionCheckpointFile } from './files.ts';
import { isNotFound, type StorageFs } from './fs.ts';

const packr = new Packr({ useRecords: false, int64AsType: 'number' });
const checkpointVersion = 1;

/** Replaces `dir/name` with `value`, MessagePack-encoded, atomically. */
export function writeAtomically(fs: StorageFs, dir: string, name: string, value: unknown): Promise<void> {
  return writeFileAtomically(fs, path.join(dir, name), packr.pack(value));
}

/** The decoded content, or null when the file is missing or unreadable. */
export async function readAtomicFile(fs: StorageFs, dir: string, name: string): Promise<unknown> {
  try {
    return packr.unpack(await fs.readFile(path.join(dir, name)));
  } catch (err) {
    if (isNotFound(err)) return null;
    if (err instanceof Error && 'code' in err) throw err;
    return null;
  }
}

export interface PartitionCheckpoint {
  recoveryPoint: number;
  logStartOffset: number;
  highWatermark: number;
  cleanerOffset: number;
}

export function writePartitionCheckpoint(fs: StorageFs, dir: string, checkpoint: PartitionCheckpoint): Promise<void> {
  return writeAtomically(fs, dir, partitionCheckpointFile, { version: checkpointVersion, ...checkpoint });
}

export async function readPartitionCheckpoint(fs: StorageFs, dir: string): Promise<PartitionCheckpoint | null> {
  const value = (await readAtomicFile(fs, dir, partitionCheckpointFile)) as Record<string, unknown> | null;
  if (!value || value.version !== checkpointVersion) return null;
  const fields = ['recoveryPoint', 'logStartOffset', 'highWatermark', 'cleanerOffset'] as const;
  if (!fields.every((f) => Number.isSafeInteger(value[f]) && (value[f] as number) >= 0)) return null;
  return {
    recoveryPoint: value.recoveryPoint as number,
    logStartOffset: value.logStartOffset as number,
    highWatermark: value.highWatermark as number,
    cleanerOffset: value.cleanerOffset as number,
  };
}
