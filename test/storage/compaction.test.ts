import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { nodeStorageFs, type StorageFs } from '../../src/storage/fs.ts';
import { Log } from '../../src/storage/log.ts';
import type { LogConfig } from '../../src/storage/log-config.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { encodeMarkerBatch } from '../../src/protocol/records/control-batch.ts';
import { defer, makeBatch, manualClock, recordingLogger, recordsOf, tempDir } from './helpers.ts';

const compacted: Partial<LogConfig> = { cleanupPolicy: 'compact', segmentBytes: 1200, minCleanableDirtyRatio: 0.1, fileDeleteDelayMs: 0 };

async function allRecords(log: Log): Promise<[number, string | null, string | null][]> {
  const out: [number, string | null, string | null][] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const records = recordsOf(await log.read(offset, 1_000_000));
    if (records.length === 0) break;
    out.push(...records);
    offset = BigInt(records.at(-1)![0] + 1);
  }
  return out;
}

/** Writes `rounds` updates of keys k0..k(keys-1), two records per batch; returns the latest value per key. */
async function fill(log: Log, rounds: number, keys: number, timestamp: number): Promise<Map<string, string | null>> {
  const latest = new Map<string, string | null>();
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < keys; k += 2) {
      const names = [`k${k}`, `k${k + 1}`];
      const values = names.map((n) => `${n}@${round}`);
      await log.append(makeBatch({ keys: names, values, timestamp }), 0);
      names.forEach((n, i) => latest.set(n, values[i]));
    }
  }
  return latest;
}

async function openLog(t: Parameters<typeof tempDir>[0], config: Partial<LogConfig>, clock = manualClock(Date.now()), fs?: StorageFs) {
  const dir = await tempDir(t);
  const log = await Log.open(dir, config, { clock, logger: recordingLogger(), ...(fs ? { fs } : {}) });
  defer(t, () => log.close());
  return { dir, log, clock };
}

test('compaction keeps the latest record per key in the inactive segments, with their offsets', async (t) => {
  const { log, clock } = await openLog(t, compacted);
  const latest = await fill(log, 10, 6, clock.wallMs());
  await log.append(makeBatch({ keys: [null], values: ['no key'], timestamp: clock.wallMs() }), 0);
  await log.roll();
  await log.append(makeBatch({ keys: ['k0'], values: ['k0@active'], timestamp: clock.wallMs() }), 0);
  const before = await allRecords(log);
  const end = log.logEndOffset;
  const result = await log.compact();
  assert.ok(result && result.recordsRemoved === 54, JSON.stringify(result));
  assert.ok(result.bytesAfter < result.bytesBefore / 3);
  assert.equal(log.logEndOffset, end);
  const after = await allRecords(log);
  const byKey = new Map(after.filter((r) => r[1] !== null).map((r) => [r[1], r[2]]));
  assert.deepEqual(byKey, new Map([...latest, ['k0', 'k0@active']]));
  assert.ok(after.some((r) => r[1] === null && r[2] === 'no key'), 'records without a key stay');
  assert.ok(after.some((r) => r[2] === 'k0@9'), 'the active segment is not compacted, so k0@9 is still the latest in the cleaned range');
  for (const record of after) assert.deepEqual(before.find((r) => r[0] === record[0]), record, 'offsets are kept');
  assert.deepEqual(recordsOf(await log.read(3n, 1))[0][0] >= 3, true, 'reading a removed offset starts at the next kept one');
  assert.equal(await log.compact(), null, 'nothing dirty: no second pass');
});

test('small cleaned segments are merged, up to segment.bytes', async (t) => {
  const { log, clock } = await openLog(t, { ...compacted, segmentBytes: 600 });
  await fill(log, 12, 4, clock.wallMs());
  await log.roll();
  const segments = log.segmentCount;
  log.updateConfig({ ...compacted, segmentBytes: 100_000 });
  const result = await log.compact();
  assert.equal(result!.segmentsAfter, 1);
  assert.equal(log.segmentCount, 2);
  assert.ok(segments > 5);
  assert.equal((await allRecords(log)).length, 4);
});

