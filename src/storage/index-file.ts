/**
 * The machinery shared by the offset, time and aborted-transaction indexes: a file of fixed-width
 * entries, sorted, held wholly in memory and written back in one go.
 *
 * On disk the file is just entries back to back (the width and fields are
 * defined by offset-index.ts, time-index.ts and txn-index.ts); a length that is not a
 * multiple of the width means a torn write and makes the index unusable.
 * In memory, entries [0, persisted) are known to be on disk; `persist`
 * truncates the file to those and appends the rest, so truncations and
 * appends in memory reach the file with one open/truncate/write.
 */
import type { StorageFs } from './fs.ts';
import { isNotFound } from './fs.ts';
import { Serial } from './serial.ts';

const initialCapacityEntries = 64;

export class IndexFile {
  readonly path: string;
  readonly entryBytes: number;
  private readonly fs: StorageFs;
  private buffer: Buffer;
  private entryCount = 0;
  private persistedCount = 0;
  /** Whether the file differs from memory (appended, truncated or cleared since the last persist). */
  private dirty = false;
  /** The fewest entries held since the running persist began (a truncate during it). */
  private lowWater = Infinity;
  /** Whether the file was fsynced since it last changed. */
  private synced = false;
  /** Persists run one at a time: the file is written in append mode after a truncate. */
  private readonly persisting = new Serial();

  constructor(fs: StorageFs, path: string, entryBytes: number, contents?: Buffer) {
    this.fs = fs;
    this.path = path;
    this.entryBytes = entryBytes;
    const entries = contents ? Math.floor(contents.length / entryBytes) : 0;
    this.buffer = Buffer.alloc(Math.max(initialCapacityEntries, entries) * entryBytes);
    if (contents) contents.copy(this.buffer, 0, 0, entries * entryBytes);
    this.entryCount = entries;
    this.persistedCount = entries;
  }

  /** Reads the file; `problem` says why its contents cannot be trusted (missing, torn). */
  static async load(fs: StorageFs, path: string, entryBytes: number): Promise<{ index: IndexFile; problem: string | null }> {
    let contents: Buffer;
    try {
      contents = await fs.readFile(path);
    } catch (err) {
      if (isNotFound(err)) return { index: new IndexFile(fs, path, entryBytes), problem: 'missing' };
      throw err;
    }
    const index = new IndexFile(fs, path, entryBytes, contents);
    const problem = contents.length % entryBytes === 0 ? null : `${contents.length} bytes is not a multiple of the ${entryBytes}-byte entry`;
    return { index, problem };
  }

  get count(): number {
    return this.entryCount;
  }

  /** Byte position of entry `i` in the in-memory buffer, for the field readers below. */
  private at(i: number): number {
    return i * this.entryBytes;
  }

  uint32(i: number, field: number): number {
    return this.buffer.readUInt32BE(this.at(i) + field);
  }

  int64(i: number, field: number): number {
    return this.buffer.readInt32BE(this.at(i) + field) * 0x1_0000_0000 + this.buffer.readUInt32BE(this.at(i) + field + 4);
  }

  bigint64(i: number, field: number): bigint {
    return this.buffer.readBigInt64BE(this.at(i) + field);
  }

  int16(i: number, field: number): number {
    return this.buffer.readInt16BE(this.at(i) + field);
  }

  /** Appends one entry; `fill` writes its fields at `position` of `buf`. */
  push(fill: (buf: Buffer, position: number) => void): void {
    if (this.at(this.entryCount + 1) > this.buffer.length) {
      const grown = Buffer.alloc(this.buffer.length * 2);
      this.buffer.copy(grown, 0, 0, this.at(this.entryCount));
      this.buffer = grown;
    }
    fill(this.buffer, this.at(this.entryCount));
    this.entryCount++;
    this.dirty = true;
  }

  /** Keeps the first `count` entries. */
  truncate(count: number): void {
    if (count >= this.entryCount) return;
    this.entryCount = count;
    this.persistedCount = Math.min(this.persistedCount, count);
    this.lowWater = Math.min(this.lowWater, count);
    this.dirty = true;
  }

  /**
   * How many leading entries have `key(i) <= target`; `key` must not decrease
   * along the entries (binary search).
   */
  countAtMost(key: (i: number) => number, target: number): number {
    let low = 0;
    let high = this.entryCount;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (key(mid) <= target) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Writes what changed since the last persist; with `sync`, also fsyncs. */
  persist(sync: boolean): Promise<void> {
    return this.persisting.run(() => this.persistNow(sync));
  }

  private async persistNow(sync: boolean): Promise<void> {
    if (!this.dirty && (!sync || this.synced)) return;
    const persisting = this.entryCount;
    this.lowWater = Infinity;
    const file = await this.fs.open(this.path, 'a+');
    try {
      await file.truncate(this.at(this.persistedCount));
      const tail = Buffer.from(this.buffer.subarray(this.at(this.persistedCount), this.at(persisting)));
      if (tail.length > 0) {
        const { bytesWritten } = await file.writev([tail], this.at(this.persistedCount));
        if (bytesWritten !== tail.length) throw new Error(`short write to ${this.path}: ${bytesWritten} of ${tail.length} bytes`);
      }
      if (sync) await file.datasync();
    } finally {
      await file.close();
    }
    this.persistedCount = Math.min(persisting, this.lowWater);
    this.dirty = this.lowWater < persisting || this.entryCount !== persisting;
    this.synced = sync && !this.dirty;
  }

  /** Forgets every entry and marks the file for rewriting (an index rebuilt from its log). */
  clear(): void {
    this.entryCount = 0;
    this.persistedCount = 0;
    this.lowWater = 0;
    this.dirty = true;
  }
}
