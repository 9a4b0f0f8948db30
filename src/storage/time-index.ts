/**
 * A segment's time index (`<base>.timeindex`): for a timestamp, which batch
 * to start scanning from to find the first record at or after it.
 *
 * On disk: 12-byte entries, big-endian, back to back:
 *   timestamp i64 (the largest batch max timestamp so far in the segment)
 *   relative offset u32 (base offset - segment base of the batch holding it)
 * Timestamps strictly increase, relative offsets never decrease. Meaning of
 * an entry (T, R): no batch starting at or before R has a timestamp above T.
 * Entries are added alongside offset index entries when the maximum grew,
 * and once more when the segment stops being active, so the last entry
 * always holds the segment's largest timestamp and where it is.
 */
import type { StorageFs } from './fs.ts';
import { IndexFile } from './index-file.ts';

export const timeIndexEntryBytes = 12;
const field = { timestamp: 0, relativeOffset: 8 } as const;

export interface TimestampOffset {
  timestamp: number;
  relativeOffset: number;
}

export class TimeIndex {
  readonly file: IndexFile;
  private readonly timestampAt = (i: number) => this.file.int64(i, field.timestamp);
  private readonly relativeOffsetAt = (i: number) => this.file.uint32(i, field.relativeOffset);

  constructor(file: IndexFile) {
    this.file = file;
  }

  static empty(fs: StorageFs, path: string): TimeIndex {
    return new TimeIndex(new IndexFile(fs, path, timeIndexEntryBytes));
  }

  /** Loads the file; `problem` is set when it is missing, torn or unsorted. */
  static async load(fs: StorageFs, path: string): Promise<{ index: TimeIndex; problem: string | null }> {
    const { index: file, problem } = await IndexFile.load(fs, path, timeIndexEntryBytes);
    const index = new TimeIndex(file);
    return { index, problem: problem ?? index.orderProblem() };
  }

  private orderProblem(): string | null {
    for (let i = 1; i < this.file.count; i++) {
      if (this.timestampAt(i) <= this.timestampAt(i - 1) || this.relativeOffsetAt(i) < this.relativeOffsetAt(i - 1)) {
        return `entry ${i} does not increase`;
      }
    }
    return null;
  }

  get count(): number {
    return this.file.count;
  }

  /** Adds (timestamp, relativeOffset) if `timestamp` is a timestamp (not -1) above the last entry's. */
  maybeAppend(timestamp: number, relativeOffset: number): void {
    const last = this.last();
    if (timestamp < 0 || (last && timestamp <= last.timestamp)) return;
    this.file.push((buf, at) => {
      buf.writeInt32BE(Math.floor(timestamp / 0x1_0000_0000), at + field.timestamp);
      buf.writeUInt32BE(((timestamp % 0x1_0000_0000) + 0x1_0000_0000) % 0x1_0000_0000, at + field.timestamp + 4);
      buf.writeUInt32BE(relativeOffset, at + field.relativeOffset);
    });
  }

  /** The last entry with a timestamp below `timestamp`: batches up to its offset can be skipped. */
  lastBelow(timestamp: number): TimestampOffset | null {
    const n = this.file.countAtMost(this.timestampAt, timestamp - 1);
    return n === 0 ? null : { timestamp: this.timestampAt(n - 1), relativeOffset: this.relativeOffsetAt(n - 1) };
  }

  last(): TimestampOffset | null {
    const n = this.file.count;
    return n === 0 ? null : { timestamp: this.timestampAt(n - 1), relativeOffset: this.relativeOffsetAt(n - 1) };
  }

  /** Drops the entries pointing at batches from `relativeOffset` on. */
  truncateToOffset(relativeOffset: number): void {
    this.file.truncate(this.file.countAtMost(this.relativeOffsetAt, relativeOffset - 1));
  }
}
