import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { compress, CompressionCodec } from '../../../src/protocol/compression.ts';
import { ProtocolError } from '../../../src/protocol/primitives.ts';
import { batchProblem } from '../../../src/protocol/records/batch-header.ts';
import {
  decodeLegacyMessageSet,
  legacyToRecordBatch,
} from '../../../src/protocol/records/legacy-message-set.ts';
import { decodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { legacyMessage, legacyMessageSet, tinyV0Message } from '../../fixtures/legacy-messages.ts';

const require = createRequire(import.meta.url);
const kafkajsMessageSet = require('kafkajs/src/protocol/messageSet');

const v0Plain = legacyMessageSet([
  { offset: 0n, magic: 0, key: 'a', value: 'apple' },
  { offset: 1n, magic: 0, key: null, value: 'banana' },
  { offset: 2n, magic: 0, key: 'c', value: null },
]);

const v1Plain = legacyMessageSet([
  { offset: 0n, magic: 1, timestamp: 1_000n, key: 'a', value: 'apple' },
  { offset: 1n, magic: 1, timestamp: 2_500n, key: null, value: 'banana' },
]);

/** A v1 gzip wrapper as the Java client and kafka-python build it: relative inner offsets, wrapper at the last one. */
function v1Wrapper(attributes: number, codec: number, wrapperOffset: bigint): Buffer {
  const inner = legacyMessageSet([
    { offset: 0n, magic: 1, timestamp: 10n, key: 'k0', value: 'first' },
    { offset: 1n, magic: 1, timestamp: 30n, key: null, value: 'second' },
    { offset: 2n, magic: 1, timestamp: 20n, key: 'k2', value: 'third' },
  ]);
  return legacyMessage({ offset: wrapperOffset, magic: 1, attributes, timestamp: 5_000n, key: null, value: compress(codec, inner) });
}

describe('decodeLegacyMessageSet', () => {
  it('reads the smallest v0 message laid out byte by byte', () => {
    assert.deepEqual(decodeLegacyMessageSet(tinyV0Message), {
      magic: 0,
      codec: CompressionCodec.none,
      records: [{ offset: 0n, timestamp: -1n, key: null, value: Buffer.from('hi') }],
    });
  });

  it('reads an uncompressed v0 set: no timestamps, null keys and values', () => {
    const set = decodeLegacyMessageSet(v0Plain);
    assert.equal(set.magic, 0);
    assert.equal(set.codec, CompressionCodec.none);
    assert.deepEqual(set.records, [
      { offset: 0n, timestamp: -1n, key: Buffer.from('a'), value: Buffer.from('apple') },
      { offset: 1n, timestamp: -1n, key: null, value: Buffer.from('banana') },
      { offset: 2n, timestamp: -1n, key: Buffer.from('c'), value: null },
    ]);
  });

  it('reads an uncompressed v1 set with its timestamps', () => {
    const set = decodeLegacyMessageSet(v1Plain);
    assert.equal(set.magic, 1);
    assert.deepEqual(
      set.records.map((r) => [r.offset, r.timestamp]),
      [
        [0n, 1_000n],
        [1n, 2_500n],
      ],
    );
  });

  it('unwraps a v1 gzip wrapper: relative inner offsets become absolute, inner timestamps kept', () => {
    const set = decodeLegacyMessageSet(v1Wrapper(CompressionCodec.gzip, CompressionCodec.gzip, 102n));
    assert.equal(set.codec, CompressionCodec.gzip);
    assert.deepEqual(set.records, [
      { offset: 100n, timestamp: 10n, key: Buffer.from('k0'), value: Buffer.from('first') },
      { offset: 101n, timestamp: 30n, key: null, value: Buffer.from('second') },
      { offset: 102n, timestamp: 20n, key: Buffer.from('k2'), value: Buffer.from('third') },
    ]);
  });

  it('gives inner messages the wrapper timestamp under LogAppendTime', () => {
    const set = decodeLegacyMessageSet(v1Wrapper(CompressionCodec.gzip | 0x08, CompressionCodec.gzip, 2n));
    assert.deepEqual(
      set.records.map((r) => r.timestamp),
      [5_000n, 5_000n, 5_000n],
    );
  });

  it('unwraps the codecs kafka-python sends: xerial snappy and lz4', () => {
    const inner = legacyMessageSet([{ offset: 0n, magic: 1, timestamp: 1n, key: null, value: 'snappy inside' }]);
    const raw = compress(CompressionCodec.snappy, inner);
    const length = Buffer.alloc(4);
    length.writeInt32BE(raw.length);
    const xerial = Buffer.concat([Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]), length, raw]);
    const snappySet = legacyMessage({ offset: 0n, magic: 1, attributes: 2, timestamp: 1n, key: null, value: xerial });
    assert.deepEqual(decodeLegacyMessageSet(snappySet).records[0].value, Buffer.from('snappy inside'));

    const lz4Set = v1Wrapper(CompressionCodec.lz4, CompressionCodec.lz4, 2n);
    assert.deepEqual(
      decodeLegacyMessageSet(lz4Set).records.map((r) => r.value?.toString()),
      ['first', 'second', 'third'],
    );
  });

  it('unwraps a v0 gzip wrapper, whose inner offsets are absolute', () => {
    const inner = legacyMessageSet([
      { offset: 7n, magic: 0, key: null, value: 'seven' },
      { offset: 8n, magic: 0, key: 'k', value: 'eight' },
    ]);
    const set = decodeLegacyMessageSet(
      legacyMessage({ offset: 8n, magic: 0, attributes: CompressionCodec.gzip, key: null, value: gzipSync(inner) }),
    );
    assert.equal(set.magic, 0);
    assert.deepEqual(set.records, [
      { offset: 7n, timestamp: -1n, key: null, value: Buffer.from('seven') },
      { offset: 8n, timestamp: -1n, key: Buffer.from('k'), value: Buffer.from('eight') },
    ]);
  });

  it("reads kafkajs's Produce v2 data: a v1 gzip wrapper around its own message set", async () => {
    const entries = [
      { key: Buffer.from('key-1'), value: Buffer.from('value-1'), timestamp: 1_700_000_000_000 },
      { key: null, value: Buffer.from('value-2'), timestamp: 1_700_000_000_001 },
    ];
    const inner = kafkajsMessageSet({ messageVersion: 1, compression: CompressionCodec.gzip, entries });
    const wrapper = kafkajsMessageSet({
      messageVersion: 1,
      entries: [{ compression: CompressionCodec.gzip, timestamp: 1_700_000_000_000, value: gzipSync(inner.buffer) }],
    });
    const set = decodeLegacyMessageSet(wrapper.buffer);
    assert.equal(set.magic, 1);
    assert.equal(set.codec, CompressionCodec.gzip);
    assert.deepEqual(
      set.records.map(({ timestamp, key, value }) => ({ timestamp, key, value })),
      [
        { timestamp: 1_700_000_000_000n, key: Buffer.from('key-1'), value: Buffer.from('value-1') },
        { timestamp: 1_700_000_000_001n, key: null, value: Buffer.from('value-2') },
      ],
    );
  });

  describe('refuses', () => {
    it('a CRC mismatch', () => {
      const set = Buffer.from(v0Plain);
      set[set.length - 1] ^= 1;
      assert.throws(() => decodeLegacyMessageSet(set), /CRC mismatch/);
    });

    it('a cut last message, and an empty set', () => {
      assert.throws(() => decodeLegacyMessageSet(v0Plain.subarray(0, v0Plain.length - 3)), /cut message/);
      assert.throws(() => decodeLegacyMessageSet(Buffer.alloc(0)), /no messages/);
    });

    it('mixed magics, and magic 2', () => {
      assert.throws(() => decodeLegacyMessageSet(Buffer.concat([v0Plain, v1Plain])), /mixes magic 0 and 1/);
      const magic2 = legacyMessage({ offset: 0n, magic: 1, key: null, value: 'x' });
      magic2[16] = 2;
      assert.throws(() => decodeLegacyMessageSet(magic2), ProtocolError);
    });

    it('nested compression and inner messages of another magic', () => {
      const nested = legacyMessage({
        offset: 0n,
        magic: 1,
        attributes: CompressionCodec.gzip,
        timestamp: 0n,
        key: null,
        value: gzipSync(v1Wrapper(CompressionCodec.gzip, CompressionCodec.gzip, 2n)),
      });
      assert.throws(() => decodeLegacyMessageSet(nested), /nested/);
      const mixed = legacyMessage({ offset: 0n, magic: 1, attributes: 1, timestamp: 0n, key: null, value: gzipSync(v0Plain) });
      assert.throws(() => decodeLegacyMessageSet(mixed), /magic differs/);
    });

    it('a wrapper without a value, or with corrupt or oversized contents', () => {
      const empty = legacyMessage({ offset: 0n, magic: 1, attributes: 1, timestamp: 0n, key: null, value: null });
      assert.throws(() => decodeLegacyMessageSet(empty), /no value/);
      const corrupt = legacyMessage({ offset: 0n, magic: 1, attributes: 1, timestamp: 0n, key: null, value: 'not gzip' });
      assert.throws(() => decodeLegacyMessageSet(corrupt), ProtocolError);
      const bomb = legacyMessage({
        offset: 0n,
        magic: 0,
        attributes: 1,
        key: null,
        value: gzipSync(legacyMessageSet([{ offset: 0n, magic: 0, key: null, value: Buffer.alloc(100_000) }])),
      });
      assert.throws(() => decodeLegacyMessageSet(Buffer.concat([bomb, bomb]), 150_000), /exceeds the limit/);
      assert.equal(decodeLegacyMessageSet(Buffer.concat([bomb, bomb]), 250_000).records.length, 2);
    });
  });
});

