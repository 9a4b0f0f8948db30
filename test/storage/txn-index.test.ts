/**
 * The log's aborted-transaction indexes (txn-index.ts): an entry goes to
 * the segment holding its marker; a lookup walks the segments from the one
 * holding its start and stops at an entry whose last stable offset reaches
 * its end; the files survive a close and reopen, follow truncation, go
 * with their segment (DeleteRecords), are carried into a compaction's
 * merged segment, and a reset index left empty removes its file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { Log } from '../../src/storage/log.ts';
import { defer, makeBatch, manualClock, recordingLogger, tempDir } from './helpers.ts';

const txnFiles = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.txnindex')).sort();
const entry = (producerId: bigint, firstOffset: bigint, lastOffset: bigint, lastStableOffset: bigint) => ({ producerId, firstOffset, lastOffset, lastStableOffset });

test('aborted transactions are indexed per segment, looked up across segments, kept across a reopen, truncated and deleted with their segment', async (t) => {
  const dir = await tempDir(t);
  const open = () => Log.open(dir, { fileDeleteDelayMs: 0 }, { clock: manualClock(Date.now()), logger: recordingLogger() });
  let log = await open();
  defer(t, () => log.close());
  for (let i = 0; i < 3; i++) await log.append(makeBatch(), 0); // 0-2
  const a = entry(1n, 0n, 2n, 1n); // 1's transaction (from 1) still open when a's marker was written
  log.recordAbortedTxn(a);
  await log.roll();
  for (let i = 0; i < 3; i++) await log.append(makeBatch(), 0); // 3-5
  const b = entry(2n, 1n, 5n, 6n);
  log.recordAbortedTxn(b);
  await log.roll();
  await log.append(makeBatch(), 0); // 6
  const c = entry(1n << 62n, 6n, 6n, 7n); // any producer id fits
  log.recordAbortedTxn(c);
  log.updateHighWatermark(7n);

  assert.deepEqual(await log.abortedTxns(0n, 7n), [a, b, c]);
  assert.deepEqual(await log.abortedTxns(3n, 7n), [b, c], "a's marker is before the read");
  assert.deepEqual(await log.abortedTxns(0n, 1n), [a], 'b starts at the end of the read');
  assert.deepEqual(await log.abortedTxns(0n, 2n), [a, b], 'a read ending at 2 must look past the first segment: a left 1 open');
  assert.deepEqual(await log.abortedTxns(3n, 6n), [b], "b's last stable offset ends the lookup before c's segment");

  await log.close();
  assert.deepEqual(await txnFiles(dir), ['00000000000000000000.txnindex', '00000000000000000003.txnindex', '00000000000000000006.txnindex']);
  log = await open();
  assert.deepEqual(await log.abortedTxns(0n, 7n), [a, b, c], 'read back from the files');

  await log.truncateTo(5n);
  assert.deepEqual(await log.abortedTxns(0n, 7n), [a], "b's marker and c's segment were truncated away");
  await log.deleteRecordsBefore(3n);
  assert.deepEqual(await log.abortedTxns(3n, 7n), []);
  await log.close();
  assert.deepEqual(await txnFiles(dir), [], 'the first segment went with its index; the truncated one kept no entry');

  log = await open();
  await log.append(makeBatch(), 0); // 5
  log.recordAbortedTxn(entry(3n, 5n, 5n, 6n));
  await log.close();
  assert.deepEqual(await txnFiles(dir), ['00000000000000000003.txnindex']);
  log = await open();
  log.resetAbortedTxns();
  await log.close();
  assert.deepEqual(await txnFiles(dir), [], 'a reset index left empty removes its file');
});

test('compaction carries the aborted transactions of the segments it merges into the merged segment', async (t) => {
  const dir = await tempDir(t);
  const clock = manualClock(Date.now());
  const compacted = { cleanupPolicy: 'compact', segmentBytes: 1200, minCleanableDirtyRatio: 0.1, fileDeleteDelayMs: 0 } as const;
  const open = () => Log.open(dir, compacted, { clock, logger: recordingLogger() });
  let log = await open();
  defer(t, () => log.close());
  const recorded = [];
  for (let i = 0; i < 24; i++) {
    const { lastOffset } = await log.append(makeBatch({ keys: [`k${i % 3}`], values: [`v${i}`], timestamp: clock.wallMs() }), 0);
    if (i % 5 === 4) {
      const txn = entry(BigInt(i), lastOffset - 2n, lastOffset, lastOffset + 1n);
      log.recordAbortedTxn(txn);
      recorded.push(txn);
    }
  }
  await log.roll();
  log.updateHighWatermark(log.logEndOffset);
  const segmentsBefore = log.segmentCount;
  log.updateConfig({ ...compacted, segmentBytes: 4000 }); // the inactive segments fit in one output
  assert.ok((await log.compact())?.segmentsAfter, 'a compaction pass ran');
  assert.ok(log.segmentCount < segmentsBefore, 'segments were merged');
  assert.deepEqual(await log.abortedTxns(0n, log.logEndOffset), recorded);
  await log.close();
  assert.ok((await txnFiles(dir)).length < recorded.length, 'the merged segments have one index');
  log = await open();
  assert.deepEqual(await log.abortedTxns(0n, log.logEndOffset), recorded, 'read back from the merged files');
});
