/**
 * A broker holds a file descriptor for sealed log segments only while they
 * are used: counted in /proc/PID/fd of a real `kb broker start` whose
 * partition has hundreds of sealed segments (written beforehand through the
 * storage engine with tiny segments, which the broker's topic configs no
 * longer allow), read whole by kcat.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Log } from '../../src/storage/log.ts';
import { startBroker, type BrokerOptions, type RunningBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { makeBatch, recordingLogger } from '../storage/helpers.ts';

const topic = 'many';
const segments = 300;

function valueOf(i: number): string {
  return `record-${i}-`.padEnd(100, '.');
}

/** A broker whose partition `many-0` has `segments` segments of one record each (all but the last sealed). */
async function brokerWithSealedSegments(t: TestContext, options: BrokerOptions): Promise<RunningBroker> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'kb-e2e-segments-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const first = await startBroker({ dataDir });
  t.after(() => first.stop());
  const created = await runKb(['topic', 'create', topic, '--partitions', '1', '-b', first.address]);
  assert.equal(created.code, 0, created.stderr);
  await first.stop();
  const log = await Log.open(path.join(dataDir, 'logs', `${topic}-0`), { segmentBytes: 128 }, { logger: recordingLogger() });
  for (let i = 0; i < segments; i++) await log.append(makeBatch({ values: [valueOf(i)] }), 0);
  log.updateHighWatermark(log.logEndOffset);
  assert.equal(log.segmentCount, segments);
  await log.close();
  const broker = await startBroker({ ...options, dataDir });
  t.after(() => broker.stop());
  return broker;
}

/** The segment `.log` files of `many-0` the broker holds open: the active one (the last) and sealed ones. */
async function openSegmentFiles(broker: RunningBroker): Promise<{ active: number; sealed: number }> {
  const fdDir = `/proc/${broker.process.pid}/fd`;
  const names: string[] = [];
  for (const fd of await readdir(fdDir)) {
    const target = await readlink(path.join(fdDir, fd)).catch(() => '');
    const match = new RegExp(`/logs/${topic}-0/(\\d{20})\\.log$`).exec(target);
    if (match) names.push(match[1]);
  }
  const last = String(segments - 1).padStart(20, '0');
  return { active: names.filter((n) => n === last).length, sealed: names.filter((n) => n !== last).length };
}

async function assertReadsEverySegment(broker: RunningBroker): Promise<void> {
  const records = await kcatConsumeAll(broker.address, topic);
  assert.equal(records.length, segments);
  records.forEach((r, i) => assert.deepEqual([r.offset, r.value], [i, valueOf(i)], `record ${i}`));
}

test('a partition with hundreds of sealed segments holds at most log.segment.open.files.max of their files, serves every one, and starts under a low ulimit -n', async (t) => {
  const openMax = 8;
  const broker = await brokerWithSealedSegments(t, {
    sets: { 'log.segment.open.files.max': openMax, 'max.connections': 100 },
    openFileLimit: 250,
  });
  // The unused ones are bounded by log.segment.open.files.max; a read still in flight (the producer-state scan) holds one more.
  const assertBounded = async (when: string) => {
    const open = await openSegmentFiles(broker);
    assert.equal(open.active, 1, when);
    assert.ok(open.sealed <= openMax + 1, `${when}: ${open.sealed} sealed segment files open, more than log.segment.open.files.max=${openMax} and one in use`);
  };
  await assertBounded('after start (which reads every batch header to rebuild the producer state)');
  await assertReadsEverySegment(broker);
  await assertBounded('after reading every segment');
  // 1 active segment + 8 sealed ones + 100 connections + 64 is within 250: no warning (every segment open needed 464).
  assert.doesNotMatch(broker.log(), /open file limit/);
});

test('sealed segment files unused for log.segment.open.files.idle.ms are closed, and open again when read', async (t) => {
  const broker = await brokerWithSealedSegments(t, { sets: { 'log.segment.open.files.idle.ms': 300 } });
  await assertReadsEverySegment(broker);
  const deadline = Date.now() + 20_000;
  let open = await openSegmentFiles(broker);
  while (open.sealed > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    open = await openSegmentFiles(broker);
  }
  assert.deepEqual(open, { active: 1, sealed: 0 }, 'idle sealed segment files are closed; the active one stays open');
  await assertReadsEverySegment(broker);
});
