import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionCodec, decompress, DecompressedTooLarge } from '../../../src/protocol/compression.ts';
import { ProtocolError } from '../../../src/protocol/primitives.ts';
import { batchCrcValid, batchHeaderBytes, batchProblem, offsets, readBatchHeader, updateBatchCrc } from '../../../src/protocol/records/batch-header.ts';
import { decodeRecordBatch, encodeRecordBatch, type RecordBatchInput } from '../../../src/protocol/records/record-batch.ts';
import { recompressBatch, RecompressedTooLarge } from '../../../src/protocol/records/recompress.ts';

const codecs = Object.entries(CompressionCodec);
const roomy = { maxDecompressedBytes: 1 << 20, maxBatchBytes: 1 << 20 };

/** A transactional batch of an idempotent producer with every record field in use, as a producer sends it. */
const input: RecordBatchInput = {
  baseOffset: 0n,
  partitionLeaderEpoch: -1,
  baseTimestamp: 1_700_000_000_000n,
  maxTimestamp: 1_700_000_000_900n,
  producerId: 4242n,
  producerEpoch: 7,
  baseSequence: 123,
  transactional: true,
  records: [
    { offsetDelta: 0, key: Buffer.from('k0'), value: Buffer.from('v0'), headers: [{ key: 'trace', value: Buffer.from('t-0') }, { key: 'empty', value: null }] },
    { offsetDelta: 1, key: null, value: Buffer.alloc(5000, 'x'), timestampDelta: 900n },
    { offsetDelta: 2, key: Buffer.from('tombstone'), value: null, timestampDelta: -5n },
  ],
};

/** Everything in a batch that recompression must keep: all but the codec, batchLength and the CRC. */
function kept(batch: Buffer) {
  const { codec, batchLength, crc, attributes, ...rest } = decodeRecordBatch(batch);
  return { ...rest, attributesBesideCodec: attributes & ~0x07 };
}

describe('recompressBatch', () => {
  for (const [fromName, from] of codecs) {
    for (const [toName, to] of codecs) {
      if (from === to) continue;
      it(`${fromName} -> ${toName}: keeps every record and header field, new codec and a valid CRC`, async () => {
        const original = encodeRecordBatch(input, from);
        const out = await recompressBatch(original, to, roomy);
        assert.equal(batchProblem(out), null);
        assert.ok(batchCrcValid(out));
        assert.equal(decodeRecordBatch(out).codec, to);
        assert.deepEqual(kept(out), kept(original));
        const body = (batch: Buffer) => decompress(decodeRecordBatch(batch).codec, batch.subarray(batchHeaderBytes));
        assert.deepEqual(body(out), body(original), 'the records section is the same bytes');
      });
    }
  }

  it('keeps the control and LogAppendTime bits', async () => {
    const marker = encodeRecordBatch({ ...input, control: true, timestampType: 'LogAppendTime', records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], lastOffsetDelta: 0 }, CompressionCodec.gzip);
    const out = decodeRecordBatch(await recompressBatch(marker, CompressionCodec.none, roomy));
    assert.equal(out.control, true);
    assert.equal(out.transactional, true);
    assert.equal(out.timestampType, 'LogAppendTime');
  });

  it('applies the level', async () => {
    const text = encodeRecordBatch({ baseTimestamp: 0n, records: Array.from({ length: 200 }, (_, i) => ({ value: Buffer.from(`record ${i} ${'abcdefghij'.repeat(i % 17)} ${i * 7919}`) })) });
    const fast = await recompressBatch(text, CompressionCodec.gzip, { ...roomy, level: 1 });
    const best = await recompressBatch(text, CompressionCodec.gzip, { ...roomy, level: 9 });
    assert.ok(fast.length > best.length, `level 1: ${fast.length} bytes, level 9: ${best.length}`);
  });

  it('stops with RecompressedTooLarge once the new batch passes maxBatchBytes', async () => {
    const zeros = encodeRecordBatch({ baseTimestamp: 0n, records: [{ value: Buffer.alloc(500_000) }] }, CompressionCodec.zstd);
    assert.ok(zeros.length < 1000);
    await assert.rejects(recompressBatch(zeros, CompressionCodec.none, { maxDecompressedBytes: 1 << 20, maxBatchBytes: 100_000 }), RecompressedTooLarge);
    const fits = await recompressBatch(zeros, CompressionCodec.gzip, { maxDecompressedBytes: 1 << 20, maxBatchBytes: 100_000 });
    assert.equal(readBatchHeader(fits).batchLength + 12, fits.length);
  });

  it('reads the records within maxDecompressedBytes, in pieces', async () => {
    const zeros = encodeRecordBatch({ baseTimestamp: 0n, records: [{ value: Buffer.alloc(500_000) }] }, CompressionCodec.gzip);
    await assert.rejects(recompressBatch(zeros, CompressionCodec.zstd, { maxDecompressedBytes: 100_000, maxBatchBytes: 1 << 20 }), DecompressedTooLarge);
    const broken = Buffer.from(zeros);
    broken[broken.length - 20] ^= 0xff; // inside the gzip member: its CRC no longer matches
    updateBatchCrc(broken);
    await assert.rejects(recompressBatch(broken, CompressionCodec.zstd, roomy), ProtocolError);
  });

  it('leaves the input batch as it was', async () => {
    const original = encodeRecordBatch(input, CompressionCodec.snappy);
    const copy = Buffer.from(original);
    await recompressBatch(original, CompressionCodec.lz4, roomy);
    assert.deepEqual(original, copy);
    assert.equal(original.readInt16BE(offsets.attributes) & 0x07, CompressionCodec.snappy);
  });
});
