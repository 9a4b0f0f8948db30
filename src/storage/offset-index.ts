/**
 * A segment's sparse offset index (`<base>.index`): where in the `.log` file
 * the entry holding a given offset starts, to within `index.interval.bytes`.
 *
 * On disk: 8-byte entries, big-endian, back to back:
 *   relative offset u32 (batch base offset - segment base offset)
 *   position u32 (byte position of that batch's entry in the `.log` file)
 * Both strictly increase from entry to entry. An entry is added for the
 * first batch written after more than `index.interval.bytes` of log since the
 * previous entry, so a lookup scans at most about that many bytes.
 */
import type { StorageFs } from './fs.ts';
import { IndexFile } from './index-file.ts';

export const offsetIndexEntryBytes = 8;
const field = { relativeOffset: 0, position: 4 } as const;

export interface OffsetPosition {
  relativeOffset: number;
  position: number;
}

export class OffsetIndex {
  readonly file: IndexFile;
  private readonly relativeOffsetAt = (i: number) => this.file.uint32(i, field.relativeOffset);
  private readonly positionAt = (i: number) => this.file.uint32(i, field.position);

  constructor(file: IndexFile) {
    this.file = file;
  }

  static empty(fs: StorageFs, path: string): OffsetIndex {
    return new OffsetIndex(new IndexFile(fs, path, offsetIndexEntryBytes));
  }

  /** Loads the file; `problem` is set when it is missing, torn, unsorted or points past `logBytes`. */
  static async load(fs: StorageFs, path: string, logBytes: number): Promise<{ index: OffsetIndex; problem: string | null }> {
    const { index: file, problem } = await IndexFile.load(fs, path, offsetIndexEntryBytes);
    const index = new OffsetIndex(file);
    return { index, problem: problem ?? index.orderProblem(logBytes) };
  }

  private orderProblem(logBytes: number): string | null {
    for (let i = 0; i < this.file.count; i++) {
      if (this.positionAt(i) >= logBytes) return `entry ${i} points at byte ${this.positionAt(i)}, past the log's ${logBytes} bytes`;
      if (i > 0 && (this.relativeOffsetAt(i) <= this.relativeOffsetAt(i - 1) || this.positionAt(i) <= this.positionAt(i - 1))) {
        return `entry ${i} does not increase`;
      }
    }
    return null;
  }

  get count(): number {
    return this.file.count;
  }

  append(relativeOffset: number, position: number): void {
    this.file.push((buf, at) => {
      buf.writeUInt32BE(relativeOffset, at + field.relativeOffset);
      buf.writeUInt32BE(position, at + field.position);
    });
  }

  /** The last entry at or below `relativeOffset`, or null when the scan must start at the segment's beginning. */
  floor(relativeOffset: number): OffsetPosition | null {
    const n = this.file.countAtMost(this.relativeOffsetAt, relativeOffset);
    return n === 0 ? null : { relativeOffset: this.relativeOffsetAt(n - 1), position: this.positionAt(n - 1) };
  }

  last(): OffsetPosition | null {
    const n = this.file.count;
    return n === 0 ? null : { relativeOffset: this.relativeOffsetAt(n - 1), position: this.positionAt(n - 1) };
  }

  /** Drops the entries for batches starting at or after `position`. */
  truncateToPosition(position: number): void {
    this.file.truncate(this.file.countAtMost(this.positionAt, position - 1));
  }
}
