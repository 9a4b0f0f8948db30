import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { readBatchHeader } from '../../src/protocol/records/batch-header.ts';
import { StorageError } from '../../src/storage/errors.ts';
import { nodeStorageFs, type StorageFs } from '../../src/storage/fs.ts';
import { Log } from '../../src/storage/log.ts';
import type { LogConfig } from '../../src/storage/log-config.ts';
import { emptyRecordsBatch } from '../helpers/record-bomb.ts';
import { defer, makeBatch, manualClock, recordingLogger, recordsOf, tempDir } from './helpers.ts';

async function openLog(t: Parameters<typeof tempDir>[0], config: Partial<LogConfig> = {}, clock = manualClock(Date.now())) {
  const dir = await tempDir(t);
  const logger = recordingLogger();
  const log = await Log.open(dir, config, { clock, logger });
  defer(t, () => log.close());
  return { dir, log, clock, logger };
}

const offsetsOf = (bytes: Buffer) => recordsOf(bytes).map((r) => r[0]);

test('append assigns consecutive offsets and stamps offset and epoch into the batch', async (t) => {
  const { log } = await openLog(t);
  const first = makeBatch({ values: ['a', 'b', 'c'] });
  assert.deepEqual(await log.append(first, 4), { baseOffset: 0n, lastOffset: 2n });
  assert.deepEqual(await log.append(makeBatch(), 4), { baseOffset: 3n, lastOffset: 3n });
  assert.equal(readBatchHeader(first).baseOffset, 0n);
  assert.equal(readBatchHeader(first).partitionLeaderEpoch, 4);
  assert.equal(log.logEndOffset, 4n);
  assert.deepEqual(await log.read(0n, 1_000_000), Buffer.concat([first, (await log.read(3n, 1))]));
});

test('reads return stored bytes exactly, from the batch holding the offset, bounded by maxBytes and maxOffset', async (t) => {
  const { log } = await openLog(t, { indexIntervalBytes: 200 });
  const stored: Buffer[] = [];
  for (let i = 0; i < 100; i++) {
    const batch = makeBatch({ values: [`r${i}a`, `r${i}b`] });
    await log.append(batch, 0);
    stored.push(Buffer.from(batch));
  }
  assert.deepEqual(await log.read(51n, 1), stored[25], 'one whole batch even past maxBytes');
  const some = await log.read(51n, stored[25].length * 3);
  assert.deepEqual(some, Buffer.concat(stored.slice(25, 28)));
  assert.deepEqual(await log.read(51n, stored[25].length - 1, { minOneBatch: false }), Buffer.alloc(0));
  assert.deepEqual(offsetsOf(await log.read(0n, 1_000_000, { maxOffset: 6n })), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(await log.read(200n, 100), Buffer.alloc(0), 'at the log end: nothing');
  await assert.rejects(log.read(201n, 100), (err: StorageError) => err.code === 'offsetOutOfRange');
});

test('appends issued together are written in call order, one group', async (t) => {
  const { log } = await openLog(t);
  const results = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(makeBatch({ values: [`v${i}`] }), 0)));
  assert.deepEqual(results.map((r) => r.baseOffset), Array.from({ length: 300 }, (_, i) => BigInt(i)));
  const values = recordsOf(await log.read(0n, 10_000_000)).map((r) => r[2]);
  assert.deepEqual(values, Array.from({ length: 300 }, (_, i) => `v${i}`));
});

test('appendAsFollower keeps the leader offsets and rejects batches that do not continue the log', async (t) => {
  const { log } = await openLog(t);
  await log.appendAsFollower(makeBatch({ values: ['a', 'b'], baseOffset: 0, leaderEpoch: 1 }));
  await log.appendAsFollower(makeBatch({ values: ['c'], baseOffset: 5, leaderEpoch: 2 })); // a gap, as after compaction
  assert.equal(log.logEndOffset, 6n);
  await assert.rejects(log.appendAsFollower(makeBatch({ baseOffset: 4 })), (err: StorageError) => err.code === 'outOfOrder' && /ends at 6/.test(err.message));
  assert.deepEqual(offsetsOf(await log.read(2n, 1000)), [5]);
  assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 5n });
  assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 2, endOffset: 6n });
});

test('malformed batches are refused before anything is written', async (t) => {
  const { log } = await openLog(t);
  await assert.rejects(log.append(Buffer.alloc(10), 0), (err: StorageError) => err.code === 'invalidBatch');
  const batch = makeBatch();
  await assert.rejects(log.append(batch.subarray(0, batch.length - 1), 0), /batchLength/);
  assert.equal(log.logEndOffset, 0n);
});

