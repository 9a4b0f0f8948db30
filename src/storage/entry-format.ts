/**
 * One entry of a segment's `.log` file: a Kafka v2 record batch, stored as
 * raw bytes exactly as Fetch serves them, wrapped with the header fields
 * recovery, indexing and retention need. A `.log` file is nothing but these
 * entries back to back.
 *
 * Each entry is one MessagePack value, an 11-element array whose elements
 * always use the fixed-width encodings below, so any msgpack reader decodes
 * it while the engine reads fields at fixed positions (all big-endian):
 *
 *   pos len  bytes           element
 *     0   1  0x9b            fixarray of 11
 *     1   1  0x01            format version 1 (positive fixint)
 *     2   5  0xce u32        entry CRC-32C over bytes 7..66 and the first 21
 *                            batch bytes (the part the batch CRC leaves out)
 *     7   9  0xcf u64        base offset
 *    16   9  0xcf u64        last offset
 *    25   9  0xd3 i64        max timestamp (ms)
 *    34   5  0xd2 i32        partition leader epoch
 *    39   9  0xd3 i64        producer id
 *    48   3  0xd1 i16        producer epoch
 *    51   5  0xd2 i32        base sequence
 *    56   5  0xd2 i32        record count
 *    61   5  0xc6 u32        bin 32: batch length n
 *    66   n  batch           the record batch (its own CRC covers 21..n)
 *
 * An entry is valid when the tag bytes are as above, it lies wholly inside
 * the file, the entry CRC matches, the batch is a well-formed v2 batch whose
 * CRC matches, and the header fields equal the batch's. Together the two
 * CRCs cover every byte, so a torn or corrupt entry is always detected.
 */
import { crc32c } from '../protocol/crc32c.ts';
import {
  batchCrcValid,
  batchHeaderBytes,
  batchLengthOverheadBytes,
  crcStartOffset,
  offsets as batchField,
} from '../protocol/records/batch-header.ts';

export const entryHeaderBytes = 66;
export const entryFormatVersion = 1;

const at = {
  arrayTag: 0,
  version: 1,
  crc: 3,
  crcCoverageStart: 7,
  baseOffset: 8,
  lastOffset: 17,
  maxTimestamp: 26,
  leaderEpoch: 35,
  producerId: 40,
  producerEpoch: 49,
  baseSequence: 52,
  recordCount: 57,
  batchLength: 62,
} as const;

/** The fixed bytes of every header: tags and version; fields are zero. */
const template = Buffer.alloc(entryHeaderBytes);
for (const [position, tag] of [
  [0, 0x9b], [1, entryFormatVersion], [2, 0xce], [7, 0xcf], [16, 0xcf], [25, 0xd3], [34, 0xd2],
  [39, 0xd3], [48, 0xd1], [51, 0xd2], [56, 0xd2], [61, 0xc6],
] as const) {
  template[position] = tag;
}
const tagPositions = [0, 1, 2, 7, 16, 25, 34, 39, 48, 51, 56, 61];

/** The header fields of one entry, as numbers (offsets and timestamps are safe integers). */
export interface EntryHeader {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  leaderEpoch: number;
  recordCount: number;
  /** Length of the batch bytes. */
  batchBytes: number;
  /** Length of the whole entry: header plus batch. */
  entryBytes: number;
}

export function readUint64(buf: Buffer, position: number): number {
  return buf.readUInt32BE(position) * 0x1_0000_0000 + buf.readUInt32BE(position + 4);
}

export function readInt64(buf: Buffer, position: number): number {
  return buf.readInt32BE(position) * 0x1_0000_0000 + buf.readUInt32BE(position + 4);
}

function writeUint64(buf: Buffer, value: number, position: number): void {
  buf.writeUInt32BE(Math.floor(value / 0x1_0000_0000), position);
  buf.writeUInt32BE(value % 0x1_0000_0000, position + 4);
}

/** Why `batch` cannot be stored (size, magic, counts), or null. The batch CRC is the caller's to check. */
export function batchShapeProblem(batch: Buffer): string | null {
  if (batch.length < batchHeaderBytes) return `batch of ${batch.length} bytes is shorter than its ${batchHeaderBytes}-byte header`;
  const declared = batch.readInt32BE(batchField.batchLength) + batchLengthOverheadBytes;
  if (declared !== batch.length) return `batchLength says ${declared} bytes, got ${batch.length}`;
  const magic = batch.readInt8(batchField.magic);
  if (magic !== 2) return `unsupported magic ${magic}`;
  if (batch.readInt32BE(batchField.recordCount) < 0) return 'negative record count';
  if (batch.readInt32BE(batchField.lastOffsetDelta) < 0) return 'negative lastOffsetDelta';
  return null;
}

