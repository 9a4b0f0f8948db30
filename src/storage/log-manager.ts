/**
 * All partition logs under one data directory.
 *
 * - `open` checks that the directory is usable (created if missing, a probe
 *   file written, fsynced and removed; a clear StorageError 'notWritable'
 *   otherwise), then opens every partition directory in it, at most
 *   `recoveryThreads` at a time (recovery after an unclean stop happens
 *   here), and starts the background tasks.
 * - `openOrCreate(name, config)` returns the open log (with the config
 *   applied) or creates it; `delete(name)` closes the log, renames its
 *   directory to `<name>.<random>-delete` (so it is gone at once, also for
 *   the next start) and removes it in the background.
 * - Its logs share one pool of open sealed-segment files (segment-file.ts):
 *   at most `segmentFilesOpenMax` of them stay open while unused, and those
 *   unused for `segmentFileIdleMs` are closed.
 * - Background tasks, one at a time, each on its own interval
 *   (log-config.ts storageTuning), a tick skipped while the task's last run
 *   is still queued or running: flush logs whose flush.ms is due, the
 *   recovery flush (every `recoveryFlushIntervalMs`: each log with new
 *   appends fsyncs them and checkpoints its recovery point, so recovery
 *   after a crash re-checks only what came after), write checkpoints,
 *   enforce retention, compact, close idle segment files. Each is also
 *   callable directly.
 * - `close` stops the tasks and closes every log cleanly.
 * On disk: the data directory holds one directory per partition (named by
 * the caller, e.g. `<topic>-<partition>`), laid out as log.ts describes,
 * and partition directories being removed (files.ts).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { TimerHandle } from '../clock.ts';
import { timerDelayMaxMs } from '../limits.ts';
import type { CompactionResult } from './compaction.ts';
import { resolveEnvironment, type StorageEnvironment } from './environment.ts';
import { describeIoError, StorageError } from './errors.ts';
import { deletedPartitionSuffix, writeProbeFile } from './files.ts';
import { fsyncDir, unlinkIfExists, type StorageFs } from './fs.ts';
import { Log } from './log.ts';
import { storageTuning, type LogConfig } from './log-config.ts';
import { SegmentFilePool } from './segment-file.ts';
import { Serial } from './serial.ts';

export interface LogManagerOptions extends Partial<Omit<StorageEnvironment, 'files'>> {
  /** Partition logs opened at once at start (default storageTuning.recoveryThreadsDefault). */
  recoveryThreads?: number;
  /** The config of a partition found on disk at start (default: Kafka's defaults). */
  configFor?: (name: string) => Partial<LogConfig>;
  /** Run flush, checkpoint, retention, compaction and idle file closing on timers (default true). */
  background?: boolean;
  /** How often logs fsync new appends and checkpoint their recovery point (default storageTuning.recoveryFlushIntervalMsDefault; <= 0: never; at most limits.ts timerDelayMaxMs). */
  recoveryFlushIntervalMs?: number;
  /** Sealed segments' files kept open while unused, at most (default storageTuning.segmentFilesOpenMaxDefault). */
  segmentFilesOpenMax?: number;
  /** A sealed segment's file unused this long is closed (default storageTuning.segmentFileIdleMsDefault). */
  segmentFileIdleMs?: number;
}

const partitionNamePattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export class LogManager {
  readonly dir: string;
  private readonly env: StorageEnvironment;
  private readonly logs = new Map<string, Log>();
  private readonly opening = new Map<string, Promise<Log>>();
  private readonly removals = new Set<Promise<void>>();
  private readonly tasks = new Serial();
  private readonly timers: TimerHandle[] = [];
  private closed = false;

  private constructor(dir: string, env: StorageEnvironment) {
    this.dir = dir;
    this.env = env;
  }

  static async open(dir: string, options: LogManagerOptions = {}): Promise<LogManager> {
    const base = resolveEnvironment(options);
    const files = new SegmentFilePool(base.clock, base.logger, {
      openMax: options.segmentFilesOpenMax ?? storageTuning.segmentFilesOpenMaxDefault,
      idleMs: options.segmentFileIdleMs ?? storageTuning.segmentFileIdleMsDefault,
    });
    const env: StorageEnvironment = { ...base, files };
    const manager = new LogManager(path.resolve(dir), env);
    await ensureWritable(env.fs, manager.dir);
    const configFor = options.configFor ?? (() => ({}));
    try {
      // Each entry is looked at and opened by the same worker: thousands of stats one after another took seconds.
      await inParallel(await env.fs.readdir(manager.dir), options.recoveryThreads ?? storageTuning.recoveryThreadsDefault, async (name) => {
        const full = path.join(manager.dir, name);
        if (!(await env.fs.stat(full)).isDirectory) return;
        if (name.endsWith(deletedPartitionSuffix)) manager.removeInBackground(full);
        else if (partitionNamePattern.test(name)) manager.logs.set(name, await Log.open(full, configFor(name), env));
      });
    } catch (err) {
      await manager.close();
      throw err;
    }
    if (options.background ?? true) manager.startBackgroundTasks(options.recoveryFlushIntervalMs ?? storageTuning.recoveryFlushIntervalMsDefault);
    return manager;
  }

  partitionNames(): string[] {
    return [...this.logs.keys()];
  }

  get(name: string): Log | undefined {
    return this.logs.get(name);
  }

  /** The log of `name`, created if missing; an open log takes `config`. */
  async openOrCreate(name: string, config: Partial<LogConfig> = {}): Promise<Log> {
    if (this.closed) throw new StorageError('closed', `log manager for ${this.dir} is closed`);
    if (!partitionNamePattern.test(name) || name.endsWith(deletedPartitionSuffix)) {
      throw new StorageError('invalidName', `"${name}" cannot name a partition directory (letters, digits, '.', '_', '-'; not ending in ${deletedPartitionSuffix})`);
    }
    const open = this.logs.get(name);
    if (open) {
      open.updateConfig(config);
      return open;
    }
    let opening = this.opening.get(name);
    if (!opening) {
      opening = Log.open(path.join(this.dir, name), config, this.env).finally(() => this.opening.delete(name));
      this.opening.set(name, opening);
      const log = await opening;
      this.logs.set(name, log);
      return log;
    }
    return opening;
  }

  /** Closes and removes the partition's log: renamed away at once, files removed in the background. */
  async delete(name: string): Promise<void> {
    await this.opening.get(name)?.catch(() => undefined);
    const log = this.logs.get(name);
    if (!log) return;
    this.logs.delete(name);
    await log.close();
    const doomed = path.join(this.dir, `${name}.${randomBytes(8).toString('hex')}${deletedPartitionSuffix}`);
    await this.env.fs.rename(log.dir, doomed);
    await fsyncDir(this.env.fs, this.dir);
    this.removeInBackground(doomed);
  }

  private removeInBackground(dir: string): void {
    const removal = this.env.fs.rmTree(dir).catch((err: Error) => this.env.logger.error(`removing ${dir}: ${err.message}`));
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
  }

  /** Bytes on disk per partition. */
  sizes(): Map<string, number> {
    return new Map([...this.logs].map(([name, log]) => [name, log.sizeBytes]));
  }

  async flushDue(): Promise<void> {
    for (const log of this.logs.values()) await log.flushIfDue();
  }

  /** The recovery flush of every log (Log.flushRecoveryPoint). */
  async flushRecoveryPoints(): Promise<void> {
    for (const log of this.logs.values()) await log.flushRecoveryPoint();
  }

  async checkpointAll(): Promise<void> {
    for (const log of this.logs.values()) await log.checkpoint();
  }

  /** Retention over every log; returns the number of segments deleted. */
  async enforceRetention(): Promise<number> {
    let deleted = 0;
    for (const log of this.logs.values()) deleted += await log.enforceRetention();
    return deleted;
  }

  /** A compaction pass over every compacted log; returns what each pass did, by partition. */
  async compactAll(): Promise<Map<string, CompactionResult>> {
    const results = new Map<string, CompactionResult>();
    for (const [name, log] of this.logs) {
      const result = await log.compact();
      if (result) results.set(name, result);
    }
    return results;
  }

  private startBackgroundTasks(recoveryFlushIntervalMs: number): void {
    const every = (intervalMs: number, what: string, task: () => Promise<unknown>) => {
      let queued = false;
      const timer = this.env.clock.setInterval(() => {
        if (queued) return;
        queued = true;
        void this.tasks.run(async () => {
          try {
            if (this.closed) return;
            await task().catch((err: Error) => this.env.logger.error(`${what} in ${this.dir} failed: ${err.message}`));
          } finally {
            queued = false;
          }
        });
      }, intervalMs, { background: true });
      this.timers.push(timer);
    };
    every(storageTuning.flushCheckIntervalMs, 'flush', () => this.flushDue());
    if (recoveryFlushIntervalMs > 0) every(Math.min(recoveryFlushIntervalMs, timerDelayMaxMs), 'recovery flush', () => this.flushRecoveryPoints());
    every(storageTuning.checkpointIntervalMs, 'checkpoint', () => this.checkpointAll());
    every(storageTuning.retentionCheckIntervalMs, 'retention', () => this.enforceRetention());
    every(storageTuning.compactionCheckIntervalMs, 'compaction', () => this.compactAll());
    const files = this.env.files;
    const idleCheckMs = Math.min(Math.max(files.idleMs, storageTuning.idleFilesCheckIntervalMinMs), storageTuning.idleFilesCheckIntervalMaxMs);
    every(idleCheckMs, 'closing idle segment files', async () => files.closeIdle());
  }

  /** Stops the background tasks and closes every log cleanly. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) this.env.clock.clear(timer);
    await this.tasks.run(async () => undefined);
    await Promise.allSettled(this.opening.values());
    const logs = [...this.logs.values()];
    this.logs.clear();
    await inParallel(logs, storageTuning.recoveryThreadsDefault, (log) => log.close());
    await Promise.allSettled(this.removals);
  }
}

/** Runs `work` over `items`, at most `limit` at a time; the first failure is thrown after all settle. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure;
}

async function ensureWritable(fs: StorageFs, dir: string): Promise<void> {
  const probe = path.join(dir, writeProbeFile);
  try {
    await fs.mkdir(dir);
    const file = await fs.open(probe, 'w+');
    try {
      await file.writev([Buffer.from('kb')], 0);
      await file.datasync();
    } finally {
      await file.close();
    }
    await unlinkIfExists(fs, probe);
  } catch (err) {
    throw new StorageError('notWritable', `data directory ${dir} is not writable: ${describeIoError(err)}; check that it is a directory this user can write to`, { cause: err });
  }
}