test('the active segment rolls by segment.bytes and by segment.ms', async (t) => {
  const { log, clock, dir } = await openLog(t, { segmentBytes: 1000, segmentMs: 60_000 });
  for (let i = 0; i < 20; i++) await log.append(makeBatch({ valueBytes: 100, timestamp: clock.wallMs() }), 0);
  assert.ok(log.segmentCount >= 4, `${log.segmentCount} segments`);
  for (const base of log.segmentBaseOffsets().slice(1)) assert.ok(base > 0n);
  const before = log.segmentCount;
  await log.roll();
  await log.append(makeBatch({ timestamp: clock.wallMs() }), 0);
  assert.equal(log.segmentCount, before + 1);
  clock.advance(61_000);
  await log.append(makeBatch({ timestamp: clock.wallMs() }), 0);
  assert.equal(log.segmentCount, before + 2, 'rolled because the first batch of the active segment is older than segment.ms');
  const files = await readdir(dir);
  assert.equal(files.filter((f) => f.endsWith('.log')).length, log.segmentCount);
});

test('clean close and reopen: same end, same bytes, marker consumed', async (t) => {
  const { dir, log } = await openLog(t, { segmentBytes: 2000 });
  for (let i = 0; i < 50; i++) await log.append(makeBatch({ values: [`x${i}`] }), 3);
  const readAll = async (from: Log) => {
    let all = Buffer.alloc(0);
    for (let offset = 0n; offset < 50n; ) {
      const chunk = await from.read(offset, 10_000_000);
      all = Buffer.concat([all, chunk]);
      offset = BigInt(offsetsOf(chunk).at(-1)! + 1);
    }
    return all;
  };
  const before = await readAll(log);
  await log.close();
  assert.ok((await readdir(dir)).includes('.clean-shutdown'));
  const logger = recordingLogger();
  const reopened = await Log.open(dir, { segmentBytes: 2000 }, { logger });
  defer(t, () => reopened.close());
  assert.ok(!(await readdir(dir)).includes('.clean-shutdown'));
  assert.equal(reopened.logEndOffset, 50n);
  assert.equal(reopened.recoveryPoint, 50n);
  assert.equal(reopened.latestEpoch, 3);
  assert.deepEqual(await readAll(reopened), before);
  assert.deepEqual(logger.lines, []);
  await reopened.append(makeBatch(), 3);
  assert.equal(reopened.logEndOffset, 51n);
});

test('truncateTo removes whole batches from the offset on, across segments', async (t) => {
  const { log } = await openLog(t, { segmentBytes: 600 });
  for (let i = 0; i < 30; i++) await log.append(makeBatch({ values: ['a', 'b'] }), i < 10 ? 1 : 2);
  const segments = log.segmentCount;
  await log.truncateTo(25n); // batch 24..25 straddles: it goes whole
  assert.equal(log.logEndOffset, 24n);
  assert.ok(log.segmentCount < segments);
  assert.deepEqual(offsetsOf(await log.read(20n, 100_000)).slice(-1), [23]);
  assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 2, endOffset: 24n });
  await log.truncateTo(16n);
  assert.equal(log.logEndOffset, 16n);
  await log.truncateTo(10n);
  assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 10n });
  assert.deepEqual(log.endOffsetForEpoch(2), { epoch: -1, endOffset: -1n }, 'epoch 2 started at 20, which is gone');
  await log.append(makeBatch(), 3);
  assert.deepEqual(offsetsOf(await log.read(8n, 100_000)), [8, 9, 10]);
});

test('truncateTo at the log end drops an epoch that starts there (a leader term with no appends), durably', async (t) => {
  const { dir, log } = await openLog(t);
  for (let i = 0; i < 3; i++) await log.append(makeBatch(), 1);
  log.assignEpochStart(2);
  assert.equal(log.latestEpoch, 2);
  await log.truncateTo(log.logEndOffset);
  assert.equal(log.logEndOffset, 3n, 'no batch goes');
  assert.equal(log.latestEpoch, 1);
  assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 3n });
  await log.close();
  const reopened = await Log.open(dir, {}, { logger: recordingLogger() });
  defer(t, () => reopened.close());
  assert.equal(reopened.latestEpoch, 1, 'the checkpoint no longer has epoch 2');
});

