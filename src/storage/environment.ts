/**
 * What a log needs from the world outside: a filesystem, a clock and timers
 * (src/clock.ts: the wall clock for segment rolling, retention and
 * compaction lag, which compare with record timestamps; the monotonic one
 * for flush.ms; timers for deferred file deletion and the log manager's
 * background tasks) and a logger (recovery reports what it truncated). Injected so tests and a
 * simulation control them; `resolveEnvironment` defaults to node:fs, the
 * system clocks and stderr.
 * The logger shape matches the broker's Logger. No on-disk format here.
 */
import { systemTime, type Time } from '../clock.ts';
import { nodeStorageFs, type StorageFs } from './fs.ts';

export interface StorageLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface StorageEnvironment {
  fs: StorageFs;
  clock: Time;
  logger: StorageLogger;
}

const stderrLogger: StorageLogger = {
  info: (m) => process.stderr.write(`${new Date().toISOString()} INFO ${m}\n`),
  warn: (m) => process.stderr.write(`${new Date().toISOString()} WARN ${m}\n`),
  error: (m) => process.stderr.write(`${new Date().toISOString()} ERROR ${m}\n`),
};

export function resolveEnvironment(partial: Partial<StorageEnvironment> = {}): StorageEnvironment {
  return { fs: partial.fs ?? nodeStorageFs, clock: partial.clock ?? systemTime, logger: partial.logger ?? stderrLogger };
}
