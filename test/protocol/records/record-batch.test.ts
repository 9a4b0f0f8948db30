import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { CompressionCodec } from '../../../src/protocol/compression.ts';
import { ProtocolError, Writer } from '../../../src/protocol/primitives.ts';
import {
  batchCrcValid,
  batchHeaderBytes,
  offsets,
  updateBatchCrc,
} from '../../../src/protocol/records/batch-header.ts';
import {
  decodeRecordBatch,
  encodeRecordBatch,
  type RecordBatchInput,
} from '../../../src/protocol/records/record-batch.ts';
import { specBatchBytes, specBatchValues } from '../../fixtures/record-batch-v2.ts';

const require = createRequire(import.meta.url);
const kafkajs = {
  RecordBatch: require('kafkajs/src/protocol/recordBatch/v0').RecordBatch,
  Record: require('kafkajs/src/protocol/recordBatch/record/v0'),
  decodeRecordBatch: require('kafkajs/src/protocol/recordBatch/v0/decoder'),
  Decoder: require('kafkajs/src/protocol/decoder'),
  Long: require('kafkajs/src/utils/long'),
};

const sampleInput: RecordBatchInput = {
  baseOffset: 1000n,
  partitionLeaderEpoch: 4,
  baseTimestamp: 1_700_000_000_000n,
  producerId: 77n,
  producerEpoch: 2,
  baseSequence: 40,
  records: [
    { key: Buffer.from('k0'), value: Buffer.from('v0'), headers: [{ key: 'trace', value: Buffer.from('t-0') }] },
    { key: null, value: Buffer.from('value without key'), timestampDelta: 15n },
    { key: Buffer.from('tombstone'), value: null, timestampDelta: -3n },
    {
      key: Buffer.alloc(0),
      value: Buffer.alloc(300, 'x'),
      timestampDelta: 9n,
      headers: [
        { key: 'null-value', value: null },
        { key: 'ünïcödé', value: Buffer.alloc(0) },
        { key: 'trace', value: Buffer.from('second value for the same key') },
      ],
    },
  ],
};

describe('the hand-built spec batch', () => {
  it('decodes to the values laid out byte by byte', () => {
    assert.deepEqual(decodeRecordBatch(specBatchBytes), specBatchValues);
  });

  it('re-encodes byte for byte, with a verifying CRC', () => {
    const again = encodeRecordBatch(decodeRecordBatch(specBatchBytes), CompressionCodec.none);
    assert.deepEqual(again, specBatchBytes);
    assert.ok(batchCrcValid(again));
  });

  it('encodes from plain input to the same bytes', () => {
    const { records } = specBatchValues;
    const encoded = encodeRecordBatch({
      baseOffset: 5n,
      partitionLeaderEpoch: 3,
      baseTimestamp: 1_700_000_000_000n,
      producerId: 42n,
      producerEpoch: 1,
      baseSequence: 7,
      records: [
        { key: records[0].key, value: records[0].value, headers: records[0].headers },
        { value: records[1].value, timestampDelta: 5n, headers: records[1].headers },
      ],
    });
    assert.deepEqual(encoded, specBatchBytes);
  });
});

