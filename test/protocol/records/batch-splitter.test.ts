import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionCodec } from '../../../src/protocol/compression.ts';
import { ProtocolError } from '../../../src/protocol/primitives.ts';
import { recordBatches } from '../../../src/protocol/records/batch-splitter.ts';
import { decodeRecordBatch, encodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { specBatchBytes } from '../../fixtures/record-batch-v2.ts';

const second = encodeRecordBatch(
  { baseOffset: 2n, baseTimestamp: 1n, records: [{ value: Buffer.from('two') }, { value: Buffer.from('three') }] },
  CompressionCodec.gzip,
);
const third = encodeRecordBatch({ baseOffset: 4n, baseTimestamp: 1n, records: [{ value: Buffer.from('four') }] });
const all = Buffer.concat([specBatchBytes, second, third]);

describe('recordBatches', () => {
  it('yields each batch of a concatenation with its byte range', () => {
    const spans = [...recordBatches(all)];
    assert.deepEqual(
      spans.map(({ start, end, complete }) => ({ start, end, complete })),
      [
        { start: 0, end: specBatchBytes.length, complete: true },
        { start: specBatchBytes.length, end: specBatchBytes.length + second.length, complete: true },
        { start: specBatchBytes.length + second.length, end: all.length, complete: true },
      ],
    );
    assert.deepEqual(spans[1].bytes, second);
    assert.deepEqual(
      spans.map((span) => decodeRecordBatch(span.bytes).baseOffset),
      [5n, 2n, 4n],
    );
  });

  it('yields nothing for an empty buffer', () => {
    assert.deepEqual([...recordBatches(Buffer.alloc(0))], []);
  });

  it('reports a batch cut inside its records as incomplete, after the whole ones', () => {
    const cutAt = all.length - 10;
    const spans = [...recordBatches(all.subarray(0, cutAt))];
    assert.deepEqual(
      spans.map(({ complete }) => complete),
      [true, true, false],
    );
    const last = spans[2];
    assert.equal(last.start, specBatchBytes.length + second.length);
    assert.equal(last.end, cutAt);
    assert.equal(last.bytes.length, third.length - 10);
  });

  it('reports a batch cut before its length field as incomplete', () => {
    const spans = [...recordBatches(all.subarray(0, specBatchBytes.length + 5))];
    assert.deepEqual(
      spans.map(({ start, end, complete }) => ({ start, end, complete })),
      [
        { start: 0, end: specBatchBytes.length, complete: true },
        { start: specBatchBytes.length, end: specBatchBytes.length + 5, complete: false },
      ],
    );
  });

  it('throws on a length no entry can have', () => {
    const broken = Buffer.from(all);
    broken.writeInt32BE(3, specBatchBytes.length + 8);
    const walk = recordBatches(broken);
    assert.equal(walk.next().value?.complete, true);
    assert.throws(() => walk.next(), (error: unknown) => error instanceof ProtocolError && /impossible length 3/.test(error.message));
    broken.writeInt32BE(-1, 8);
    assert.throws(() => [...recordBatches(broken)], ProtocolError);
  });
});
