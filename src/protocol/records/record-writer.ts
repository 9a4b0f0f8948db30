/**
 * Writes the records section of a v2 batch (record layout in
 * record-batch.ts) in two passes: `measureRecords` sizes every record, then
 * `writeRecords` writes them straight into a buffer of exactly that size,
 * so each key and value is copied once and nothing grows or is joined.
 * Varints are zigzag-encoded; a timestampDelta beyond ±2^51 falls back to
 * BigInt arithmetic.
 */
import type { RecordHeader, RecordInput } from './record-batch.ts';

export interface MeasuredRecords {
  /** Bytes of the whole records section. */
  bytes: number;
  /** Per record: the length its varint prefix announces (bytes after the prefix). */
  bodyBytes: Int32Array;
  /** Per record: the UTF-8 bytes of each header key, in order. */
  headerKeys: (Buffer[] | null)[];
}

const noHeaders: readonly RecordHeader[] = [];

/** Largest magnitude whose zigzag form is still an exact double. */
const safeDeltaMax = 2 ** 51;

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

/** Bytes of `v` (0 <= v < 2^53) as an unsigned varint. */
function uvarintBytes(v: number): number {
  let n = 1;
  for (; v >= 0x80; n++) v = Math.floor(v / 128);
  return n;
}

function putUvarint(buf: Buffer, at: number, v: number): number {
  for (; v >= 0x80; v = Math.floor(v / 128)) buf[at++] = (v & 0x7f) | 0x80;
  buf[at++] = v;
  return at;
}

function zigzagLong(v: bigint): bigint {
  return BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
}

function varlongBytes(v: bigint): number {
  const n = Number(v);
  if (n > -safeDeltaMax && n < safeDeltaMax) return uvarintBytes(zigzag(n));
  let bytes = 1;
  for (let z = zigzagLong(v); z >= 0x80n; z >>= 7n) bytes++;
  return bytes;
}

function putVarlong(buf: Buffer, at: number, v: bigint): number {
  const n = Number(v);
  if (n > -safeDeltaMax && n < safeDeltaMax) return putUvarint(buf, at, zigzag(n));
  let z = zigzagLong(v);
  for (; z >= 0x80n; z >>= 7n) buf[at++] = Number(z & 0x7fn) | 0x80;
  buf[at++] = Number(z);
  return at;
}

/** Size of a varint length prefix plus the bytes (-1 and nothing for null). */
function lengthPrefixedBytes(bytes: Uint8Array | null): number {
  return bytes === null ? 1 : uvarintBytes(bytes.length * 2) + bytes.length;
}

function putLengthPrefixed(buf: Buffer, at: number, bytes: Uint8Array | null): number {
  if (bytes === null) return putUvarint(buf, at, 1);
  at = putUvarint(buf, at, bytes.length * 2);
  buf.set(bytes, at);
  return at + bytes.length;
}

export function measureRecords(records: readonly RecordInput[]): MeasuredRecords {
  const bodyBytes = new Int32Array(records.length);
  const headerKeys: (Buffer[] | null)[] = new Array(records.length);
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    let body = 1 + varlongBytes(record.timestampDelta ?? 0n) + uvarintBytes(zigzag(record.offsetDelta ?? i));
    body += lengthPrefixedBytes(record.key ?? null) + lengthPrefixedBytes(record.value);
    const headers = record.headers ?? noHeaders;
    body += uvarintBytes(headers.length * 2);
    headerKeys[i] = headers.length === 0 ? null : headers.map((h) => Buffer.from(h.key, 'utf8'));
    headers.forEach((h, j) => (body += lengthPrefixedBytes(headerKeys[i]![j]) + lengthPrefixedBytes(h.value)));
    bodyBytes[i] = body;
    bytes += uvarintBytes(body * 2) + body;
  }
  return { bytes, bodyBytes, headerKeys };
}

/** Writes the measured records into `buf` from `at`; returns the offset after them. */
export function writeRecords(buf: Buffer, at: number, records: readonly RecordInput[], measured: MeasuredRecords): number {
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    at = putUvarint(buf, at, measured.bodyBytes[i] * 2);
    buf[at++] = record.attributes ?? 0;
    at = putVarlong(buf, at, record.timestampDelta ?? 0n);
    at = putUvarint(buf, at, zigzag(record.offsetDelta ?? i));
    at = putLengthPrefixed(buf, at, record.key ?? null);
    at = putLengthPrefixed(buf, at, record.value);
    const headers = record.headers ?? noHeaders;
    at = putUvarint(buf, at, headers.length * 2);
    headers.forEach((h, j) => {
      at = putLengthPrefixed(buf, at, measured.headerKeys[i]![j]);
      at = putLengthPrefixed(buf, at, h.value);
    });
  }
  return at;
}