describe('encode/decode round trips', () => {
  for (const [name, codec] of Object.entries(CompressionCodec)) {
    it(`${name}: every field survives, and re-encoding is byte-identical`, () => {
      const encoded = encodeRecordBatch(sampleInput, codec);
      assert.ok(batchCrcValid(encoded));
      const decoded = decodeRecordBatch(encoded);
      assert.equal(decoded.codec, codec);
      assert.equal(decoded.attributes, codec);
      assert.equal(decoded.baseOffset, 1000n);
      assert.equal(decoded.partitionLeaderEpoch, 4);
      assert.equal(decoded.producerId, 77n);
      assert.equal(decoded.producerEpoch, 2);
      assert.equal(decoded.baseSequence, 40);
      assert.equal(decoded.recordCount, 4);
      assert.equal(decoded.lastOffsetDelta, 3);
      assert.equal(decoded.baseTimestamp, 1_700_000_000_000n);
      assert.equal(decoded.maxTimestamp, 1_700_000_000_015n);
      assert.equal(decoded.timestampType, 'CreateTime');
      assert.equal(decoded.transactional, false);
      assert.equal(decoded.control, false);
      assert.deepEqual(
        decoded.records,
        sampleInput.records.map((record, index) => ({
          attributes: 0,
          offsetDelta: index,
          timestampDelta: record.timestampDelta ?? 0n,
          key: record.key ?? null,
          value: record.value,
          headers: record.headers ?? [],
        })),
      );
      assert.deepEqual(encodeRecordBatch(decoded, decoded.codec), encoded);
    });
  }

  it('fills in the documented defaults', () => {
    const decoded = decodeRecordBatch(
      encodeRecordBatch({ baseTimestamp: 10n, records: [{ value: Buffer.from('a') }, { value: null, timestampDelta: 4n }] }),
    );
    assert.equal(decoded.baseOffset, 0n);
    assert.equal(decoded.partitionLeaderEpoch, -1);
    assert.equal(decoded.producerId, -1n);
    assert.equal(decoded.producerEpoch, -1);
    assert.equal(decoded.baseSequence, -1);
    assert.equal(decoded.maxTimestamp, 14n);
    assert.equal(decoded.lastOffsetDelta, 1);
    assert.equal(decoded.codec, CompressionCodec.none);
    assert.deepEqual(decoded.records.map((r) => r.offsetDelta), [0, 1]);
  });

  it('sets and reads the transactional, control and LogAppendTime attribute bits', () => {
    // A commit marker: key = version 0, type 1 (commit); value = version 0, coordinator epoch 5.
    const marker = encodeRecordBatch({
      baseTimestamp: 99n,
      maxTimestamp: 120n,
      producerId: 9n,
      producerEpoch: 1,
      transactional: true,
      control: true,
      timestampType: 'LogAppendTime',
      records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 5]) }],
    });
    assert.equal(marker.readInt16BE(offsets.attributes), 0x38);
    const decoded = decodeRecordBatch(marker);
    assert.equal(decoded.transactional, true);
    assert.equal(decoded.control, true);
    assert.equal(decoded.timestampType, 'LogAppendTime');
    assert.equal(decoded.maxTimestamp, 120n);
    assert.deepEqual(decoded.records[0].key, Buffer.from([0, 0, 0, 1]));
    assert.deepEqual(encodeRecordBatch(decoded, decoded.codec), marker);

    const transactionalOnly = decodeRecordBatch(encodeRecordBatch({ ...sampleInput, transactional: true }, CompressionCodec.zstd));
    assert.equal(transactionalOnly.attributes, 0x14);
    assert.equal(transactionalOnly.control, false);
  });

  it('encodes a batch without records', () => {
    const decoded = decodeRecordBatch(encodeRecordBatch({ baseTimestamp: 5n, lastOffsetDelta: 9, records: [] }));
    assert.equal(decoded.recordCount, 0);
    assert.equal(decoded.lastOffsetDelta, 9);
    assert.deepEqual(decoded.records, []);
  });
});

