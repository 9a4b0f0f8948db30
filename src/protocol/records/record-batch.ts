/**
 * Kafka record batch v2 (magic 2), one whole batch at a time:
 * `encodeRecordBatch(input, codec)` -> bytes, `decodeRecordBatch(bytes)` ->
 * header fields + records.
 *
 * Layout: the 61-byte header (batch-header.ts), then `recordCount` records,
 * compressed as one blob when attributes bits 0-2 name a codec. Each record:
 *   length varint (bytes after it), attributes int8 (unused, 0),
 *   timestampDelta varlong, offsetDelta varint,
 *   keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
 *   headerCount varint, then per header: keyLength varint, key (UTF-8),
 *   valueLength varint (-1 = null), value.
 * Every varint is zigzag-encoded. Batch attributes: bits 0-2 codec, bit 3
 * LogAppendTime, bit 4 transactional, bit 5 control; CRC-32C covers
 * attributes..end.
 *
 * Decoding checks the declared size, the CRC, and that exactly `recordCount`
 * records fill the (decompressed) records section; anything else throws
 * ProtocolError. Keys and values are views into the input or the
 * decompressed bytes, not copies. `openRecordBatch` + `eachRecord` do the
 * same checks with the records read one at a time. A decoded batch is
 * itself a valid input to encodeRecordBatch, which reproduces it byte for
 * byte given the same compressor output (attribute bits above 5, such as
 * Kafka's delete-horizon flag, are not carried over).
 */
import { compress, CompressionCodec, decompress } from '../compression.ts';
import { decompressedBytesMax } from '../../limits.ts';
import { ProtocolError, Reader } from '../primitives.ts';
import { measureRecords, writeRecords } from './record-writer.ts';
import {
  attributeBits,
  batchCrcValid,
  batchHeaderBytes,
  batchLengthOverheadBytes,
  compressionCodecOf,
  readBatchHeader,
  updateBatchCrc,
  writeBatchHeader,
  type BatchHeader,
} from './batch-header.ts';

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
  /** Milliseconds after the batch's baseTimestamp; defaults to 0. */
  timestampDelta?: bigint;
  key?: Buffer | null;
  value: Buffer | null;
  headers?: readonly RecordHeader[];
  /** Record-level attributes, unused by Kafka; defaults to 0. */
  attributes?: number;
}

export type BatchRecord = Required<RecordInput> & { headers: RecordHeader[] };

export interface RecordBatchInput {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  /** Timestamp the records' timestampDelta count from. */
  baseTimestamp: bigint;
  /** Defaults to baseTimestamp plus the largest timestampDelta. */
  maxTimestamp?: bigint;
  /** Defaults to the last record's offsetDelta (0 without records). */
  lastOffsetDelta?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  timestampType?: TimestampType;
  transactional?: boolean;
  control?: boolean;
  records: readonly RecordInput[];
}

export interface RecordBatch extends BatchHeader {
  codec: number;
  timestampType: TimestampType;
  transactional: boolean;
  control: boolean;
  records: BatchRecord[];
}

/** Smallest encoded record: seven one-byte fields (length .. header count). */
export const recordBytesMin = 7;

export function encodeRecordBatch(input: RecordBatchInput, codec: number = CompressionCodec.none): Buffer {
  const { records } = input;
  const measured = measureRecords(records);
  let batch: Buffer;
  if (codec === CompressionCodec.none) {
    batch = Buffer.allocUnsafe(batchHeaderBytes + measured.bytes);
    writeRecords(batch, batchHeaderBytes, records, measured);
  } else {
    const plain = Buffer.allocUnsafe(measured.bytes);
    writeRecords(plain, 0, records, measured);
    const payload = compress(codec, plain);
    batch = Buffer.allocUnsafe(batchHeaderBytes + payload.length);
    payload.copy(batch, batchHeaderBytes);
  }
  writeBatchHeader(batch, {
    baseOffset: input.baseOffset ?? 0n,
    batchLength: batch.length - batchLengthOverheadBytes,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
    magic: 2,
    attributes: batchAttributes(codec, input),
    lastOffsetDelta: input.lastOffsetDelta ?? (records.length === 0 ? 0 : offsetDeltaOf(records, records.length - 1)),
    baseTimestamp: input.baseTimestamp,
    maxTimestamp: input.maxTimestamp ?? input.baseTimestamp + largestTimestampDelta(records),
    producerId: input.producerId ?? -1n,
    producerEpoch: input.producerEpoch ?? -1,
    baseSequence: input.baseSequence ?? -1,
    recordCount: records.length,
  });
  updateBatchCrc(batch);
  return batch;
}

