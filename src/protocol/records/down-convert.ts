/**
 * Down-conversion of stored v2 record batches to a legacy message set
 * (legacy-message-set.ts has the layout) for Fetch v0-3: magic 0 for
 * Fetch v0-1, magic 1 for v2-3, following Kafka 3.x's RecordsUtil:
 *
 * - Records keep their offsets. Records before the fetch offset are dropped
 *   (the first batch starts before it; Kafka drops them from uncompressed
 *   batches, and clients skip them anyway).
 * - An uncompressed batch becomes one message per record. A compressed batch
 *   becomes compressed wrapper messages with the batch's codec, holding up
 *   to `downConvertWrapperBytesMax` of inner messages each (Kafka writes one
 *   wrapper per batch; more wrappers bound the memory a large batch needs).
 *   A wrapper's offset is its last inner message's; inner offsets are
 *   absolute in magic 0 and relative to the wrapper's first in magic 1.
 *   Magic-0 LZ4 frames carry the pre-KIP-57 header checksum, as Kafka's.
 * - Magic 1 timestamps: a record's own (CreateTime), or the batch's max
 *   timestamp with the LogAppendTime attribute bit on wrapper and inner
 *   messages (LogAppendTime); a CreateTime wrapper carries its largest inner
 *   timestamp. Magic 0 has none.
 * - Record headers cannot be represented and are dropped; control batches
 *   are skipped (as Kafka does).
 * - zstd batches cannot be represented (the format predates it): conversion
 *   stops before one, reporting `unconvertible: 'zstd'` (Kafka answers
 *   UNSUPPORTED_COMPRESSION_TYPE). A corrupt batch stops it the same way
 *   with 'corrupt'. Either way the messages converted before it stand.
 *
 * Size: the output holds whole messages only, at most `maxBytes` of them,
 * except that `minOneMessage` lets the first message (or wrapper) through
 * whatever its size, as a v3+ fetch gets its first batch. Kafka converts
 * lazily while sending a response sized up front, so its answers may end
 * in a cut message (which old clients ignore); converting before the
 * response is sized, kb never needs to cut one. A cut stored batch at the
 * end of the input ends the conversion. Work: once it has output, a
 * conversion opens no further batch after decompressing
 * `decompressedBytesMax` in all (small batches that decompress to a lot
 * would otherwise make one fetch inflate many times that).
 */
import { crc32 } from 'node:zlib';
import { compress, CompressionCodec, withLegacyLz4HeaderChecksum } from '../compression.ts';
import { decompressedBytesMax, downConvertWrapperBytesMax } from '../../limits.ts';
import { ProtocolError } from '../primitives.ts';
import { attributeBits, compressionCodecOf, readBatchHeader } from './batch-header.ts';
import { recordBatches } from './batch-splitter.ts';
import { eachRecord, openRecordBatch } from './record-batch.ts';

export type LegacyMagic = 0 | 1;

export interface DownConversion {
  /** Whole legacy messages, back to back. */
  records: Buffer;
  /** Records they hold (inner messages of wrappers counted). */
  recordCount: number;
  /** Why conversion stopped before the end of its input, if it did. */
  unconvertible: 'zstd' | 'corrupt' | null;
}

/** One legacy message (or wrapper) before encoding. */
interface Message {
  offset: bigint;
  attributes: number;
  /** Ignored for magic 0. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

/** Bytes before a legacy message's key: offset, size, crc, magic, attributes (+ timestamp in magic 1). */
const headerBytes = { 0: 18, 1: 26 } as const;
const crcAt = 12;
const crcFrom = 16;
/** Message attributes: bits 0-2 codec, bit 3 LogAppendTime (magic 1 only). */
const logAppendTimeBit = 0x08;

/** The magic Fetch `apiVersion` can carry, or null when it takes v2 batches as stored. */
export function legacyMagicFor(fetchVersion: number): LegacyMagic | null {
  if (fetchVersion <= 1) return 0;
  if (fetchVersion <= 3) return 1;
  return null;
}

export function downConvert(batches: Buffer, magic: LegacyMagic, fetchOffset: bigint, maxBytes: number, minOneMessage: boolean): DownConversion {
  const out = new MessageSetBuilder(maxBytes, minOneMessage);
  for (const span of recordBatches(batches)) {
    if (!span.complete || (out.inflatedBytes >= decompressedBytesMax && out.recordCount > 0)) break;
    const problem = convertBatch(span.bytes, magic, fetchOffset, out);
    if (problem !== 'converted') return out.finish(problem === 'full' ? null : problem);
  }
  return out.finish(null);
}

/** Appends one stored batch's messages to `out`; says why it stopped when it did. */
function convertBatch(bytes: Buffer, magic: LegacyMagic, fetchOffset: bigint, out: MessageSetBuilder): 'converted' | 'full' | 'zstd' | 'corrupt' {
  try {
    const { attributes } = readBatchHeader(bytes);
    if (attributes & attributeBits.control) return 'converted';
    const codec = compressionCodecOf(attributes);
    if (codec === CompressionCodec.zstd) return 'zstd';
    const batch = openRecordBatch(bytes);
    out.inflatedBytes += batch.records.body.length;
    const logAppendTime = batch.timestampType === 'LogAppendTime';
    const timeBit = magic === 1 && logAppendTime ? logAppendTimeBit : 0;
    const wrapper = codec === CompressionCodec.none ? null : new Wrapper(magic, codec, timeBit);
    for (const record of eachRecord(batch.records)) {
      const offset = batch.baseOffset + BigInt(record.offsetDelta);
      if (offset < fetchOffset) continue;
      // int64 arithmetic, as Kafka's: a producer's base timestamp and deltas may add up past the range.
      const timestamp = magic === 0 ? -1n : logAppendTime ? batch.maxTimestamp : BigInt.asIntN(64, batch.baseTimestamp + record.timestampDelta);
      const message = { offset, attributes: timeBit, timestamp, key: record.key, value: record.value };
      if (wrapper === null) {
        if (!out.add(encodeMessage(magic, message))) return 'full';
        continue;
      }
      wrapper.add(message);
      if (wrapper.bytes >= downConvertWrapperBytesMax && !out.add(...wrapper.close())) return 'full';
    }
    if (wrapper !== null && wrapper.bytes > 0 && !out.add(...wrapper.close())) return 'full';
    return 'converted';
  } catch (err) {
    if (err instanceof ProtocolError) return 'corrupt';
    throw err;
  }
}

/** The converted messages, within the byte budget. */
class MessageSetBuilder {
  private readonly messages: Buffer[] = [];
  private bytes = 0;
  recordCount = 0;
  /** Bytes of records sections read so far (decompressed when compressed). */
  inflatedBytes = 0;
  private readonly maxBytes: number;
  private readonly minOneMessage: boolean;

