/**
 * A segment's `.log` file held open only while it is needed, and the pool
 * that bounds how many such files stay open. No on-disk format here.
 *
 * Contract:
 * - A `SegmentFile` is a StorageFile. Each call opens the file first when
 *   it is not open ('r+'), and holds it open for the call's duration.
 * - A file is `held` while its segment takes appends or has writes not yet
 *   fsynced (an fsync through a new descriptor could miss a writeback error
 *   the old one would have reported); a held file is never closed by the
 *   pool. The others (sealed and fsynced) are `parked` in the pool when no
 *   call uses them.
 * - The pool keeps at most `openMax` parked files open, closing the least
 *   recently used beyond that, and `closeIdle` closes those parked longer
 *   than `idleMs` (monotonic clock). Files in use or held are not counted:
 *   they are bounded by the reads in flight and the partitions.
 * - After `retire` (the segment was deleted: its files are renamed away) or
 *   `close`, the file is never opened again: a call that needs to open it
 *   fails with StorageError 'deleted', and an open that was in flight when
 *   it was retired is closed at once. A file missing at its name (renamed
 *   away by a compaction swap) is 'deleted' too; any other open failure
 *   (EMFILE: out of descriptors) is 'ioFailed'. Nothing stays open after a
 *   failed open.
 */
import type { Time } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { describeIoError, StorageError } from './errors.ts';
import { isNotFound, type StorageFile, type StorageFs } from './fs.ts';

export interface SegmentFilePoolOptions {
  /** Parked (sealed, unused) segment files kept open at most. */
  openMax: number;
  /** A parked file unused this long is closed by `closeIdle`. */
  idleMs: number;
}

export class SegmentFilePool {
  readonly openMax: number;
  readonly idleMs: number;
  private readonly clock: Time;
  private readonly logger: Logger;
  /** Parked files, least recently used first, with when they were parked (monotonic ms). */
  private readonly parkedFiles = new Map<SegmentFile, number>();

  constructor(clock: Time, logger: Logger, options: SegmentFilePoolOptions) {
    this.clock = clock;
    this.logger = logger;
    this.openMax = options.openMax;
    this.idleMs = options.idleMs;
  }

  /** Parked files open now. */
  get parkedCount(): number {
    return this.parkedFiles.size;
  }

  park(file: SegmentFile): void {
    this.parkedFiles.delete(file);
    this.parkedFiles.set(file, this.clock.monotonicMs());
    for (const oldest of this.parkedFiles.keys()) {
      if (this.parkedFiles.size <= this.openMax) break;
      this.closeParked(oldest);
    }
  }

  unpark(file: SegmentFile): void {
    this.parkedFiles.delete(file);
  }

  /** Closes the files parked longer than idleMs; returns how many. */
  closeIdle(): number {
    const before = this.clock.monotonicMs() - this.idleMs;
    let closed = 0;
    for (const [file, parkedMs] of this.parkedFiles) {
      if (parkedMs > before) break;
      this.closeParked(file);
      closed++;
    }
    return closed;
  }

  private closeParked(file: SegmentFile): void {
    this.parkedFiles.delete(file);
    file.closeParked().catch((err: unknown) => this.logger.warn(`closing ${file.path}: ${describeIoError(err)}`));
  }
}

type Lifecycle = 'live' | 'retired' | 'closed';

export class SegmentFile implements StorageFile {
  path: string;
  private readonly fs: StorageFs;
  private readonly pool: SegmentFilePool;
  private file: StorageFile | null;
  private opening: Promise<StorageFile> | null = null;
  private uses = 0;
  private held: boolean;
  private lifecycle: Lifecycle = 'live';

  /** `file` is the descriptor already open (a new segment), or null to open it on first use. */
  constructor(fs: StorageFs, pool: SegmentFilePool, path: string, file: StorageFile | null, held: boolean) {
    this.fs = fs;
    this.pool = pool;
    this.path = path;
    this.file = file;
    this.held = held;
    this.settle();
  }

  get isOpen(): boolean {
    return this.file !== null;
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return this.use((file) => file.read(buffer, offset, length, position));
  }

  writev(buffers: readonly Buffer[], position: number): Promise<{ bytesWritten: number }> {
    return this.use((file) => file.writev(buffers, position));
  }

  truncate(length: number): Promise<void> {
    return this.use((file) => file.truncate(length));
  }

  datasync(): Promise<void> {
    return this.use((file) => file.datasync());
  }

  sync(): Promise<void> {
    return this.use((file) => file.sync());
  }

  stat(): Promise<{ size: number }> {
    return this.use((file) => file.stat());
  }

  /** Whether the pool may close the file (see the header comment). */
  hold(held: boolean): void {
    this.held = held;
    this.settle();
  }

  /** The file was renamed (a compaction output given its final name). */
  renamed(path: string): void {
    this.path = path;
  }

  /** The segment was deleted: the file is never opened again; an open descriptor stays for reads holding the segment until `close`. */
  retire(): void {
    if (this.lifecycle === 'live') this.lifecycle = 'retired';
  }

  /** Closes the file for good. */
  async close(): Promise<void> {
    this.lifecycle = 'closed';
    this.pool.unpark(this);
    await this.opening?.catch(() => undefined);
    const file = this.file;
    this.file = null;
    await file?.close();
  }

  /** The pool's close of a parked file; it opens again on next use unless retired. */
  async closeParked(): Promise<void> {
    const file = this.file;
    if (this.uses > 0 || this.held || !file) return;
    this.file = null;
    await file.close();
  }

  private async use<T>(call: (file: StorageFile) => Promise<T>): Promise<T> {
    this.uses++;
    this.pool.unpark(this);
    try {
      return await call(this.file ?? (await this.open()));
    } finally {
      this.uses--;
      this.settle();
    }
  }

  private open(): Promise<StorageFile> {
    if (this.lifecycle !== 'live') return Promise.reject(this.deletedError());
    this.opening ??= this.openNow().finally(() => (this.opening = null));
    return this.opening;
  }

  private async openNow(): Promise<StorageFile> {
    let file: StorageFile;
    try {
      file = await this.fs.open(this.path, 'r+');
    } catch (err) {
      if (isNotFound(err)) throw this.deletedError();
      throw new StorageError('ioFailed', `cannot open ${this.path}: ${describeIoError(err)}`, { cause: err });
    }
    if (this.lifecycle !== 'live') {
      await file.close();
      throw this.deletedError();
    }
    this.file = file;
    return file;
  }

  private deletedError(): StorageError {
    return new StorageError('deleted', `segment ${this.path} was deleted while being read`);
  }

  private settle(): void {
    if (this.uses === 0 && !this.held && this.file && this.lifecycle !== 'closed') this.pool.park(this);
    else this.pool.unpark(this);
  }
}
