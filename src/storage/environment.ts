/**
 * What a log needs from the world outside: a filesystem, a clock and timers
 * (src/clock.ts: the wall clock for segment rolling, retention and
 * compaction lag, which compare with record timestamps; the monotonic one
 * for flush.ms and idle files; timers for deferred file deletion and the
 * log manager's background tasks), a logger (recovery reports what it
 * truncated) and the pool of open sealed-segment files, shared by the logs
 * of one log manager (segment-file.ts). Injected so tests and a simulation
 * control them; `resolveEnvironment` defaults to node:fs, the system
 * clocks, kb's stderr log (src/logger.ts) and a pool of its own with the
 * default bounds (log-config.ts storageTuning). No on-disk format here.
 */
import { systemTime, type Time } from '../clock.ts';
import { stderrLogger, type Logger } from '../logger.ts';
import { nodeStorageFs, type StorageFs } from './fs.ts';
import { storageTuning } from './log-config.ts';
import { SegmentFilePool } from './segment-file.ts';

export interface StorageEnvironment {
  fs: StorageFs;
  clock: Time;
  logger: Logger;
  files: SegmentFilePool;
}

export function resolveEnvironment(partial: Partial<StorageEnvironment> = {}): StorageEnvironment {
  const clock = partial.clock ?? systemTime;
  const logger = partial.logger ?? stderrLogger();
  const files =
    partial.files ?? new SegmentFilePool(clock, logger, { openMax: storageTuning.segmentFilesOpenMaxDefault, idleMs: storageTuning.segmentFileIdleMsDefault });
  return { fs: partial.fs ?? nodeStorageFs, clock, logger, files };
}