describe('a real client: kafkajs', () => {
  async function kafkajsBatch(compression: number): Promise<Buffer> {
    const { RecordBatch, Record, Long } = kafkajs;
    const encoder = await RecordBatch({
      compression,
      firstOffset: Long.fromValue(0),
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_042,
      partitionLeaderEpoch: 0,
      lastOffsetDelta: 2,
      transactional: true,
      producerId: Long.fromValue(1234),
      producerEpoch: 3,
      firstSequence: 10,
      records: [
        Record({
          offsetDelta: 0,
          timestampDelta: 0,
          key: Buffer.from('key-0'),
          value: Buffer.from('value-0'),
          headers: { trace: Buffer.from('abc'), multi: [Buffer.from('1'), Buffer.from('2')] },
        }),
        Record({ offsetDelta: 1, timestampDelta: 42, key: null, value: Buffer.from('value-1') }),
        Record({ offsetDelta: 2, timestampDelta: 7, key: Buffer.from('key-2'), value: null }),
      ],
    });
    return encoder.buffer;
  }

  it('decodes its gzip batch with headers, field by field; re-encodes byte for byte', async () => {
    const theirs = await kafkajsBatch(CompressionCodec.gzip);
    assert.ok(batchCrcValid(theirs));
    const decoded = decodeRecordBatch(theirs);
    assert.equal(decoded.baseOffset, 0n);
    assert.equal(decoded.batchLength, theirs.length - 12);
    assert.equal(decoded.partitionLeaderEpoch, 0);
    assert.equal(decoded.magic, 2);
    assert.equal(decoded.crc, theirs.readUInt32BE(offsets.crc));
    assert.equal(decoded.codec, CompressionCodec.gzip);
    assert.equal(decoded.transactional, true);
    assert.equal(decoded.control, false);
    assert.equal(decoded.timestampType, 'CreateTime');
    assert.equal(decoded.lastOffsetDelta, 2);
    assert.equal(decoded.baseTimestamp, 1_700_000_000_000n);
    assert.equal(decoded.maxTimestamp, 1_700_000_000_042n);
    assert.equal(decoded.producerId, 1234n);
    assert.equal(decoded.producerEpoch, 3);
    assert.equal(decoded.baseSequence, 10);
    assert.equal(decoded.recordCount, 3);
    assert.deepEqual(decoded.records, [
      {
        attributes: 0,
        timestampDelta: 0n,
        offsetDelta: 0,
        key: Buffer.from('key-0'),
        value: Buffer.from('value-0'),
        headers: [
          { key: 'trace', value: Buffer.from('abc') },
          { key: 'multi', value: Buffer.from('1') },
          { key: 'multi', value: Buffer.from('2') },
        ],
      },
      { attributes: 0, timestampDelta: 42n, offsetDelta: 1, key: null, value: Buffer.from('value-1'), headers: [] },
      { attributes: 0, timestampDelta: 7n, offsetDelta: 2, key: Buffer.from('key-2'), value: null, headers: [] },
    ]);
    const ours = encodeRecordBatch(decoded, decoded.codec);
    assert.deepEqual(ours, theirs);
    assert.ok(batchCrcValid(ours));
  });

  it('decodes its uncompressed batch and re-encodes it byte for byte', async () => {
    const theirs = await kafkajsBatch(CompressionCodec.none);
    const decoded = decodeRecordBatch(theirs);
    assert.equal(decoded.records.length, 3);
    assert.deepEqual(encodeRecordBatch(decoded, decoded.codec), theirs);
  });

  it("reads our gzip batch back with kafkajs's decoder", async () => {
    const decoded = await kafkajs.decodeRecordBatch(new kafkajs.Decoder(encodeRecordBatch(sampleInput, CompressionCodec.gzip)));
    assert.equal(decoded.firstOffset, '1000');
    assert.equal(decoded.producerId, '77');
    assert.equal(decoded.records.length, 4);
    assert.deepEqual(decoded.records[0].key, Buffer.from('k0'));
    assert.deepEqual(decoded.records[0].headers, { trace: Buffer.from('t-0') });
    assert.equal(decoded.records[1].timestamp, '1700000000015');
    assert.equal(decoded.records[2].value, null);
    assert.equal(decoded.records[3].offset, '1003');
  });

  it("writes varint boundaries and int64-wide timestamp deltas that kafkajs's decoder reads back", async () => {
    const lengths = [0, 63, 64, 8191, 8192, 20_000, 1_048_576];
    const deltas = [0n, -1n, 63n, -64n, 2n ** 51n - 1n, 2n ** 51n, -(2n ** 51n), 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 62n, -(2n ** 62n)];
    const base = 1_700_000_000_000n;
    const records = [
      ...lengths.map((n, i) => ({ key: Buffer.alloc(n % 100, i), value: Buffer.alloc(n, i), timestampDelta: 0n })),
      ...deltas.map((timestampDelta) => ({ value: Buffer.from(String(timestampDelta)), timestampDelta })),
    ];
    const encoded = encodeRecordBatch({ baseTimestamp: base, records, maxTimestamp: base });
    assert.ok(batchCrcValid(encoded));
    const theirs = await kafkajs.decodeRecordBatch(new kafkajs.Decoder(encoded));
    assert.deepEqual(
      theirs.records.map((r: { value: Buffer }) => r.value.length),
      records.map((r) => r.value.length),
    );
    assert.deepEqual(
      theirs.records.slice(lengths.length).map((r: { timestamp: string }) => BigInt(r.timestamp) - base),
      deltas,
    );
    assert.deepEqual(decodeRecordBatch(encoded).records.map((r) => r.timestampDelta), records.map((r) => r.timestampDelta));
  });
});

describe('a real client: librdkafka 2.0.2 (kcat), captured', () => {
  const padding = 'abcdefghij'.repeat(25);

  for (const [name, codec] of Object.entries(CompressionCodec)) {
    if (codec === CompressionCodec.none) continue;
    it(`decodes its ${name} batch`, () => {
      const theirs = readFileSync(new URL(`../../fixtures/librdkafka/${name}.batch`, import.meta.url));
      assert.ok(batchCrcValid(theirs));
      const decoded = decodeRecordBatch(theirs);
      assert.equal(decoded.codec, codec);
      assert.equal(decoded.recordCount, 300);
      assert.equal(decoded.lastOffsetDelta, 299);
      assert.equal(decoded.producerId, -1n);
      decoded.records.forEach((record, i) => {
        assert.equal(record.offsetDelta, i);
        assert.equal(record.key?.toString(), `key-${i % 7}`);
        assert.equal(record.value?.toString(), `record ${i} ${padding}`);
        assert.deepEqual(record.headers, [
          { key: 'trace', value: Buffer.from('abc') },
          { key: 'multi', value: Buffer.from('1') },
        ]);
      });
      const again = decodeRecordBatch(encodeRecordBatch(decoded, codec));
      assert.deepEqual(again.records, decoded.records);
    });
  }
});

