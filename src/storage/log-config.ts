/**
 * Every setting and limit of the storage engine, in one place.
 *
 * `LogConfig` is the per-log (per-topic) configuration. Each field is a Kafka
 * topic config (name in the comment) with Kafka's default; units come last
 * in the identifiers. Callers may pass a partial config: `resolveLogConfig`
 * fills in the defaults. `storageLimits` are the engine's own fixed limits
 * and scheduler intervals (Kafka broker settings where one exists).
 * No on-disk format lives here.
 */

/** Kafka's Long.MAX_VALUE as the "never" of time and count settings. */
export const never = Number.MAX_SAFE_INTEGER;

export interface LogConfig {
  /** segment.bytes: roll the active segment before it grows past this. */
  segmentBytes: number;
  /** segment.ms: roll the active segment once its first batch is this old. */
  segmentMs: number;
  /** segment.index.bytes: roll once the offset index holds this many bytes. */
  segmentIndexBytes: number;
  /** index.interval.bytes: log bytes between two offset index entries. */
  indexIntervalBytes: number;
  /** retention.bytes: delete old segments while the log is larger (-1: no limit). */
  retentionBytes: number;
  /** retention.ms: delete segments whose newest timestamp is older (-1: keep forever). */
  retentionMs: number;
  /** cleanup.policy: "delete", "compact" or "compact,delete". */
  cleanupPolicy: string;
  /** delete.retention.ms: tombstones older than this are dropped by compaction. */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms: records younger than this are not compacted. */
  minCompactionLagMs: number;
  /** min.cleanable.dirty.ratio: compact once this share of the log is uncompacted. */
  minCleanableDirtyRatio: number;
  /** flush.messages: fsync after this many records (1: before every acknowledgement). */
  flushMessages: number;
  /** flush.ms: fsync when the last fsync is older than this. */
  flushMs: number;
  /** file.delete.delay.ms: how long a deleted segment's files linger for readers. */
  fileDeleteDelayMs: number;
}

export const defaultLogConfig: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionBytes: -1,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  cleanupPolicy: 'delete',
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCompactionLagMs: 0,
  minCleanableDirtyRatio: 0.5,
  flushMessages: never,
  flushMs: never,
  fileDeleteDelayMs: 60_000,
});

/** Fills missing or non-numeric fields with Kafka's defaults; clamps to what the formats can hold. */
export function resolveLogConfig(partial: Partial<LogConfig> = {}): LogConfig {
  const config = { ...defaultLogConfig } as LogConfig;
  for (const key of Object.keys(defaultLogConfig) as (keyof LogConfig)[]) {
    const value = partial[key];
    if (value === undefined || value === null) continue;
    if (typeof defaultLogConfig[key] === 'number' && !Number.isFinite(value as number)) continue;
    (config as unknown as Record<string, unknown>)[key] = value;
  }
  config.segmentBytes = Math.max(storageLimits.segmentBytesMin, Math.min(config.segmentBytes, storageLimits.segmentBytesMax));
  return config;
}

export function compactEnabled(config: LogConfig): boolean {
  return config.cleanupPolicy.split(',').some((p) => p.trim() === 'compact');
}

export function deleteEnabled(config: LogConfig): boolean {
  return config.cleanupPolicy.split(',').some((p) => p.trim() === 'delete');
}

export const storageLimits = Object.freeze({
  /** Positions in the offset index are u32 and Kafka caps segment.bytes at Integer.MAX_VALUE. */
  segmentBytesMax: 0x7fffffff,
  /** Smallest segment.bytes accepted; below it every batch gets a segment of its own anyway. */
  segmentBytesMin: 128,
  /** Offsets within a segment are stored relative to its base as u32; Kafka keeps them within int32. */
  relativeOffsetMax: 0x7fffffff,
  /** Largest offset the engine handles (JavaScript numbers stay exact up to here). */
  offsetMax: Number.MAX_SAFE_INTEGER,
  /** Buffers handed to one writev (Linux IOV_MAX is 1024; each append uses two). */
  writevBuffersMax: 1024,
  /** Bytes of appends gathered into one write. */
  writeGroupBytesMax: 64 * 1024 * 1024,
  /** Chunk size for sequential scans (recovery, index rebuilds, compaction, dump). */
  scanChunkBytes: 1024 * 1024,
  /** Chunk size for scans that read only the headers of each entry (producer state). */
  headerScanChunkBytes: 64 * 1024,
  /** Partition logs opened (and recovered) at once by the log manager (num.recovery.threads.per.data.dir). */
  recoveryThreadsDefault: 2,
  /** log.flush.offset.checkpoint.interval.ms: how often checkpoints are written. */
  checkpointIntervalMs: 60_000,
  /** How often the manager checks flush.ms (Kafka's log.flush.scheduler.interval.ms, finite here). */
  flushCheckIntervalMs: 1_000,
  /** log.retention.check.interval.ms. */
  retentionCheckIntervalMs: 5 * 60_000,
  /** log.cleaner.backoff.ms: pause between compaction passes. */
  compactionCheckIntervalMs: 15_000,
});