describe('legacyToRecordBatch', () => {
  it('turns a v1 gzip set into one valid v2 gzip batch with the same records', () => {
    const batch = legacyToRecordBatch(decodeLegacyMessageSet(v1Wrapper(CompressionCodec.gzip, CompressionCodec.gzip, 102n)));
    assert.equal(batchProblem(batch), null);
    const decoded = decodeRecordBatch(batch);
    assert.equal(decoded.codec, CompressionCodec.gzip);
    assert.equal(decoded.baseOffset, 0n);
    assert.equal(decoded.lastOffsetDelta, 2);
    assert.equal(decoded.baseTimestamp, 10n);
    assert.equal(decoded.maxTimestamp, 30n);
    assert.equal(decoded.producerId, -1n);
    assert.deepEqual(
      decoded.records.map(({ offsetDelta, timestampDelta, key, value }) => ({ offsetDelta, timestampDelta, key, value })),
      [
        { offsetDelta: 0, timestampDelta: 0n, key: Buffer.from('k0'), value: Buffer.from('first') },
        { offsetDelta: 1, timestampDelta: 20n, key: null, value: Buffer.from('second') },
        { offsetDelta: 2, timestampDelta: 10n, key: Buffer.from('k2'), value: Buffer.from('third') },
      ],
    );
  });

  it('turns a v0 set into a batch without timestamps (-1)', () => {
    const decoded = decodeRecordBatch(legacyToRecordBatch(decodeLegacyMessageSet(v0Plain)));
    assert.equal(decoded.codec, CompressionCodec.none);
    assert.equal(decoded.baseTimestamp, -1n);
    assert.equal(decoded.maxTimestamp, -1n);
    assert.deepEqual(
      decoded.records.map((r) => [r.timestampDelta, r.key?.toString() ?? null, r.value?.toString() ?? null]),
      [
        [0n, 'a', 'apple'],
        [0n, null, 'banana'],
        [0n, 'c', null],
      ],
    );
  });
});
