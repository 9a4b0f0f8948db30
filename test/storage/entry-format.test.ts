import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Unpackr } from 'msgpackr';
import {
  batchShapeProblem,
  entryHeaderBytes,
  entryHeaderProblem,
  entryProblem,
  readEntryHeader,
  writeEntryHeader,
} from '../../src/storage/entry-format.ts';
import { patchBatchOffsets } from '../../src/protocol/records/batch-header.ts';
import { makeBatch } from './helpers.ts';

function entryFor(batch: Buffer): Buffer {
  const entry = Buffer.alloc(entryHeaderBytes + batch.length);
  writeEntryHeader(entry, 0, batch);
  batch.copy(entry, entryHeaderBytes);
  return entry;
}

test('an entry is one msgpack array whose last element is the batch bytes', () => {
  const batch = makeBatch({ values: ['a', 'b', 'c'], timestamp: 1234, leaderEpoch: 7 });
  patchBatchOffsets(batch, 5_000_000_000n, 7);
  const entry = entryFor(batch);
  const decoded = new Unpackr({ useRecords: false, int64AsType: 'number' }).unpack(entry) as unknown[];
  assert.equal(decoded.length, 11);
  assert.equal(decoded[0], 1);
  assert.deepEqual(decoded.slice(2, 10), [5_000_000_000, 5_000_000_002, 1234, 7, -1, -1, -1, 3]);
  assert.deepEqual(Buffer.from(decoded[10] as Uint8Array), batch);
});

test('the fixed-position reader agrees with the header written', () => {
  const batch = makeBatch({ values: ['a', 'b'], timestamp: 99, timestampStep: 10 });
  patchBatchOffsets(batch, 42n, 3);
  const entry = entryFor(batch);
  assert.equal(entryHeaderProblem(entry, 0), null);
  const header = readEntryHeader(entry, 0);
  assert.deepEqual(header, { baseOffset: 42, lastOffset: 43, maxTimestamp: 109, leaderEpoch: 3, recordCount: 2, batchBytes: batch.length, entryBytes: entry.length });
  assert.equal(entryProblem(entry, 0, header), null);
});

test('every flipped byte of an entry is detected', () => {
  const batch = makeBatch({ values: ['hello', 'world'] });
  const entry = entryFor(batch);
  for (let i = 0; i < entry.length; i++) {
    const bad = Buffer.from(entry);
    bad[i] ^= 0x40;
    const structural = entryHeaderProblem(bad, 0);
    if (structural) continue;
    const header = readEntryHeader(bad, 0);
    if (header.entryBytes !== entry.length) continue; // the length changed: a scan would see a torn entry
    assert.notEqual(entryProblem(bad, 0, header), null, `flip at byte ${i} went unnoticed`);
  }
});

test('a torn entry and zero bytes are rejected', () => {
  const entry = entryFor(makeBatch());
  assert.match(entryHeaderProblem(entry.subarray(0, 40), 0)!, /only 40 bytes/);
  assert.match(entryHeaderProblem(Buffer.alloc(100), 0)!, /byte 0/);
  const header = readEntryHeader(entry, 0);
  assert.match(entryProblem(entry.subarray(0, entry.length - 1), 0, header)!, /needs/);
});

test('batch shape checks catch what the broker must not store', () => {
  const batch = makeBatch();
  assert.equal(batchShapeProblem(batch), null);
  assert.match(batchShapeProblem(batch.subarray(0, 30))!, /shorter/);
  assert.match(batchShapeProblem(Buffer.concat([batch, Buffer.alloc(1)]))!, /batchLength/);
  const magic1 = Buffer.from(batch);
  magic1[16] = 1;
  assert.match(batchShapeProblem(magic1)!, /magic/);
});
