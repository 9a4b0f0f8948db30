/**
 * The leader epoch cache of a partition: for each leader epoch, the first
 * offset written in it. Followers ask the leader for the end offset of their
 * latest epoch (OffsetForLeaderEpoch) to find where their log diverged.
 *
 * Entries are kept with both epoch and start offset strictly increasing.
 * The cache follows the log: `truncateFromEnd` when the log is truncated,
 * `truncateFromStart` when its start moves, and recovery re-adds the epochs
 * of the batches it scans.
 *
 * On disk: `leader-epoch-checkpoint`, written atomically (checkpoint.ts), a
 * MessagePack map { version: 1, epochs: [[epoch, startOffset], ...] }.
 */
import { readAtomicFile, writeAtomically } from './checkpoint.ts';
import { leaderEpochCheckpointFile } from './files.ts';
import type { StorageFs } from './fs.ts';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const undefinedEpoch = -1;
export const undefinedEpochOffset = -1;

const fileVersion = 1;

export class LeaderEpochCache {
  private entries: EpochEntry[];
  /** Whether the entries changed since the last write. */
  dirty = false;

  constructor(entries: EpochEntry[] = []) {
    this.entries = entries;
  }

  static async load(fs: StorageFs, dir: string): Promise<LeaderEpochCache> {
    const value = (await readAtomicFile(fs, dir, leaderEpochCheckpointFile)) as { version?: number; epochs?: unknown } | null;
    if (!value || value.version !== fileVersion || !Array.isArray(value.epochs)) return new LeaderEpochCache();
    const entries: EpochEntry[] = [];
    for (const pair of value.epochs as unknown[]) {
      if (!Array.isArray(pair) || !pair.every((n) => Number.isSafeInteger(n) && n >= 0)) return new LeaderEpochCache();
      const [epoch, startOffset] = pair as number[];
      const last = entries.at(-1);
      if (last && (epoch <= last.epoch || startOffset <= last.startOffset)) return new LeaderEpochCache();
      entries.push({ epoch, startOffset });
    }
    return new LeaderEpochCache(entries);
  }

  async write(fs: StorageFs, dir: string): Promise<void> {
    this.dirty = false;
    await writeAtomically(fs, dir, leaderEpochCheckpointFile, { version: fileVersion, epochs: this.entries.map((e) => [e.epoch, e.startOffset]) });
  }

  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? undefinedEpoch;
  }

  list(): readonly EpochEntry[] {
    return this.entries;
  }

  /** Records that `epoch` starts at `startOffset` if it is newer than the latest epoch; older or equal epochs change nothing. */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0 || epoch <= this.latestEpoch) return;
    this.entries = this.entries.filter((e) => e.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
    this.dirty = true;
  }

  /** Forgets epochs starting at or after `endOffset` (the log was truncated there). */
  truncateFromEnd(endOffset: number): void {
    const kept = this.entries.filter((e) => e.startOffset < endOffset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    this.dirty = true;
  }

  /** The log now starts at `startOffset`: the epoch holding it starts there, older ones go. */
  truncateFromStart(startOffset: number): void {
    let holding = -1;
    for (let i = 0; i < this.entries.length && this.entries[i].startOffset <= startOffset; i++) holding = i;
    if (holding < 0 || (holding === 0 && this.entries[0].startOffset === startOffset)) return;
    this.entries = [{ epoch: this.entries[holding].epoch, startOffset }, ...this.entries.slice(holding + 1)];
    this.dirty = true;
  }

  /** OffsetForLeaderEpoch: the largest epoch at or below `epoch` and the offset where it ended (Kafka's rules). */
  endOffsetFor(epoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedResult = { epoch: undefinedEpoch, endOffset: undefinedEpochOffset };
    if (epoch === undefinedEpoch) return undefinedResult;
    if (epoch === this.latestEpoch) return { epoch, endOffset: logEndOffset };
    const higher = this.entries.find((e) => e.epoch > epoch);
    if (!higher) return undefinedResult;
    const floor = this.entries.findLast((e) => e.epoch <= epoch);
    return { epoch: floor ? floor.epoch : epoch, endOffset: higher.startOffset };
  }
}
