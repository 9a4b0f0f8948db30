/**
 * Walks the entries of a `.log` file (format: entry-format.ts) from a byte
 * position up to an end position, reading the file in large chunks and
 * handing out each entry's header and its batch bytes as a view into the
 * chunk (no copies). It stops at the end or at the first entry that is not
 * whole or not well-formed, and then says where and why.
 *
 * Modes: `verify` also checks both CRCs and the header/batch agreement of
 * every entry (recovery, dump); `headersOnly` reads just enough of each entry
 * to see the entry and batch headers, skipping the records (producer state):
 * after an entry larger than a chunk it reads only the next entry's headers
 * instead of a chunk of records it would skip.
 */
import { batchHeaderBytes } from '../protocol/records/batch-header.ts';
import { entryHeaderBytes, entryHeaderProblem, entryProblem, readEntryHeader, type EntryHeader } from './entry-format.ts';
import { readAt, type StorageFile } from './fs.ts';
import { storageTuning } from './log-config.ts';

export interface ScannedEntry {
  /** Byte position of the entry in the file. */
  position: number;
  header: EntryHeader;
  /** The batch bytes (only the 61-byte batch header in headersOnly mode). */
  batch: Buffer;
  /** The chunk holding the entry and where in it the entry starts. */
  chunk: Buffer;
  chunkAt: number;
}

export interface ScanOptions {
  verify?: boolean;
  headersOnly?: boolean;
  /** Bytes read at a time. */
  chunkBytes?: number;
  /** Where chunks are read into (default Buffer.allocUnsafe); entries handed out are views of them. */
  allocate?: (size: number) => Buffer;
}

export class EntryScanner {
  private readonly file: StorageFile;
  private readonly end: number;
  private readonly verify: boolean;
  private readonly headersOnly: boolean;
  private readonly chunkBytes: number;
  private readonly allocate: ((size: number) => Buffer) | undefined;
  private chunk: Buffer = Buffer.alloc(0);
  private chunkStart = 0;
  /** Whether the last entry seen was larger than a chunk (headersOnly then reads headers alone). */
  private largeEntries = false;
  /** Where the next entry starts. */
  position: number;
  /** Why the scan stopped before `end`, or null. */
  problem: string | null = null;

  constructor(file: StorageFile, from: number, end: number, options: ScanOptions = {}) {
    this.file = file;
    this.position = from;
    this.end = end;
    this.verify = options.verify ?? false;
    this.headersOnly = options.headersOnly ?? false;
    this.chunkBytes = options.chunkBytes ?? storageTuning.scanChunkBytes;
    this.allocate = options.allocate;
  }

  /** Makes bytes [position, position + length) available in the chunk; false if the file ends first. */
  private async ensure(position: number, length: number): Promise<boolean> {
    if (position + length > this.end) return false;
    if (position >= this.chunkStart && position + length <= this.chunkStart + this.chunk.length) return true;
    const wanted = this.headersOnly && this.largeEntries ? entryHeaderBytes + batchHeaderBytes : this.chunkBytes;
    const size = Math.min(Math.max(length, wanted), this.end - position);
    this.chunk = await readAt(this.file, position, size, this.allocate);
    this.chunkStart = position;
    return this.chunk.length >= length;
  }

  /**
   * The next entry, or null at the end or at an invalid entry (see
   * `problem`). `decide` sees each header first: 'skip' passes over the
   * entry without reading (or verifying) its batch, 'stop' ends the scan before it (it
   * stays the next entry), 'take' returns it.
   */
  async next(decide?: (header: EntryHeader) => 'take' | 'skip' | 'stop'): Promise<ScannedEntry | null> {
    for (;;) {
      if (this.problem !== null || this.position >= this.end) return null;
      const position = this.position;
      if (!(await this.ensure(position, entryHeaderBytes))) return this.stop(`torn entry header: ${this.end - position} bytes left`);
      const headerProblem = entryHeaderProblem(this.chunk, position - this.chunkStart);
      if (headerProblem) return this.stop(headerProblem);
      const header = readEntryHeader(this.chunk, position - this.chunkStart);
      this.largeEntries = header.entryBytes > this.chunkBytes;
      if (position + header.entryBytes > this.end) {
        return this.stop(`torn entry: needs ${header.entryBytes} bytes, ${this.end - position} left`);
      }
      const decision = decide?.(header) ?? 'take';
      if (decision === 'stop') return null;
      if (decision === 'take') return this.take(position, header);
      this.position = position + header.entryBytes;
    }
  }

  private async take(position: number, header: EntryHeader): Promise<ScannedEntry | null> {
    const wanted = this.headersOnly ? entryHeaderBytes + Math.min(batchHeaderBytes, header.batchBytes) : header.entryBytes;
    if (!(await this.ensure(position, wanted))) return this.stop('file shorter than expected');
    const chunkAt = position - this.chunkStart;
    if (this.verify) {
      const problem = entryProblem(this.chunk, chunkAt, header);
      if (problem) return this.stop(problem);
    }
    this.position = position + header.entryBytes;
    const batch = this.chunk.subarray(chunkAt + entryHeaderBytes, chunkAt + wanted);
    return { position, header, batch, chunk: this.chunk, chunkAt };
  }

  private stop(problem: string): null {
    this.problem = problem;
    return null;
  }
}
