/**
 * What a log needs from the world outside: a filesystem, a clock and timers
 * (src/clock.ts: the wall clock for segment rolling, retention and
 * compaction lag, which compare with record timestamps; the monotonic one
 * for flush.ms; timers for deferred file deletion and the log manager's
 * background tasks) and a logger (recovery reports what it truncated). Injected so tests and a
 * simulation control them; `resolveEnvironment` defaults to node:fs, the
 * system clocks and kb's stderr log (src/logger.ts). No on-disk format here.
 */
import { systemTime, type Time } from '../clock.ts';
import { stderrLogger, type Logger } from '../logger.ts';
import { nodeStorageFs, type StorageFs } from './fs.ts';

export interface StorageEnvironment {
  fs: StorageFs;
  clock: Time;
  logger: Logger;
}

export function resolveEnvironment(partial: Partial<StorageEnvironment> = {}): StorageEnvironment {
  return { fs: partial.fs ?? nodeStorageFs, clock: partial.clock ?? systemTime, logger: partial.logger ?? stderrLogger() };
}
