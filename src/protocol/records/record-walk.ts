/**
 * Walks the records of one v2 batch without building them: only each
 * record's length prefix is read (and, for a visitor, its timestampDelta and
 * offsetDelta), the rest is skipped. What a broker needs to trust a batch's
 * recordCount, or to find a record by timestamp, at a cost in memory that
 * does not grow with the records: a compressed batch is decompressed in
 * pieces (compression.ts decompressedChunks) and each piece is dropped once
 * walked; a record may span pieces.
 *
 * - `walkRecords(batch, options)` resolves once every record is walked, or
 *   as soon as the visitor returns true. It rejects with ProtocolError
 *   unless exactly `recordCount` records fill the (decompressed) records
 *   section, and with DecompressedTooLarge once the records would
 *   decompress to more than `maxDecompressedBytes`. It stops at the first
 *   record past recordCount, so its work is bounded by recordCount records
 *   and `maxDecompressedBytes` bytes, whatever the batch claims.
 * - `recordFramingProblem(batch)` does the same walk for an uncompressed
 *   batch, synchronously, and returns the reason or null.
 * Record layout: record-batch.ts. No CRC or header checks here
 * (batch-header.ts batchProblem).
 */
import { decompressedChunks } from '../compression.ts';
import { ProtocolError, Reader } from '../primitives.ts';
import { batchHeaderBytes, compressionCodecOf, readBatchHeader } from './batch-header.ts';
import { recordBytesMin } from './record-batch.ts';
/** Bytes that hold a record's length, attributes, timestampDelta and offsetDelta at most (varint, int8, varlong, varint). */
const recordHeadBytesMax = 5 + 1 + 10 + 5;

/** Sees each record's deltas in order; returning true ends the walk there. */
export type RecordVisitor = (offsetDelta: number, timestampDelta: bigint) => boolean;

export interface WalkOptions {
  maxDecompressedBytes: number;
  visit?: RecordVisitor;
}

export async function walkRecords(batch: Buffer, options: WalkOptions): Promise<void> {
  const header = readBatchHeader(batch);
  const walker = new RecordWalker(header.recordCount, options.visit);
  for await (const piece of decompressedChunks(compressionCodecOf(header.attributes), batch.subarray(batchHeaderBytes), options.maxDecompressedBytes)) {
    if (walker.push(piece)) return;
  }
  walker.end();
}

export function recordFramingProblem(batch: Buffer): string | null {
  const walker = new RecordWalker(readBatchHeader(batch).recordCount);
  try {
    walker.push(batch.subarray(batchHeaderBytes));
    walker.end();
    return null;
  } catch (err) {
    if (err instanceof ProtocolError) return err.message;
    throw err;
  }
}

/** Takes the records section piece by piece; see the header. */
class RecordWalker {
  private readonly recordCount: number;
  private readonly visit: RecordVisitor | undefined;
  /** Records started so far. */
  private records = 0;
  /** Bytes of the current record still to pass over. */
  private skip = 0;
  /** The start of a record that the last piece cut (shorter than recordHeadBytesMax), or null. */
  private carry: Buffer | null = null;

  constructor(recordCount: number, visit?: RecordVisitor) {
    this.recordCount = recordCount;
    this.visit = visit;
  }

  /** Walks the next piece; true once the visitor ended the walk. */
  push(piece: Buffer): boolean {
    const buf = this.carry ? Buffer.concat([this.carry, piece]) : piece;
    this.carry = null;
    return this.walk(buf, false);
  }

  /** The records section is over: throws unless exactly recordCount whole records were in it. */
  end(): void {
    if (this.carry && this.walk(this.carry, true)) return;
    if (this.skip > 0) throw new ProtocolError(`records are cut short: record ${this.records - 1} lacks ${this.skip} bytes`);
    if (this.records < this.recordCount) throw new ProtocolError(`batch declares ${this.recordCount} records but holds ${this.records}`);
  }

  private walk(buf: Buffer, last: boolean): boolean {
    const r = new Reader(buf);
    while (r.offset < buf.length) {
      if (this.skip > 0) {
        const passed = Math.min(this.skip, r.remaining);
        r.offset += passed;
        this.skip -= passed;
        continue;
      }
      if (!last && r.remaining < recordHeadBytesMax) {
        this.carry = Buffer.from(buf.subarray(r.offset));
        return false;
      }
      if (this.records === this.recordCount) throw new ProtocolError(`bytes follow the ${this.recordCount} records the batch declares`);
      if (this.record(r)) return true;
    }
    return false;
  }

  /** Reads one record's start at r's offset and moves past the record (or as far as buf goes); true once the visitor ended the walk. */
  private record(r: Reader): boolean {
    const index = this.records++;
    const length = r.varint();
    if (length < recordBytesMin - 1) throw new ProtocolError(`record ${index} has impossible length ${length}`);
    const start = r.offset;
    const stop = this.visit && this.visitRecord(new Reader(r.buf, start, Math.min(start + length, r.end)), index);
    const present = Math.min(length, r.end - start);
    r.offset = start + present;
    this.skip = length - present;
    return stop === true;
  }

  private visitRecord(record: Reader, index: number): boolean {
    try {
      record.int8(); // attributes
      const timestampDelta = record.varlong();
      return this.visit!(record.varint(), timestampDelta);
    } catch (err) {
      if (err instanceof ProtocolError) throw new ProtocolError(`record ${index} is too short for its fields: ${err.message}`);
      throw err;
    }
  }
}
