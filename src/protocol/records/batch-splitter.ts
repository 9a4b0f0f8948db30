/**
 * Walks a buffer of concatenated record batches (what Produce carries and
 * Fetch returns) without decoding them. Every entry, a v2 batch or a legacy
 * message, starts with offset i64 and a length i32 counting the bytes after
 * it, so entries are found by their length alone.
 *
 * A Fetch response may end in a cut entry; it is yielded last with
 * `complete: false` (and whatever bytes are present) instead of throwing.
 * A length too small for any entry is corruption and throws ProtocolError.
 * `recordCountOf` adds up the record counts of concatenated v2 batch headers.
 */
import { ProtocolError } from '../primitives.ts';
import { batchHeaderBytes, batchLengthOverheadBytes, offsets } from './batch-header.ts';

export interface BatchSpan {
  /** Byte range [start, end) of the entry within the walked buffer. */
  start: number;
  end: number;
  /** The entry's bytes (a view). */
  bytes: Buffer;
  /** False for a trailing entry cut short of its declared length. */
  complete: boolean;
}

/** Smallest legacy v0 message after its length field: crc, magic, attributes, null key, null value. */
const entryLengthMin = 14;

export function* recordBatches(buf: Buffer): Generator<BatchSpan> {
  let start = 0;
  while (start < buf.length) {
    if (buf.length - start < batchLengthOverheadBytes) {
      yield cut(buf, start);
      return;
    }
    const length = buf.readInt32BE(start + offsets.batchLength);
    if (length < entryLengthMin) {
      throw new ProtocolError(`record batch at byte ${start} declares an impossible length ${length}`);
    }
    const end = start + batchLengthOverheadBytes + length;
    if (end > buf.length) {
      yield cut(buf, start);
      return;
    }
    yield { start, end, bytes: buf.subarray(start, end), complete: true };
    start = end;
  }
}

function cut(buf: Buffer, start: number): BatchSpan {
  return { start, end: buf.length, bytes: buf.subarray(start), complete: false };
}

/** The records in concatenated v2 batches, from each batch header's record count (a cut last batch counts if its header is there). */
export function recordCountOf(batches: Buffer): number {
  let count = 0;
  let at = 0;
  while (at + batchHeaderBytes <= batches.length) {
    count += batches.readInt32BE(at + offsets.recordCount);
    at += batchLengthOverheadBytes + Math.max(batches.readInt32BE(at + offsets.batchLength), batchHeaderBytes - batchLengthOverheadBytes);
  }
  return count;
}
