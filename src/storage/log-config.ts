/**
 * Every setting of the storage engine, in one place.
 *
 * `LogConfig` is the per-log (per-topic) configuration. Each field is a Kafka
 * topic config (name in the comment) with Kafka's default; units come last
 * in the identifiers. Callers may pass a partial config: `resolveLogConfig`
 * fills in the defaults. `storageTuning` holds the engine's scan sizes and
 * scheduler intervals (Kafka broker settings where one exists); its fixed
 * limits (segment and offset bounds, write groups) are in src/limits.ts.
 * No on-disk format lives here.
 */
import { segmentBytesMax, segmentBytesMin } from '../limits.ts';

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
  config.segmentBytes = Math.max(segmentBytesMin, Math.min(config.segmentBytes, segmentBytesMax));
  return config;
}

export function compactEnabled(config: LogConfig): boolean {
  return config.cleanupPolicy.split(',').some((p) => p.trim() === 'compact');
}

export function deleteEnabled(config: LogConfig): boolean {
  return config.cleanupPolicy.split(',').some((p) => p.trim() === 'delete');
}

export const storageTuning = Object.freeze({
  /** Chunk size for sequential scans (recovery, index rebuilds, compaction, dump). */
  scanChunkBytes: 1024 * 1024,
  /** Chunk size for scans that read only the headers of each entry (producer state). */
  headerScanChunkBytes: 64 * 1024,
  /**
   * Partition logs opened (and recovered) at once by the log manager
   * (num.recovery.threads.per.data.dir), and closed at once. Opening a log
   * is a chain of small file operations ending in a directory fsync, so
   * opens wait on I/O: 4,096 partitions on 2 busy cores opened in ~20 s two
   * at a time, in ~7-11 s sixteen or thirty-two at a time.
   */
  recoveryThreadsDefault: 16,
  /**
   * log.recovery.flush.interval.ms (kb's): how often every log with new
   * appends is fsynced in the background and its recovery point
   * checkpointed, which bounds what recovery after kill -9 re-checks (and
   * what a power loss can take from an unreplicated log) to about this many
   * ms of appends.
   */
  recoveryFlushIntervalMsDefault: 1_000,
  /** log.flush.offset.checkpoint.interval.ms: how often checkpoints are written. */
  checkpointIntervalMs: 60_000,
  /** How often the manager checks flush.ms (Kafka's log.flush.scheduler.interval.ms, finite here). */
  flushCheckIntervalMs: 1_000,
  /** log.retention.check.interval.ms. */
  retentionCheckIntervalMs: 5 * 60_000,
  /** log.cleaner.backoff.ms: pause between compaction passes. */
  compactionCheckIntervalMs: 15_000,
  /** log.segment.open.files.max (kb's): sealed segments' files kept open when unused, per log manager (segment-file.ts). */
  segmentFilesOpenMaxDefault: 1000,
  /** log.segment.open.files.idle.ms (kb's): a sealed segment's file unused this long is closed. */
  segmentFileIdleMsDefault: 60_000,
  /** How often the manager closes idle segment files: every idle time, within these bounds. */
  idleFilesCheckIntervalMinMs: 100,
  idleFilesCheckIntervalMaxMs: 10_000,
});
