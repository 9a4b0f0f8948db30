/**
 * What a log needs from the world outside: a filesystem, a clock (segment
 * rolling, retention, compaction lag, flush.ms) and a logger (recovery
 * reports what it truncated). Injected so tests and a simulation control
 * them; `defaultEnvironment` uses node:fs, Date.now and stderr.
 * The logger shape matches the broker's Logger. No on-disk format here.
 */
import { nodeStorageFs, type StorageFs } from './fs.ts';

export interface Clock {
  nowMs(): number;
}

export interface StorageLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface StorageEnvironment {
  fs: StorageFs;
  clock: Clock;
  logger: StorageLogger;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

const stderrLogger: StorageLogger = {
  info: (m) => process.stderr.write(`${new Date().toISOString()} INFO ${m}\n`),
  warn: (m) => process.stderr.write(`${new Date().toISOString()} WARN ${m}\n`),
  error: (m) => process.stderr.write(`${new Date().toISOString()} ERROR ${m}\n`),
};

export function resolveEnvironment(partial: Partial<StorageEnvironment> = {}): StorageEnvironment {
  return { fs: partial.fs ?? nodeStorageFs, clock: partial.clock ?? systemClock, logger: partial.logger ?? stderrLogger };
}
