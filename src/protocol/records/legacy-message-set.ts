/**
 * Legacy message sets (magic 0 and 1), which Produce v0-2 carries: read into
 * records, and converted to one v2 record batch, the only format kb stores.
 *
 * MessageSet => entries back to back, no count: offset i64, size i32, Message
 * Message v0 => crc u32, magic i8 (0), attributes i8, key bytes, value bytes
 * Message v1 => crc u32, magic i8 (1), attributes i8, timestamp i64, key bytes, value bytes
 *   crc: CRC-32 (IEEE) of magic..end; bytes: length i32 (-1 = null) + data;
 *   attributes bits 0-2: codec, bit 3 (v1): LogAppendTime.
 * A compressed message (a "wrapper") holds a whole inner message set,
 * compressed, as its value. Inner messages are uncompressed and share the
 * wrapper's magic. Inner offsets are absolute in v0; in v1 they are relative
 * and the wrapper carries the absolute offset of the last inner message.
 * v0 has no timestamps (-1 here); v1 inner messages under a LogAppendTime
 * wrapper take the wrapper's timestamp.
 *
 * Anything malformed (bad CRC, mixed magics, nested compression, a cut
 * message, trailing bytes) throws ProtocolError.
 */
import { crc32 } from 'node:zlib';
import { CompressionCodec, decompress } from '../compression.ts';
import { decompressedBytesMax } from '../../limits.ts';
import { ProtocolError, Reader } from '../primitives.ts';
import { recordBatches } from './batch-splitter.ts';
import { encodeRecordBatch } from './record-batch.ts';

export interface LegacyRecord {
  offset: bigint;
  /** -1 when the message format has none (magic 0). */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

export interface LegacyMessageSet {
  magic: 0 | 1;
  /** Codec of the set's (first) wrapper message; 0 when uncompressed. */
  codec: number;
  records: LegacyRecord[];
}

interface Message extends LegacyRecord {
  magic: 0 | 1;
  attributes: number;
}

const codecMask = 0x07;
const logAppendTimeBit = 0x08;
const crcEnd = 16;

export function decodeLegacyMessageSet(buf: Buffer, maxDecompressedBytes = decompressedBytesMax): LegacyMessageSet {
  const messages = readMessages(buf);
  if (messages.length === 0) throw new ProtocolError('message set holds no messages');
  const { magic } = messages[0];
  let budget = maxDecompressedBytes;
  const records: LegacyRecord[] = [];
  for (const message of messages) {
    if (message.magic !== magic) throw new ProtocolError(`message set mixes magic ${magic} and ${message.magic}`);
    if ((message.attributes & codecMask) === CompressionCodec.none) {
      records.push(recordOf(message, message.timestamp));
      continue;
    }
    const inner = unwrap(message, budget);
    budget -= inner.decompressedBytes;
    for (const record of inner.records) records.push(record); // not push(...): 100k+ arguments overflow the stack
  }
  return { magic, codec: messages[0].attributes & codecMask, records };
}

/** One v2 batch holding the set's records: offset deltas 0..n-1, base offset 0 (the broker assigns offsets). */
export function legacyToRecordBatch(set: LegacyMessageSet): Buffer {
  const baseTimestamp = set.records.length === 0 ? -1n : set.records[0].timestamp;
  return encodeRecordBatch(
    {
      baseTimestamp,
      records: set.records.map((record) => ({
        timestampDelta: record.timestamp - baseTimestamp,
        key: record.key,
        value: record.value,
      })),
    },
    set.codec,
  );
}

function readMessages(buf: Buffer): Message[] {
  const messages: Message[] = [];
  for (const span of recordBatches(buf)) {
    if (!span.complete) throw new ProtocolError(`message set ends in a cut message at byte ${span.start}`);
    messages.push(readMessage(span.bytes));
  }
  return messages;
}

function readMessage(entry: Buffer): Message {
  const r = new Reader(entry);
  const offset = r.int64();
  r.int32(); // size, already checked by recordBatches
  const crc = r.uint32();
  if (crc32(entry.subarray(crcEnd)) !== crc) throw new ProtocolError(`message at offset ${offset}: CRC mismatch`);
  const magic = r.int8();
  if (magic !== 0 && magic !== 1) throw new ProtocolError(`message at offset ${offset}: magic ${magic} is not a legacy message`);
  const attributes = r.int8();
  const timestamp = magic === 1 ? r.int64() : -1n;
  const key = r.nullableBytes();
  const value = r.nullableBytes();
  if (r.remaining !== 0) throw new ProtocolError(`message at offset ${offset}: ${r.remaining} bytes after its value`);
  return { offset, magic, attributes, timestamp, key, value };
}

function recordOf(message: Message, timestamp: bigint, offset = message.offset): LegacyRecord {
  return { offset, timestamp, key: message.key, value: message.value };
}

function unwrap(wrapper: Message, maxBytes: number): { records: LegacyRecord[]; decompressedBytes: number } {
  if (wrapper.value === null) throw new ProtocolError(`compressed message at offset ${wrapper.offset} has no value`);
  const bytes = decompress(wrapper.attributes & codecMask, wrapper.value, maxBytes);
  const inner = readMessages(bytes);
  if (inner.length === 0) throw new ProtocolError(`compressed message at offset ${wrapper.offset} is empty`);
  const lastInnerOffset = inner[inner.length - 1].offset;
  const logAppendTime = (wrapper.attributes & logAppendTimeBit) !== 0;
  const records = inner.map((message) => {
    if (message.magic !== wrapper.magic) throw new ProtocolError('inner message magic differs from its wrapper');
    if ((message.attributes & codecMask) !== CompressionCodec.none) throw new ProtocolError('nested compressed message');
    if (wrapper.magic === 0) return recordOf(message, -1n);
    const timestamp = logAppendTime ? wrapper.timestamp : message.timestamp;
    return recordOf(message, timestamp, wrapper.offset - lastInnerOffset + message.offset);
  });
  return { records, decompressedBytes: bytes.length };
}
