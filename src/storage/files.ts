/**
 * The names of every file the storage engine writes, in one place.
 *
 * A partition directory holds, per segment, `<base>.log`, `<base>.index`,
 * `<base>.timeindex` and, when the segment holds ABORT markers,
 * `<base>.txnindex` (txn-index.ts: the aborted transactions, for
 * read_committed fetches), where <base> is the segment's base offset as 20
 * decimal digits (zero-padded), plus:
 * - `partition.checkpoint`: recovery point, log start offset, high watermark,
 *   cleaner offset (checkpoint.ts);
 * - `leader-epoch-checkpoint`: the leader epoch cache (leader-epoch-cache.ts);
 * - `.clean-shutdown`: present only between a clean close and the next open;
 * - `producer-state.snapshot`: the state its owner (the broker's partition:
 *   idempotent producers and transactions) keeps of the log, written at a
 *   clean close with the log end offset it covers, trusted on the next open
 *   only after a clean shutdown at that same end offset, and removed by
 *   every open (recovery.ts); the `.txnindex` files are trusted with it,
 *   and rebuilt by the owner with its state when it is not;
 * - `compaction.pending`: a committed compaction still being installed
 *   (compaction.ts);
 * - transient files: `<name>.tmp` (atomic writes), `<file>.deleted` (a
 *   deleted segment's files waiting for readers to finish),
 *   `<base>.log.cleaned` (a compaction output being written).
 * A log manager's data directory holds one directory per partition, named
 * `<topic>-<partition>` by the caller, and `<name>.<random>-delete` for
 * partitions being removed.
 */

export const segmentSuffix = { log: '.log', index: '.index', timeIndex: '.timeindex', txnIndex: '.txnindex' } as const;
export const deletedSuffix = '.deleted';
export const cleanedSuffix = '.cleaned';
export const tempSuffix = '.tmp';
export const partitionCheckpointFile = 'partition.checkpoint';
export const leaderEpochCheckpointFile = 'leader-epoch-checkpoint';
export const cleanShutdownFile = '.clean-shutdown';
export const producerSnapshotFile = 'producer-state.snapshot';
export const compactionPendingFile = 'compaction.pending';
export const deletedPartitionSuffix = '-delete';
export const writeProbeFile = '.kb-write-probe';

const baseOffsetDigits = 20;

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(baseOffsetDigits, '0') + suffix;
}

/** The base offset named by a segment's `.log` file name, or null for any other name. */
export function parseSegmentLogName(name: string): number | null {
  const match = /^(\d{20})\.log$/.exec(name);
  return match ? Number(match[1]) : null;
}

/** A file an interrupted operation may leave behind, removed when a log opens. */
export function isLeftoverFile(name: string): boolean {
  return name.endsWith(deletedSuffix) || name.endsWith(cleanedSuffix) || name.endsWith(tempSuffix);
}
