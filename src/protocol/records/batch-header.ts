/**
 * The fixed 61-byte header of a Kafka record batch (magic 2), read, written
 * and patched in place without touching the records. The broker and the storage
 * engine use only this on the hot path; record-level decoding lives in
 * record-batch.ts.
 *
 * Layout (big-endian): baseOffset i64 @0, batchLength i32 @8 (bytes after
 * this field), partitionLeaderEpoch i32 @12, magic i8 @16, crc u32 @17
 * (CRC-32C of bytes 21..end), attributes i16 @21, lastOffsetDelta i32 @23,
 * baseTimestamp i64 @27, maxTimestamp i64 @35, producerId i64 @43,
 * producerEpoch i16 @51, baseSequence i32 @53, recordCount i32 @57.
 */
import { crc32c } from '../crc32c.ts';
import { ProtocolError } from '../primitives.ts';

export const batchHeaderBytes = 61;
/** Bytes before batchLength's coverage starts (baseOffset + batchLength). */
export const batchLengthOverheadBytes = 12;
export const crcStartOffset = 21;

export const offsets = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const;

export const attributeBits = {
  compressionMask: 0x07,
  timestampTypeLogAppend: 0x08,
  transactional: 0x10,
  control: 0x20,
} as const;

export interface BatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Reads the header of the batch starting at `at`; checks only that 61 bytes exist and magic is 2. */
export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  if (buf.length - at < batchHeaderBytes) {
    throw new ProtocolError(`record batch header needs ${batchHeaderBytes} bytes, have ${buf.length - at}`);
  }
  const magic = buf.readInt8(at + offsets.magic);
  if (magic !== 2) throw new ProtocolError(`unsupported record batch magic ${magic}`);
  return {
    baseOffset: buf.readBigInt64BE(at + offsets.baseOffset),
    batchLength: buf.readInt32BE(at + offsets.batchLength),
    partitionLeaderEpoch: buf.readInt32BE(at + offsets.partitionLeaderEpoch),
    magic,
    crc: buf.readUInt32BE(at + offsets.crc),
    attributes: buf.readInt16BE(at + offsets.attributes),
    lastOffsetDelta: buf.readInt32BE(at + offsets.lastOffsetDelta),
    baseTimestamp: buf.readBigInt64BE(at + offsets.baseTimestamp),
    maxTimestamp: buf.readBigInt64BE(at + offsets.maxTimestamp),
    producerId: buf.readBigInt64BE(at + offsets.producerId),
    producerEpoch: buf.readInt16BE(at + offsets.producerEpoch),
    baseSequence: buf.readInt32BE(at + offsets.baseSequence),
    recordCount: buf.readInt32BE(at + offsets.recordCount),
  };
}

/** Writes every header field at the start of `batch`; the caller then sets the CRC with updateBatchCrc. */
export function writeBatchHeader(batch: Buffer, header: Omit<BatchHeader, 'crc'>): void {
  batch.writeBigInt64BE(header.baseOffset, offsets.baseOffset);
  batch.writeInt32BE(header.batchLength, offsets.batchLength);
  batch.writeInt32BE(header.partitionLeaderEpoch, offsets.partitionLeaderEpoch);
  batch.writeInt8(header.magic, offsets.magic);
  batch.writeInt16BE(header.attributes, offsets.attributes);
  batch.writeInt32BE(header.lastOffsetDelta, offsets.lastOffsetDelta);
  batch.writeBigInt64BE(header.baseTimestamp, offsets.baseTimestamp);
  batch.writeBigInt64BE(header.maxTimestamp, offsets.maxTimestamp);
  batch.writeBigInt64BE(header.producerId, offsets.producerId);
  batch.writeInt16BE(header.producerEpoch, offsets.producerEpoch);
  batch.writeInt32BE(header.baseSequence, offsets.baseSequence);
  batch.writeInt32BE(header.recordCount, offsets.recordCount);
}

/** Total size in bytes of the batch starting at `at` (batchLength + 12). */
export function batchSize(buf: Buffer, at = 0): number {
  return buf.readInt32BE(at + offsets.batchLength) + batchLengthOverheadBytes;
}

export function compressionCodecOf(attributes: number): number {
  return attributes & attributeBits.compressionMask;
}

/** Recomputes the CRC-32C over attributes..end of a whole batch and compares it with the stored one. */
export function batchCrcValid(batch: Buffer): boolean {
  return crc32c(batch.subarray(crcStartOffset)) === batch.readUInt32BE(offsets.crc);
}

/** Rewrites the stored CRC after a change to bytes 21..end (e.g. LogAppendTime). */
export function updateBatchCrc(batch: Buffer): void {
  batch.writeUInt32BE(crc32c(batch.subarray(crcStartOffset)), offsets.crc);
}

/** Patches baseOffset and partitionLeaderEpoch in place; both lie outside the CRC. */
export function patchBatchOffsets(batch: Buffer, baseOffset: bigint, leaderEpoch: number): void {
  batch.writeBigInt64BE(baseOffset, offsets.baseOffset);
  batch.writeInt32BE(leaderEpoch, offsets.partitionLeaderEpoch);
}

/**
 * Structural checks a broker applies to one incoming batch before it is
 * stored: size consistent with `batchLength`, magic 2, a known codec,
 * lastOffsetDelta = recordCount - 1, and a valid CRC. Returns a reason or null.
 */
export function batchProblem(batch: Buffer): string | null {
  if (batch.length < batchHeaderBytes) return `batch of ${batch.length} bytes is shorter than its header`;
  if (batchSize(batch) !== batch.length) return `batchLength says ${batchSize(batch)} bytes, got ${batch.length}`;
  const magic = batch.readInt8(offsets.magic);
  if (magic !== 2) return `unsupported magic ${magic}`;
  const attributes = batch.readInt16BE(offsets.attributes);
  if (compressionCodecOf(attributes) > 4) return `unknown compression codec ${compressionCodecOf(attributes)}`;
  const recordCount = batch.readInt32BE(offsets.recordCount);
  if (recordCount < 0) return `negative record count ${recordCount}`;
  const lastOffsetDelta = batch.readInt32BE(offsets.lastOffsetDelta);
  if (recordCount > 0 && lastOffsetDelta !== recordCount - 1) {
    return `lastOffsetDelta ${lastOffsetDelta} does not match recordCount ${recordCount}`;
  }
  if (!batchCrcValid(batch)) return 'CRC mismatch';
  return null;
}