test('tombstones go once older than delete.retention.ms; younger ones stay', async (t) => {
  const { log, clock } = await openLog(t, { ...compacted, deleteRetentionMs: 60_000 });
  const old = clock.wallMs() - 120_000;
  await log.append(makeBatch({ keys: ['a', 'b'], values: ['a1', 'b1'], timestamp: old }), 0);
  await log.append(makeBatch({ keys: ['a'], values: [null], timestamp: old }), 0);
  await log.append(makeBatch({ keys: ['b'], values: [null], timestamp: clock.wallMs() }), 0);
  await log.roll();
  await log.append(makeBatch({ keys: ['c'], values: ['c1'], timestamp: clock.wallMs() }), 0);
  await log.compact();
  assert.deepEqual((await allRecords(log)).map((r) => r.slice(1)), [['b', null], ['c', 'c1']]);
});

test('min.compaction.lag.ms protects recent segments', async (t) => {
  const { log, clock } = await openLog(t, { ...compacted, minCompactionLagMs: 3_600_000 });
  await fill(log, 5, 4, clock.wallMs());
  await log.roll();
  assert.equal(await log.compact(), null);
  clock.advance(3_600_001);
  assert.ok(await log.compact());
});

test('compaction only with cleanup.policy=compact', async (t) => {
  const { log, clock } = await openLog(t, { ...compacted, cleanupPolicy: 'delete' });
  await fill(log, 5, 4, clock.wallMs());
  await log.roll();
  assert.equal(await log.compact(), null);
});

test('appends go on while compaction runs', async (t) => {
  const { log, clock } = await openLog(t, { ...compacted, segmentBytes: 20_000 });
  await fill(log, 60, 10, clock.wallMs());
  await log.roll();
  const compaction = log.compact();
  const appends = Array.from({ length: 50 }, (_, i) => log.append(makeBatch({ keys: ['k1'], values: [`during${i}`], timestamp: clock.wallMs() }), 0));
  const [result, ...appended] = await Promise.all([compaction, ...appends]);
  assert.ok(result);
  assert.equal(appended.at(-1)!.baseOffset, log.logEndOffset - 1n);
  const records = await allRecords(log);
  assert.equal(records.at(-1)![2], 'during49');
  for (let i = 1; i < records.length; i++) assert.ok(records[i][0] > records[i - 1][0]);
});

test('a truncation during compaction makes it give up cleanly', async (t) => {
  const { dir, log, clock } = await openLog(t, compacted);
  await fill(log, 10, 6, clock.wallMs());
  await log.roll();
  const compaction = log.compact();
  await log.truncateTo(5n);
  assert.equal(await compaction, null);
  assert.equal(log.logEndOffset, 4n);
  assert.deepEqual((await readdir(dir)).filter((n) => n.includes('cleaned')), []);
});

