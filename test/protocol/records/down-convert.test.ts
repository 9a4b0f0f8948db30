import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionCodec, decompress } from '../../../src/protocol/compression.ts';
import { decodeLegacyMessageSet } from '../../../src/protocol/records/legacy-message-set.ts';
import { downConvert, legacyMagicFor } from '../../../src/protocol/records/down-convert.ts';
import { encodeRecordBatch, type RecordBatchInput } from '../../../src/protocol/records/record-batch.ts';
import { recordBatches } from '../../../src/protocol/records/batch-splitter.ts';
import { decompressedBytesMax, downConvertWrapperBytesMax } from '../../../src/limits.ts';
import { legacyMessage, legacyMessageSet } from '../../fixtures/legacy-messages.ts';
import { hash as xxh32 } from 'lz4js/xxh32.js';

const unlimited = 0x7fffffff;

/** Three records at offsets base..base+2: timestamps 1000, 1300, 1200; a header on the first; a null key and a null value. */
function batch(baseOffset: bigint, codec: number = CompressionCodec.none, extra: Partial<RecordBatchInput> = {}): Buffer {
  return encodeRecordBatch(
    {
      baseOffset,
      baseTimestamp: 1_000n,
      records: [
        { timestampDelta: 0n, key: Buffer.from('k0'), value: Buffer.from('v0'), headers: [{ key: 'h', value: Buffer.from('dropped') }] },
        { timestampDelta: 300n, key: null, value: Buffer.from('v1') },
        { timestampDelta: 200n, key: Buffer.from('k2'), value: null },
      ],
      ...extra,
    },
    codec,
  );
}

/** The wire entries (offset, magic, attributes, timestamp) of a message set, not unwrapped. */
function entries(set: Buffer): { offset: bigint; magic: number; attributes: number; timestamp: bigint | null; value: Buffer }[] {
  return [...recordBatches(set)].map(({ bytes }) => {
    const magic = bytes.readInt8(16);
    const keyAt = magic === 1 ? 26 : 18;
    const keyLength = bytes.readInt32BE(keyAt);
    const valueAt = keyAt + 4 + Math.max(keyLength, 0);
    return {
      offset: bytes.readBigInt64BE(0),
      magic,
      attributes: bytes.readInt8(17),
      timestamp: magic === 1 ? bytes.readBigInt64BE(18) : null,
      value: bytes.subarray(valueAt + 4),
    };
  });
}

describe('legacyMagicFor', () => {
  it('maps Fetch v0-1 to magic 0, v2-3 to magic 1, v4+ to none', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 12].map(legacyMagicFor), [0, 0, 1, 1, null, null]);
  });
});