test('truncateFullyAndStartAt empties the log and restarts it at the offset', async (t) => {
  const { log } = await openLog(t, { segmentBytes: 600 });
  for (let i = 0; i < 10; i++) await log.append(makeBatch(), 1);
  await log.truncateFullyAndStartAt(1000n);
  assert.equal(log.logStartOffset, 1000n);
  assert.equal(log.logEndOffset, 1000n);
  assert.equal(log.segmentCount, 1);
  assert.deepEqual(await log.append(makeBatch(), 2), { baseOffset: 1000n, lastOffset: 1000n });
  await assert.rejects(log.read(5n, 100), /outside/);
});

test('deleteRecordsBefore moves the log start and deletes wholly covered segments, not the active one', async (t) => {
  const { log } = await openLog(t, { segmentBytes: 600 });
  for (let i = 0; i < 30; i++) await log.append(makeBatch({ values: ['a', 'b'] }), 0);
  log.updateHighWatermark(60n);
  const bases = log.segmentBaseOffsets();
  await log.deleteRecordsBefore(bases[2] + 1n);
  assert.equal(log.logStartOffset, bases[2] + 1n);
  assert.deepEqual(log.segmentBaseOffsets()[0], bases[2]);
  assert.deepEqual(offsetsOf(await log.read(bases[2] + 1n, 1))[0], Number(bases[2]), 'the batch holding the start is served whole');
  await assert.rejects(log.read(bases[2], 1), (err: StorageError) => err.code === 'offsetOutOfRange');
  await log.deleteRecordsBefore(60n);
  assert.equal(log.logStartOffset, 60n);
  assert.equal(log.segmentCount, 1);
  await assert.rejects(log.deleteRecordsBefore(61n), (err: StorageError) => err.code === 'offsetOutOfRange');
});

test('retention deletes old segments by bytes and by time, never the active one or past the high watermark', async (t) => {
  const { log, clock } = await openLog(t, { segmentBytes: 700, retentionBytes: 2000, retentionMs: 3_600_000, fileDeleteDelayMs: 0 });
  for (let i = 0; i < 40; i++) await log.append(makeBatch({ valueBytes: 50, timestamp: clock.wallMs() }), 0);
  assert.equal(await log.enforceRetention(), 0, 'nothing is below the high watermark yet');
  log.updateHighWatermark(log.logEndOffset);
  const deleted = await log.enforceRetention();
  assert.ok(deleted > 0);
  assert.ok(log.sizeBytes >= 2000 && log.sizeBytes - log.sizeBytes / log.segmentCount < 2000 + 700, `${log.sizeBytes} bytes left`);
  assert.equal(log.logStartOffset, log.segmentBaseOffsets()[0]);
  clock.advance(3_600_001);
  await log.enforceRetention();
  assert.equal(log.segmentCount, 1, 'all but the active segment are past retention.ms');
  assert.equal(log.logStartOffset, log.segmentBaseOffsets()[0]);
  assert.ok(log.logEndOffset > log.logStartOffset);
});

test('cleanup.policy=compact alone disables time and size retention', async (t) => {
  const { log, clock } = await openLog(t, { segmentBytes: 700, retentionMs: 1, cleanupPolicy: 'compact' });
  for (let i = 0; i < 20; i++) await log.append(makeBatch({ keys: ['k'], valueBytes: 50, timestamp: clock.wallMs() }), 0);
  log.updateHighWatermark(log.logEndOffset);
  clock.advance(10);
  assert.equal(await log.enforceRetention(), 0);
});

test('offsetForTimestamp finds the first record at or after a time; maxTimestampOffset the newest', async (t) => {
  const { log } = await openLog(t, { segmentBytes: 800, indexIntervalBytes: 100 });
  for (let i = 0; i < 50; i++) await log.append(makeBatch({ values: ['a', 'b', 'c'], timestamp: 10_000 + i * 100, timestampStep: 10 }), 0);
  // batch i holds offsets 3i..3i+2 with timestamps 10000+100i, +10, +20
  assert.deepEqual(await log.offsetForTimestamp(0n), { offset: 0n, timestamp: 10_000n });
  assert.deepEqual(await log.offsetForTimestamp(12_005n), { offset: 61n, timestamp: 12_010n });
  assert.deepEqual(await log.offsetForTimestamp(12_021n), { offset: 63n, timestamp: 12_100n });
  assert.equal(await log.offsetForTimestamp(20_000n), null);
  assert.deepEqual(await log.maxTimestampOffset(), { offset: 149n, timestamp: 14_920n });
});