export function decodeRecordBatch(batch: Buffer, maxDecompressedBytes = decompressedBytesMax): RecordBatch {
  const { records, ...header } = openRecordBatch(batch, maxDecompressedBytes);
  return { ...header, records: decodeRecords(records.body, header.recordCount) };
}

/**
 * The batch's header checked and its records section decompressed, with the
 * records still undecoded: `eachRecord(batch.records)` reads them one at a
 * time, for a reader that must not hold a whole batch's record objects.
 */
export function openRecordBatch(batch: Buffer, maxDecompressedBytes = decompressedBytesMax): Omit<RecordBatch, 'records'> & { records: RecordsSection } {
  const header = readBatchHeader(batch);
  if (header.batchLength + batchLengthOverheadBytes !== batch.length) {
    throw new ProtocolError(`batchLength ${header.batchLength} does not match a batch of ${batch.length} bytes`);
  }
  if (!batchCrcValid(batch)) throw new ProtocolError('record batch CRC mismatch');
  if (header.recordCount < 0) throw new ProtocolError(`negative record count ${header.recordCount}`);
  const codec = compressionCodecOf(header.attributes);
  const body = decompress(codec, batch.subarray(batchHeaderBytes), maxDecompressedBytes);
  return {
    ...header,
    codec,
    timestampType: header.attributes & attributeBits.timestampTypeLogAppend ? 'LogAppendTime' : 'CreateTime',
    transactional: (header.attributes & attributeBits.transactional) !== 0,
    control: (header.attributes & attributeBits.control) !== 0,
    records: { body, recordCount: header.recordCount },
  };
}

/** A batch's (decompressed) records section and the count its header declares. */
export interface RecordsSection {
  body: Buffer;
  recordCount: number;
}

function batchAttributes(codec: number, input: RecordBatchInput): number {
  let attributes = codec;
  if (input.timestampType === 'LogAppendTime') attributes |= attributeBits.timestampTypeLogAppend;
  if (input.transactional) attributes |= attributeBits.transactional;
  if (input.control) attributes |= attributeBits.control;
  return attributes;
}

function offsetDeltaOf(records: readonly RecordInput[], index: number): number {
  return records[index].offsetDelta ?? index;
}

function largestTimestampDelta(records: readonly RecordInput[]): bigint {
  let largest = records.length === 0 ? 0n : (records[0].timestampDelta ?? 0n);
  for (const record of records) {
    const delta = record.timestampDelta ?? 0n;
    if (delta > largest) largest = delta;
  }
  return largest;
}

function decodeRecords(body: Buffer, recordCount: number): BatchRecord[] {
  const records: BatchRecord[] = [];
  for (const record of eachRecord({ body, recordCount })) records.push(record);
  return records;
}

/** The records of a section one at a time; throws ProtocolError as soon as they stop adding up to its count. */
export function* eachRecord({ body, recordCount }: RecordsSection): Generator<BatchRecord> {
  if (recordCount * recordBytesMin > body.length) {
    throw new ProtocolError(`recordCount ${recordCount} cannot fit in ${body.length} bytes of records`);
  }
  const r = new Reader(body);
  for (let i = 0; i < recordCount; i++) {
    if (r.remaining === 0) throw new ProtocolError(`batch declares ${recordCount} records but holds ${i}`);
    yield readRecord(r);
  }
  if (r.remaining !== 0) {
    throw new ProtocolError(`${r.remaining} bytes follow the ${recordCount} records the batch declares`);
  }
}

function readRecord(r: Reader): BatchRecord {
  const length = r.varint();
  if (length < 0) throw new ProtocolError(`negative record length ${length}`);
  r.need(length);
  const record = new Reader(r.buf, r.offset, r.offset + length);
  r.offset += length;
  const attributes = record.int8();
  const timestampDelta = record.varlong();
  const offsetDelta = record.varint();
  const key = readVarintBytes(record);
  const value = readVarintBytes(record);
  const headerCount = record.varint();
  if (headerCount < 0 || headerCount * 2 > record.remaining) {
    throw new ProtocolError(`header count ${headerCount} does not fit in ${record.remaining} bytes`);
  }
  const headers: RecordHeader[] = new Array(headerCount);
  for (let i = 0; i < headerCount; i++) {
    const headerKey = readVarintBytes(record);
    if (headerKey === null) throw new ProtocolError('record header with a null key');
    headers[i] = { key: headerKey.toString('utf8'), value: readVarintBytes(record) };
  }
  if (record.remaining !== 0) {
    throw new ProtocolError(`record length ${length} leaves ${record.remaining} bytes unread`);
  }
  return { attributes, timestampDelta, offsetDelta, key, value, headers };
}

function readVarintBytes(r: Reader): Buffer | null {
  const length = r.varint();
  if (length === -1) return null;
  if (length < -1) throw new ProtocolError(`invalid length ${length}`);
  return r.raw(length);
}