test('a crash at any step of the segment swap leaves a log with the same latest value per key', async (t) => {
  for (let crashAt = 0; crashAt < 16; crashAt++) {
    const crashDir = await tempDir(t, 'kb-swap-crash-');
    let armed = false;
    let steps = 0;
    let crashed = false;
    let dir = '';
    const crashing: StorageFs = {
      ...nodeStorageFs,
      rename: async (from, to) => {
        if (path.basename(to) === 'compaction.pending') armed = true;
        else if (armed && steps++ === crashAt) {
          cpSync(dir, crashDir, { recursive: true });
          crashed = true;
          throw new Error('simulated crash');
        }
        return nodeStorageFs.rename(from, to);
      },
      unlink: async (file) => {
        if (armed && steps++ === crashAt) {
          cpSync(dir, crashDir, { recursive: true });
          crashed = true;
          throw new Error('simulated crash');
        }
        return nodeStorageFs.unlink(file);
      },
    };
    const clock = manualClock(Date.now());
    const opened = await openLog(t, { ...compacted, segmentBytes: 600 }, clock, crashing);
    dir = opened.dir;
    const latest = await fill(opened.log, 6, 6, clock.wallMs());
    await opened.log.roll();
    opened.log.updateConfig({ ...compacted, segmentBytes: 1500 }); // groups of several segments: the swap replaces more than one
    const before = await allRecords(opened.log);
    await opened.log.compact().catch(() => null);
    if (!crashed) {
      assert.ok(crashAt > 3, 'the crash points cover the whole swap');
      break;
    }
    const logger = recordingLogger();
    const reopened = await Log.open(crashDir, compacted, { logger });
    defer(t, () => reopened.close());
    assert.match(logger.lines.join('\n'), /finishing an interrupted compaction/, `crash at step ${crashAt}`);
    const records = await allRecords(reopened);
    for (let i = 1; i < records.length; i++) assert.ok(records[i][0] > records[i - 1][0], `offsets increase (crash at step ${crashAt})`);
    assert.deepEqual(new Map(records.map((r) => [r[1], r[2]])), latest, `crash at step ${crashAt}`);
    for (const record of records) assert.deepEqual(before.find((r) => r[0] === record[0]), record);
    assert.deepEqual((await readdir(crashDir)).filter((n) => /cleaned|deleted|pending/.test(n)), []);
  }
});

test('closing the log during a compaction pass cancels the pass and closes cleanly', async (t) => {
  const dir = await tempDir(t);
  const clock = manualClock(Date.now());
  const log = await Log.open(dir, { ...compacted, segmentBytes: 20_000 }, { clock, logger: recordingLogger() });
  const latest = await fill(log, 80, 10, clock.wallMs());
  await log.roll();
  const compaction = log.compact();
  await log.close();
  assert.equal(await compaction, null);
  const reopened = await Log.open(dir, compacted, { clock, logger: recordingLogger() });
  defer(t, () => reopened.close());
  const records = await allRecords(reopened);
  assert.deepEqual(new Map(records.map((r) => [r[1], r[2]])), latest);
  assert.deepEqual((await readdir(dir)).filter((n) => /cleaned|pending|clean-shutdown/.test(n)), []);
});

test('compaction drops aborted transactions, compacts committed ones, keeps undecided ones and every marker', async (t) => {
  const { log, clock } = await openLog(t, compacted);
  const timestamp = BigInt(clock.wallMs());
  const txn = (producerId: bigint, key: string, value: string) =>
    encodeRecordBatch({ baseTimestamp: timestamp, producerId, producerEpoch: 0, baseSequence: 0, transactional: true, records: [{ key: Buffer.from(key), value: Buffer.from(value) }] });
  const marker = (producerId: bigint, commit: boolean) => encodeMarkerBatch({ producerId, producerEpoch: 0, commit, coordinatorEpoch: 0 }, timestamp);
  const plain = (key: string, value: string) => makeBatch({ keys: [key], values: [value], timestamp: clock.wallMs() });
  for (const batch of [
    plain('k0', 'v1'), // 0: stays: the later k0 aborted
    txn(1n, 'k0', 'aborted'), // 1: dropped
    marker(1n, false), // 2
    plain('k1', 'old1'), // 3: shadowed by the committed k1
    txn(2n, 'k1', 'committed'), // 4
    marker(2n, true), // 5
    plain('k2', 'old2'), // 6: stays: the later k2 is undecided
    txn(3n, 'k2', 'open'), // 7: its marker is not in the cleaned range
  ]) {
    await log.append(batch, 0);
  }
  await log.roll();
  await log.append(marker(3n, true), 0); // 8, in the active segment
  const result = await log.compact();
  assert.ok(result, 'a pass ran');
  assert.deepEqual(
    (await allRecords(log)).map((r) => r[0]),
    [0, 2, 4, 5, 6, 7, 8],
  );
  assert.deepEqual((await allRecords(log)).filter((r) => r[1] !== null && r[0] !== 2 && r[0] !== 5 && r[0] !== 8).map((r) => r[2]), ['v1', 'committed', 'old2', 'open']);
});
