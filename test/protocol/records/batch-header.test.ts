import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  batchCrcValid,
  batchProblem,
  offsets,
  patchBatchOffsets,
  readBatchHeader,
  updateBatchCrc,
  writeBatchHeader,
} from '../../../src/protocol/records/batch-header.ts';
import { specBatchBytes, specBatchHeader } from '../../fixtures/record-batch-v2.ts';

const copy = (): Buffer => Buffer.from(specBatchBytes);

describe('batch header', () => {
  it('reads every field of the hand-built batch', () => {
    assert.deepEqual(readBatchHeader(specBatchBytes), specBatchHeader);
  });

  it('writeBatchHeader lays out the same bytes readBatchHeader reads', () => {
    const batch = Buffer.alloc(specBatchBytes.length);
    specBatchBytes.copy(batch, 61, 61);
    writeBatchHeader(batch, readBatchHeader(specBatchBytes));
    updateBatchCrc(batch);
    assert.deepEqual(batch, specBatchBytes);
  });

  it('patching baseOffset and partitionLeaderEpoch leaves the CRC valid', () => {
    const batch = copy();
    patchBatchOffsets(batch, 123456789n, 17);
    assert.equal(readBatchHeader(batch).baseOffset, 123456789n);
    assert.equal(readBatchHeader(batch).partitionLeaderEpoch, 17);
    assert.ok(batchCrcValid(batch));
  });
});

describe('batchProblem', () => {
  it('accepts a valid batch', () => {
    assert.equal(batchProblem(specBatchBytes), null);
  });

  it('rejects a wrong magic', () => {
    const batch = copy();
    batch[offsets.magic] = 1;
    assert.match(batchProblem(batch) ?? '', /magic 1/);
  });

  it('rejects a batchLength that disagrees with the bytes', () => {
    assert.match(batchProblem(specBatchBytes.subarray(0, specBatchBytes.length - 1)) ?? '', /batchLength/);
    const batch = copy();
    batch.writeInt32BE(specBatchHeader.batchLength + 1, offsets.batchLength);
    assert.match(batchProblem(batch) ?? '', /batchLength/);
    assert.match(batchProblem(specBatchBytes.subarray(0, 40)) ?? '', /shorter than its header/);
  });

  it('rejects a lastOffsetDelta that does not match recordCount, even with a fresh CRC', () => {
    const batch = copy();
    batch.writeInt32BE(5, offsets.lastOffsetDelta);
    updateBatchCrc(batch);
    assert.match(batchProblem(batch) ?? '', /lastOffsetDelta 5/);
  });

  it('rejects a lying recordCount (with a fresh CRC) through the lastOffsetDelta check', () => {
    const batch = copy();
    batch.writeInt32BE(3, offsets.recordCount);
    updateBatchCrc(batch);
    assert.match(batchProblem(batch) ?? '', /recordCount 3/);
    batch.writeInt32BE(-1, offsets.recordCount);
    updateBatchCrc(batch);
    assert.match(batchProblem(batch) ?? '', /negative record count/);
  });

  it('rejects an unknown compression codec', () => {
    const batch = copy();
    batch.writeInt16BE(6, offsets.attributes);
    updateBatchCrc(batch);
    assert.match(batchProblem(batch) ?? '', /codec 6/);
  });

  it('rejects a bad CRC, in the header or in the records', () => {
    const header = copy();
    header[offsets.maxTimestamp + 7] ^= 1;
    assert.equal(batchProblem(header), 'CRC mismatch');
    const record = copy();
    record[record.length - 1] ^= 1;
    assert.equal(batchProblem(record), 'CRC mismatch');
    const crc = copy();
    crc[offsets.crc] ^= 1;
    assert.equal(batchProblem(crc), 'CRC mismatch');
  });
});