describe('decodeRecordBatch refuses inconsistent batches', () => {
  /** Builds a batch whose records section is `records` verbatim, with a header claiming `recordCount`. */
  function withRecords(records: Buffer, recordCount: number): Buffer {
    const template = encodeRecordBatch({ baseTimestamp: 0n, records: [] });
    const batch = Buffer.concat([template, records]);
    batch.writeInt32BE(batch.length - 12, offsets.batchLength);
    batch.writeInt32BE(recordCount, offsets.recordCount);
    updateBatchCrc(batch);
    return batch;
  }
  const twoRecords = specBatchBytes.subarray(batchHeaderBytes);

  it('a recordCount larger than the records present', () => {
    assert.throws(() => decodeRecordBatch(withRecords(twoRecords, 3)), /declares 3 records but holds 2/);
  });

  it('a recordCount smaller than the records present', () => {
    assert.throws(() => decodeRecordBatch(withRecords(twoRecords, 1)), /follow the 1 records/);
  });

  it('a recordCount that could never fit, without allocating for it', () => {
    assert.throws(() => decodeRecordBatch(withRecords(twoRecords, 2_000_000_000)), /cannot fit/);
    assert.throws(() => decodeRecordBatch(withRecords(twoRecords, -1)), /negative record count/);
  });

  it('a record whose length leaves bytes unread, or runs past the records', () => {
    const longer = Buffer.from(twoRecords);
    longer[0] = 0x1c; // record 0 claims 14 bytes: its fields end one byte early
    assert.throws(() => decodeRecordBatch(withRecords(longer, 2)), /leaves 1 bytes unread/);
    const shorter = Buffer.from(twoRecords);
    shorter[0] = 0x18; // 12 bytes: its header value no longer fits
    assert.throws(() => decodeRecordBatch(withRecords(shorter, 2)), ProtocolError);
    const past = Buffer.from([0x7e, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00]); // length 63 in a 7-byte section
    assert.throws(() => decodeRecordBatch(withRecords(past, 1)), ProtocolError);
  });

  it('a key length below -1 and a null header key', () => {
    const badKey = new Writer().varint(6).int8(0).varlong(0n).varint(0).varint(-2).varint(-1).varint(0).finish();
    assert.throws(() => decodeRecordBatch(withRecords(Buffer.from(badKey), 1)), /invalid length -2/);
    const nullHeaderKey = new Writer().varint(8).int8(0).varlong(0n).varint(0).varint(-1).varint(-1).varint(1).varint(-1).varint(-1).finish();
    assert.throws(() => decodeRecordBatch(withRecords(Buffer.from(nullHeaderKey), 1)), /null key/);
  });

  it('a batchLength that disagrees with the bytes given', () => {
    assert.throws(() => decodeRecordBatch(specBatchBytes.subarray(0, specBatchBytes.length - 1)), /batchLength 175/);
    assert.throws(() => decodeRecordBatch(Buffer.concat([specBatchBytes, Buffer.from([0])])), /batchLength 175/);
    assert.throws(() => decodeRecordBatch(specBatchBytes.subarray(0, 30)), ProtocolError);
  });

  it('a CRC mismatch', () => {
    const batch = Buffer.from(specBatchBytes);
    batch[batch.length - 5] ^= 0x20;
    assert.throws(() => decodeRecordBatch(batch), /CRC mismatch/);
  });

  it('a wrong magic', () => {
    const batch = Buffer.from(specBatchBytes);
    batch[offsets.magic] = 1;
    assert.throws(() => decodeRecordBatch(batch), /magic 1/);
  });

  it('compressed records past the decompression limit', () => {
    const big = encodeRecordBatch({ baseTimestamp: 0n, records: [{ value: Buffer.alloc(100_000) }] }, CompressionCodec.lz4);
    assert.ok(big.length < 2000);
    assert.throws(() => decodeRecordBatch(big, 50_000), /exceeds the limit of 50000 bytes/);
    assert.equal(decodeRecordBatch(big, 200_000).records[0].value?.length, 100_000);
  });

  it('corrupt compressed records', () => {
    const batch = encodeRecordBatch(sampleInput, CompressionCodec.snappy);
    batch[batchHeaderBytes] ^= 0x7f; // the snappy length preamble
    updateBatchCrc(batch);
    assert.throws(() => decodeRecordBatch(batch), ProtocolError);
  });
});