test('offsetForTimestamp walks a compressed batch of millions of records in pieces, without record objects', async (t) => {
  const { log } = await openLog(t);
  const baseTimestamp = 1_700_000_000_000n;
  await log.append(emptyRecordsBatch({ count: 9_580_000, baseTimestamp }), 0); // 6 KB of zstd, 64 MiB of records
  const peakBeforeKiB = process.resourceUsage().maxRSS;
  // The header's max timestamp (base + 1000) sends the search into the batch; no record has it, so every record is walked.
  assert.equal(await log.offsetForTimestamp(baseTimestamp + 1000n), null);
  assert.deepEqual(await log.offsetForTimestamp(baseTimestamp), { offset: 0n, timestamp: baseTimestamp });
  const grownMiB = (process.resourceUsage().maxRSS - peakBeforeKiB) / 1024;
  // Decoded into record objects it took 1.4 GiB; walked, the 64 MiB pass through in pieces.
  assert.ok(grownMiB < 300, `peak RSS grew by ${grownMiB.toFixed(0)} MiB`);
});

test('batchHeaders walks the batch headers from an offset', async (t) => {
  const { log } = await openLog(t, { segmentBytes: 500 });
  for (let i = 0; i < 20; i++) await log.append(makeBatch({ values: ['a', 'b'] }), 0);
  const bases: bigint[] = [];
  for await (const header of log.batchHeaders(7n)) bases.push(header.baseOffset);
  assert.deepEqual(bases, Array.from({ length: 17 }, (_, i) => BigInt(6 + 2 * i)));
});

test('batchHeaders over batches larger than its read chunk reads their headers, not a chunk of records each', async (t) => {
  const dir = await tempDir(t);
  let logBytesRead = 0;
  const countingFs: StorageFs = {
    ...nodeStorageFs,
    open: async (file, flags) => {
      const handle = await nodeStorageFs.open(file, flags);
      if (!file.endsWith('.log')) return handle;
      return Object.assign(Object.create(handle) as typeof handle, {
        read: async (buffer: Buffer, offset: number, length: number, position: number) => {
          const result = await handle.read(buffer, offset, length, position);
          logBytesRead += result.bytesRead;
          return result;
        },
      });
    },
  };
  const log = await Log.open(dir, {}, { fs: countingFs, logger: recordingLogger() });
  defer(t, () => log.close());
  const batches = 12;
  for (let i = 0; i < batches; i++) await log.append(makeBatch({ valueBytes: 150_000 }), 0);
  logBytesRead = 0;
  let count = 0;
  for await (const header of log.batchHeaders(0n)) assert.equal(header.baseOffset, BigInt(count++));
  assert.equal(count, batches);
  assert.ok(logBytesRead < 70_000 + batches * 200, `read ${logBytesRead} bytes for ${batches} headers`);
});

test('flush.messages=1 fsyncs before acknowledging: the recovery point follows every append', async (t) => {
  const { log } = await openLog(t, { flushMessages: 1 });
  for (let i = 1; i <= 5; i++) {
    await log.append(makeBatch(), 0);
    assert.equal(log.recoveryPoint, BigInt(i));
  }
  const lazy = await openLog(t);
  await lazy.log.append(makeBatch(), 0);
  assert.equal(lazy.log.recoveryPoint, 0n);
  await lazy.log.flush();
  assert.equal(lazy.log.recoveryPoint, 1n);
});

test('flush.ms: flushIfDue flushes once the interval has passed', async (t) => {
  const { log, clock } = await openLog(t, { flushMs: 1000 });
  await log.append(makeBatch(), 0);
  await log.flushIfDue();
  assert.equal(log.recoveryPoint, 0n);
  clock.advance(1000);
  await log.flushIfDue();
  assert.equal(log.recoveryPoint, 1n);
});

test('the high watermark stays within the log', async (t) => {
  const { log } = await openLog(t);
  for (let i = 0; i < 5; i++) await log.append(makeBatch(), 0);
  assert.equal(log.updateHighWatermark(100n), 5n);
  assert.equal(log.updateHighWatermark(-3n), 0n);
  log.updateHighWatermark(4n);
  await log.truncateTo(2n);
  assert.equal(log.highWatermark, 2n);
});

test('a truncation or restart outside [0, offsetMax] is refused by an assertion and changes nothing', async (t) => {
  const { dir, log } = await openLog(t);
  for (let i = 0; i < 5; i++) await log.append(makeBatch(), 0);
  log.updateHighWatermark(3n);
  const files = await readdir(dir);
  for (const change of [() => log.truncateTo(-1n), () => log.truncateFullyAndStartAt(-1n), () => log.truncateFullyAndStartAt(2n ** 62n)]) {
    await assert.rejects(async () => change(), { code: 'ERR_ASSERTION' });
  }
  assert.deepEqual([log.logStartOffset, log.highWatermark, log.logEndOffset], [0n, 3n, 5n]);
  assert.deepEqual(await readdir(dir), files);
});