/** The batch's last offset: its (already assigned) base offset plus lastOffsetDelta. */
export function lastOffsetOf(batch: Buffer): number {
  return readUint64(batch, batchField.baseOffset) + batch.readInt32BE(batchField.lastOffsetDelta);
}

/**
 * Writes the entry header for `batch` (whose offsets and epoch are already
 * assigned) into `target` at `position`. Copies fields from the batch
 * header; never touches the batch bytes.
 */
export function writeEntryHeader(target: Buffer, position: number, batch: Buffer): void {
  template.copy(target, position);
  batch.copy(target, position + at.baseOffset, batchField.baseOffset, batchField.baseOffset + 8);
  writeUint64(target, lastOffsetOf(batch), position + at.lastOffset);
  batch.copy(target, position + at.maxTimestamp, batchField.maxTimestamp, batchField.maxTimestamp + 8);
  batch.copy(target, position + at.leaderEpoch, batchField.partitionLeaderEpoch, batchField.partitionLeaderEpoch + 4);
  batch.copy(target, position + at.producerId, batchField.producerId, batchField.producerId + 8);
  batch.copy(target, position + at.producerEpoch, batchField.producerEpoch, batchField.producerEpoch + 2);
  batch.copy(target, position + at.baseSequence, batchField.baseSequence, batchField.baseSequence + 4);
  batch.copy(target, position + at.recordCount, batchField.recordCount, batchField.recordCount + 4);
  target.writeUInt32BE(batch.length, position + at.batchLength);
  target.writeUInt32BE(entryCrc(target, position, batch), position + at.crc);
}

function entryCrc(header: Buffer, position: number, batch: Buffer): number {
  const headerCrc = crc32c(header.subarray(position + at.crcCoverageStart, position + entryHeaderBytes));
  return crc32c(batch.subarray(0, crcStartOffset), headerCrc);
}

/** Why the bytes at `position` do not start an entry header (tags, version), or null. Needs 66 bytes. */
export function entryHeaderProblem(buf: Buffer, position: number): string | null {
  if (buf.length - position < entryHeaderBytes) return `only ${buf.length - position} bytes left, an entry header needs ${entryHeaderBytes}`;
  for (const tagAt of tagPositions) {
    const found = buf[position + tagAt];
    if (found === template[tagAt]) continue;
    if (tagAt === at.version) return `unknown entry format version ${found}`;
    return `entry header byte ${tagAt} is 0x${found.toString(16)}, expected 0x${template[tagAt].toString(16)}`;
  }
  return null;
}

/** Reads the header at `position`; the caller has checked entryHeaderProblem. */
export function readEntryHeader(buf: Buffer, position: number): EntryHeader {
  const batchBytes = buf.readUInt32BE(position + at.batchLength);
  return {
    baseOffset: readUint64(buf, position + at.baseOffset),
    lastOffset: readUint64(buf, position + at.lastOffset),
    maxTimestamp: readInt64(buf, position + at.maxTimestamp),
    leaderEpoch: buf.readInt32BE(position + at.leaderEpoch),
    recordCount: buf.readInt32BE(position + at.recordCount),
    batchBytes,
    entryBytes: entryHeaderBytes + batchBytes,
  };
}

/**
 * Full check of a whole entry held in `buf` at `position` (header already
 * structurally checked and read): both CRCs, the batch's shape, and that the
 * header repeats the batch's fields. Returns a reason or null.
 */
export function entryProblem(buf: Buffer, position: number, header: EntryHeader): string | null {
  const batch = buf.subarray(position + entryHeaderBytes, position + header.entryBytes);
  if (batch.length !== header.batchBytes) return `entry needs ${header.entryBytes} bytes, only ${entryHeaderBytes + batch.length} present`;
  const shape = batchShapeProblem(batch);
  if (shape) return shape;
  if (entryCrc(buf, position, batch) !== buf.readUInt32BE(position + at.crc)) return 'entry CRC mismatch';
  if (!batchCrcValid(batch)) return 'batch CRC mismatch';
  for (const [entryAt, batchAt, width] of [
    [at.baseOffset, batchField.baseOffset, 8],
    [at.maxTimestamp, batchField.maxTimestamp, 8],
    [at.leaderEpoch, batchField.partitionLeaderEpoch, 4],
    [at.producerId, batchField.producerId, 8],
    [at.producerEpoch, batchField.producerEpoch, 2],
    [at.baseSequence, batchField.baseSequence, 4],
    [at.recordCount, batchField.recordCount, 4],
  ] as const) {
    if (buf.compare(batch, batchAt, batchAt + width, position + entryAt, position + entryAt + width) !== 0) {
      return `entry header disagrees with the batch header at batch byte ${batchAt}`;
    }
  }
  if (header.lastOffset !== lastOffsetOf(batch)) return 'entry last offset disagrees with the batch';
  return null;
}