  constructor(maxBytes: number, minOneMessage: boolean) {
    this.maxBytes = maxBytes;
    this.minOneMessage = minOneMessage;
  }

  /** Adds `message` (holding `records` records) when it fits; false (and nothing added) when it does not. */
  add(message: Buffer, records = 1): boolean {
    const first = this.messages.length === 0 && this.minOneMessage;
    if (!first && this.bytes + message.length > this.maxBytes) return false;
    this.messages.push(message);
    this.bytes += message.length;
    this.recordCount += records;
    return true;
  }

  finish(unconvertible: DownConversion['unconvertible']): DownConversion {
    return { records: Buffer.concat(this.messages, this.bytes), recordCount: this.recordCount, unconvertible };
  }
}

/** Inner messages gathered for one compressed wrapper. */
class Wrapper {
  private inner: Buffer[] = [];
  private first: Message | null = null;
  private last: Message | null = null;
  private maxTimestamp = -1n;
  bytes = 0;
  private readonly magic: LegacyMagic;
  private readonly codec: number;
  private readonly timeBit: number;

  constructor(magic: LegacyMagic, codec: number, timeBit: number) {
    this.magic = magic;
    this.codec = codec;
    this.timeBit = timeBit;
  }

  add(message: Message): void {
    this.first ??= message;
    this.last = message;
    if (message.timestamp > this.maxTimestamp) this.maxTimestamp = message.timestamp;
    const innerOffset = this.magic === 0 ? message.offset : message.offset - this.first.offset;
    const encoded = encodeMessage(this.magic, { ...message, offset: innerOffset });
    this.inner.push(encoded);
    this.bytes += encoded.length;
  }

  /** The wrapper message of what was added and how many records it holds; starts a new wrapper. */
  close(): [Buffer, number] {
    if (this.first === null || this.last === null) throw new Error('closing an empty wrapper');
    const compressed = compress(this.codec, Buffer.concat(this.inner, this.bytes));
    const value = this.magic === 0 && this.codec === CompressionCodec.lz4 ? withLegacyLz4HeaderChecksum(compressed) : compressed;
    const wrapper = encodeMessage(this.magic, { offset: this.last.offset, attributes: this.codec | this.timeBit, timestamp: this.maxTimestamp, key: null, value });
    const records = this.inner.length;
    this.inner = [];
    this.first = this.last = null;
    this.maxTimestamp = -1n;
    this.bytes = 0;
    return [wrapper, records];
  }
}

function encodeMessage(magic: LegacyMagic, message: Message): Buffer {
  const { key, value } = message;
  const bytes = headerBytes[magic] + 4 + (key?.length ?? 0) + 4 + (value?.length ?? 0);
  const buf = Buffer.allocUnsafe(bytes);
  buf.writeBigInt64BE(message.offset, 0);
  buf.writeInt32BE(bytes - 12, 8);
  buf.writeInt8(magic, 16);
  buf.writeInt8(message.attributes, 17);
  if (magic === 1) buf.writeBigInt64BE(message.timestamp, 18);
  let at = writeBytes(buf, headerBytes[magic], key);
  at = writeBytes(buf, at, value);
  buf.writeUInt32BE(crc32(buf.subarray(crcFrom)), crcAt);
  return buf;
}

function writeBytes(buf: Buffer, at: number, bytes: Buffer | null): number {
  buf.writeInt32BE(bytes === null ? -1 : bytes.length, at);
  if (bytes === null) return at + 4;
  bytes.copy(buf, at + 4);
  return at + 4 + bytes.length;
}