describe('downConvert', () => {
  it('turns an uncompressed batch into one magic-1 message per record, byte for byte as the protocol guide lays them out', () => {
    const converted = downConvert(batch(40n), 1, 40n, unlimited, true);
    assert.equal(converted.unconvertible, null);
    assert.equal(converted.recordCount, 3);
    const expected = legacyMessageSet([
      { offset: 40n, magic: 1, timestamp: 1_000n, key: 'k0', value: 'v0' },
      { offset: 41n, magic: 1, timestamp: 1_300n, key: null, value: 'v1' },
      { offset: 42n, magic: 1, timestamp: 1_200n, key: 'k2', value: null },
    ]);
    assert.deepEqual(converted.records, expected);
  });

  it('writes magic 0 without timestamps', () => {
    const converted = downConvert(batch(7n), 0, 7n, unlimited, true);
    const expected = legacyMessageSet([
      { offset: 7n, magic: 0, key: 'k0', value: 'v0' },
      { offset: 8n, magic: 0, key: null, value: 'v1' },
      { offset: 9n, magic: 0, key: 'k2', value: null },
    ]);
    assert.deepEqual(converted.records, expected);
  });

  it('drops the records before the fetch offset, in uncompressed and compressed batches', () => {
    for (const codec of [CompressionCodec.none, CompressionCodec.gzip]) {
      const set = decodeLegacyMessageSet(downConvert(batch(40n, codec), 1, 41n, unlimited, true).records);
      assert.deepEqual(
        set.records.map((r) => r.offset),
        [41n, 42n],
        `codec ${codec}`,
      );
    }
  });

  for (const [name, codec] of [
    ['gzip', CompressionCodec.gzip],
    ['snappy', CompressionCodec.snappy],
    ['lz4', CompressionCodec.lz4],
  ] as const) {
    it(`keeps a ${name} batch compressed: one magic-1 wrapper at the last offset, relative inner offsets, the largest timestamp`, () => {
      const converted = downConvert(batch(100n, codec), 1, 100n, unlimited, true);
      assert.equal(converted.recordCount, 3);
      const [wrapper, ...rest] = entries(converted.records);
      assert.equal(rest.length, 0);
      assert.deepEqual({ ...wrapper, value: undefined }, { offset: 102n, magic: 1, attributes: codec, timestamp: 1_300n, value: undefined });
      const inner = decompress(codec, wrapper.value);
      assert.deepEqual(
        inner,
        legacyMessageSet([
          { offset: 0n, magic: 1, timestamp: 1_000n, key: 'k0', value: 'v0' },
          { offset: 1n, magic: 1, timestamp: 1_300n, key: null, value: 'v1' },
          { offset: 2n, magic: 1, timestamp: 1_200n, key: 'k2', value: null },
        ]),
      );
      const decoded = decodeLegacyMessageSet(converted.records);
      assert.deepEqual(
        decoded.records.map((r) => [r.offset, r.timestamp]),
        [
          [100n, 1_000n],
          [101n, 1_300n],
          [102n, 1_200n],
        ],
      );
    });
  }

  it('gives magic-0 wrappers absolute inner offsets', () => {
    const [wrapper] = entries(downConvert(batch(100n, CompressionCodec.gzip), 0, 100n, unlimited, true).records);
    assert.equal(wrapper.offset, 102n);
    assert.equal(wrapper.attributes, CompressionCodec.gzip);
    assert.deepEqual(
      decompress(CompressionCodec.gzip, wrapper.value),
      legacyMessageSet([
        { offset: 100n, magic: 0, key: 'k0', value: 'v0' },
        { offset: 101n, magic: 0, key: null, value: 'v1' },
        { offset: 102n, magic: 0, key: 'k2', value: null },
      ]),
    );
  });

  it('stamps LogAppendTime batches with their max timestamp and the timestamp-type bit, wrapper and inner', () => {
    const plain = entries(downConvert(batch(0n, CompressionCodec.none, { timestampType: 'LogAppendTime', maxTimestamp: 9_000n }), 1, 0n, unlimited, true).records);
    assert.deepEqual(
      plain.map((e) => [e.attributes, e.timestamp]),
      [
        [8, 9_000n],
        [8, 9_000n],
        [8, 9_000n],
      ],
    );
    const [wrapper] = entries(downConvert(batch(0n, CompressionCodec.gzip, { timestampType: 'LogAppendTime', maxTimestamp: 9_000n }), 1, 0n, unlimited, true).records);
    assert.deepEqual([wrapper.attributes, wrapper.timestamp], [8 | CompressionCodec.gzip, 9_000n]);
    assert.deepEqual(
      entries(decompress(CompressionCodec.gzip, wrapper.value)).map((e) => [e.attributes, e.timestamp]),
      [
        [8, 9_000n],
        [8, 9_000n],
        [8, 9_000n],
      ],
    );
  });

  it('converts every batch of a read in order and skips control batches', () => {
    const control = encodeRecordBatch({ baseOffset: 3n, baseTimestamp: 0n, control: true, records: [{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.alloc(6) }] });
    const read = Buffer.concat([batch(0n), control, batch(4n, CompressionCodec.snappy)]);
    const converted = downConvert(read, 1, 0n, unlimited, true);
    assert.equal(converted.recordCount, 6);
    assert.deepEqual(
      decodeLegacyMessageSet(converted.records).records.map((r) => r.offset),
      [0n, 1n, 2n, 4n, 5n, 6n],
    );
  });

  it('holds whole messages within maxBytes, and the first whatever its size when asked to', () => {
    const oneMessage = legacyMessage({ offset: 0n, magic: 1, timestamp: 1_000n, key: 'k0', value: 'v0' }).length;
    const two = downConvert(batch(0n), 1, 0n, oneMessage * 2 + 5, false);
    assert.equal(two.recordCount, 2);
    assert.equal(two.records.length, oneMessage * 2 - 2); // the second has no key: two bytes fewer
    assert.equal(downConvert(batch(0n), 1, 0n, oneMessage - 1, false).records.length, 0);
    const first = downConvert(batch(0n), 1, 0n, 1, true);
    assert.deepEqual([first.recordCount, first.records.length], [1, oneMessage]);
    const wrapped = downConvert(batch(0n, CompressionCodec.gzip), 1, 0n, 1, true);
    assert.equal(wrapped.recordCount, 3);
    assert.equal(downConvert(batch(0n, CompressionCodec.gzip), 1, 0n, 1, false).records.length, 0);
  });

  it('splits a large compressed batch into wrappers of bounded size, each with the right offsets', () => {
    const value = Buffer.alloc(100 * 1024, 'x');
    const count = Math.ceil((downConvertWrapperBytesMax * 2.5) / value.length);
    const big = encodeRecordBatch({ baseOffset: 1_000n, baseTimestamp: 5n, records: Array.from({ length: count }, () => ({ value })) }, CompressionCodec.gzip);
    const converted = downConvert(big, 1, 1_000n, unlimited, true);
    const wrappers = entries(converted.records);
    assert.equal(wrappers.length, 3);
    for (const w of wrappers) assert.ok(decompress(CompressionCodec.gzip, w.value).length < downConvertWrapperBytesMax + value.length + 100);
    const offsets = decodeLegacyMessageSet(converted.records).records.map((r) => r.offset);
    assert.deepEqual(
      offsets,
      Array.from({ length: count }, (_, i) => 1_000n + BigInt(i)),
    );
  });

  it('opens no further batch once it has output and decompressed decompressedBytesMax in all', () => {
    const inflating = encodeRecordBatch({ baseTimestamp: 0n, records: [{ value: Buffer.alloc(decompressedBytesMax / 2 + 1) }] }, CompressionCodec.gzip);
    const converted = downConvert(Buffer.concat([batch(0n, CompressionCodec.gzip), inflating, inflating, batch(0n)]), 1, 0n, unlimited, true);
    assert.equal(converted.recordCount, 3 + 1 + 1);
    assert.equal(converted.unconvertible, null);
  });

  it('stops before a zstd batch, which old formats cannot carry', () => {
    const zstd = batch(3n, CompressionCodec.zstd);
    assert.deepEqual(downConvert(zstd, 1, 3n, unlimited, true), { records: Buffer.alloc(0), recordCount: 0, unconvertible: 'zstd' });
    const after = downConvert(Buffer.concat([batch(0n), zstd]), 1, 0n, unlimited, true);
    assert.equal(after.unconvertible, 'zstd');
    assert.equal(after.recordCount, 3);
  });

  it('stops at a corrupt batch and ignores a cut one at the end', () => {
    const corrupt = Buffer.from(batch(0n));
    corrupt[corrupt.length - 1] ^= 0xff;
    assert.equal(downConvert(corrupt, 1, 0n, unlimited, true).unconvertible, 'corrupt');
    const cut = downConvert(Buffer.concat([batch(0n), batch(3n).subarray(0, 40)]), 1, 0n, unlimited, true);
    assert.deepEqual([cut.recordCount, cut.unconvertible], [3, null]);
  });

  it('adds timestamps in int64 arithmetic, as Kafka, when a producer\'s base and delta overflow', () => {
    const odd = encodeRecordBatch({ baseTimestamp: 0x7fffffffffffffffn, maxTimestamp: 0x7fffffffffffffffn, records: [{ timestampDelta: 2n, value: Buffer.from('x') }] });
    assert.deepEqual(decodeLegacyMessageSet(downConvert(odd, 1, 0n, unlimited, true).records).records[0].timestamp, -0x7fffffffffffffffn);
  });

  it('writes magic-0 LZ4 wrappers with the old header checksum over the frame magic too, as Kafka does', () => {
    const [v0] = entries(downConvert(batch(0n, CompressionCodec.lz4), 0, 0n, unlimited, true).records);
    const [v1] = entries(downConvert(batch(0n, CompressionCodec.lz4), 1, 0n, unlimited, true).records);
    assert.equal(v0.value[6], (xxh32(0, v0.value, 0, 6) >>> 8) & 0xff);
    assert.equal(v1.value[6], (xxh32(0, v1.value, 4, 2) >>> 8) & 0xff);
    assert.notEqual(v0.value[6], v1.value[6]);
    assert.equal(decodeLegacyMessageSet(downConvert(batch(0n, CompressionCodec.lz4), 0, 0n, unlimited, true).records).records.length, 3);
  });
});
