import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionCodec, DecompressedTooLarge } from '../../../src/protocol/compression.ts';
import { ProtocolError } from '../../../src/protocol/primitives.ts';
import { batchHeaderBytes, offsets, updateBatchCrc } from '../../../src/protocol/records/batch-header.ts';
import { encodeRecordBatch, type RecordInput } from '../../../src/protocol/records/record-batch.ts';
import { recordFramingProblem, walkRecords } from '../../../src/protocol/records/record-walk.ts';
import { emptyRecordsBatch } from '../../helpers/record-bomb.ts';

const codecs = Object.entries(CompressionCodec);
const noLimit = { maxDecompressedBytes: 64 * 1024 * 1024 };

/** Records of varied sizes, one far larger than a decompressed piece, with distinct deltas. */
function variedRecords(count: number): RecordInput[] {
  return Array.from({ length: count }, (_, i) => ({
    offsetDelta: i,
    timestampDelta: BigInt(i * 1_000_003 - 5),
    key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
    value: i === 7 ? Buffer.alloc(300 * 1024, 1) : Buffer.from('v'.repeat(i % 40)),
    headers: i % 5 === 0 ? [{ key: 'h', value: Buffer.from(String(i)) }] : [],
  }));
}

function withCount(batch: Buffer, count: number): Buffer {
  const copy = Buffer.from(batch);
  copy.writeInt32BE(count, offsets.recordCount);
  copy.writeInt32BE(count - 1, offsets.lastOffsetDelta);
  updateBatchCrc(copy);
  return copy;
}

describe('walkRecords', () => {
  for (const [name, codec] of codecs) {
    it(`${name}: sees every record's deltas in order, across decompressed pieces`, async () => {
      const records = variedRecords(20_000);
      const seen: [number, bigint][] = [];
      await walkRecords(encodeRecordBatch({ baseTimestamp: 0n, records }, codec), { ...noLimit, visit: (o, t) => (seen.push([o, t]), false) });
      assert.equal(seen.length, records.length);
      assert.deepEqual(seen.slice(0, 3), [[0, -5n], [1, 999_998n], [2, 2_000_001n]]);
      assert.ok(seen.every(([o, t], i) => o === i && t === BigInt(i * 1_000_003 - 5)), 'every delta as written');
    });

    it(`${name}: a record count that lies either way is refused`, async () => {
      const batch = encodeRecordBatch({ baseTimestamp: 0n, records: variedRecords(50) }, codec);
      await assert.rejects(walkRecords(withCount(batch, 51), noLimit), /declares 51 records but holds 50/);
      await assert.rejects(walkRecords(withCount(batch, 49), noLimit), /bytes follow the 49 records/);
    });
  }

  it('stops at the visitor: records after it are not read', async () => {
    const batch = withCount(encodeRecordBatch({ baseTimestamp: 0n, records: variedRecords(100) }, CompressionCodec.zstd), 20); // the rest would be refused
    let visits = 0;
    await walkRecords(batch, { ...noLimit, visit: (offsetDelta) => (visits++, offsetDelta === 9) });
    assert.equal(visits, 10);
  });

  for (const [name, codec] of [['gzip', CompressionCodec.gzip], ['zstd', CompressionCodec.zstd]] as const) {
    it(`${name}: a bomb declaring few records is refused at the first record past them, before decompressing the rest`, async () => {
      // 1.5 M empty records: 10.5 MB decompressed, past the 4 MB limit; refused for the 11th record long before that.
      const bomb = emptyRecordsBatch({ count: 1_500_000, declared: 10, codec });
      assert.ok(bomb.length < 20_000, `the bomb is small (${bomb.length} bytes)`);
      await assert.rejects(walkRecords(bomb, { maxDecompressedBytes: 4_000_000 }), (err: Error) => err instanceof ProtocolError && !(err instanceof DecompressedTooLarge) && /bytes follow the 10 records/.test(err.message));
    });

    it(`${name}: records decompressing past the limit are refused as too large`, async () => {
      const bomb = emptyRecordsBatch({ count: 1_500_000, codec });
      await assert.rejects(walkRecords(bomb, { maxDecompressedBytes: 4_000_000 }), (err: Error) => err instanceof DecompressedTooLarge && /exceeds the limit of 4000000 bytes/.test(err.message));
    });
  }

  it('corrupt compressed data and a record cut short are ProtocolErrors', async () => {
    const zstd = encodeRecordBatch({ baseTimestamp: 0n, records: variedRecords(10) }, CompressionCodec.zstd);
    zstd.fill(0x55, batchHeaderBytes + 4, batchHeaderBytes + 30);
    updateBatchCrc(zstd);
    await assert.rejects(walkRecords(zstd, noLimit), /corrupt zstd data/);
    const plain = encodeRecordBatch({ baseTimestamp: 0n, records: [{ value: Buffer.from('abc') }] });
    await assert.rejects(walkRecords(plain.subarray(0, plain.length - 1), noLimit), /cut short/);
  });
});

describe('recordFramingProblem', () => {
  it('passes true record counts and names lying counts and trailing bytes', () => {
    const batch = encodeRecordBatch({ baseTimestamp: 0n, records: [{ value: Buffer.from('a') }, { value: Buffer.from('bb') }, { key: Buffer.from('k'), value: null }] });
    assert.equal(recordFramingProblem(batch), null);
    assert.match(recordFramingProblem(withCount(batch, 5))!, /declares 5 records but holds 3/);
    assert.match(recordFramingProblem(withCount(batch, 2))!, /bytes follow the 2 records/);
    const cut = Buffer.from(batch);
    cut.writeInt8(100, batchHeaderBytes); // the first record claims 50 bytes (zigzag 100)
    assert.match(recordFramingProblem(cut)!, /cut short|follow/);
    const tiny = Buffer.from(batch);
    tiny.writeInt8(4, batchHeaderBytes); // 2 bytes: shorter than any record
    assert.match(recordFramingProblem(tiny)!, /record 0 has impossible length 2/);
  });
});
