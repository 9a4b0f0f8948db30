/**
 * The replication throttle of reassignments: `kb partitions reassign
 * --throttle B --wait` copies a partition to a new replica no faster than B
 * bytes/s (a lower bound on the time it takes, which load cannot break),
 * then clears the throttle; the throttle settings are the only dynamic
 * broker settings (kb config set takes them, refuses static ones).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { createTopicWithAssignment } from '../helpers/one-shot.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

test('a throttled reassignment copies no faster than the throttle, then clears it', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  const kb = (...args: string[]) => runKb([...args, '-b', cluster.bootstrap], { timeoutMs: 90_000 });
  assert.equal(await createTopicWithAssignment(cluster.address(1), 'heavy', [[1]]), ErrorCode.NONE);
  await waitForPartitions(cluster.bootstrap, 'heavy', 'the partition has its leader', (ps) => ps[0].leader === 1);
  const records = 2000;
  await kcatOk(['-b', cluster.bootstrap, '-P', '-t', 'heavy', '-X', 'acks=all'], { input: `${'x'.repeat(1000)}\n`.repeat(records) });

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'kb-throttle-'));
  t.after(() => rm(scratch, { recursive: true, force: true }));
  const planFile = path.join(scratch, 'plan.json');
  await writeFile(planFile, JSON.stringify({ version: 1, partitions: [{ topic: 'heavy', partition: 0, replicas: [1, 2] }] }));
  const rate = 400_000;
  const started = Date.now();
  const moved = await kb('partitions', 'reassign', '--plan', planFile, '--rollback-out', path.join(scratch, 'rollback.json'), '--throttle', String(rate), '--yes', '--wait');
  const seconds = (Date.now() - started) / 1000;
  assert.equal(moved.code, 0, moved.stderr);
  assert.match(moved.stdout, /replication throttle cleared/);
  // ~2 MB of batches at 400 kB/s: at least ~5 s (the first transfer of each side passes before the bucket fills).
  assert.ok(seconds >= 3.5, `the copy was throttled (took ${seconds.toFixed(1)} s for ~2 MB at ${rate} B/s)`);
  const [partition] = await waitForPartitions(cluster.bootstrap, 'heavy', 'both replicas are in sync', (ps) => ps[0].isr.length === 2);
  assert.deepEqual(partition.replicas, [1, 2]);
  assert.equal((await kcatConsumeAll(cluster.bootstrap, 'heavy')).length, records);

  const described = await kb('config', 'get', '--broker', '2', '--json');
  assert.equal(described.code, 0, described.stderr);
  assert.doesNotMatch(described.stdout, new RegExp(`"${rate}"`), 'no throttle is left set');
});

test('kb config set changes the dynamic throttle settings and refuses static ones', { timeout: 60_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  const kb = (...args: string[]) => runKb([...args, '-b', cluster.bootstrap]);
  const set = await kb('config', 'set', 'follower.replication.throttled.rate=123456', '--broker', '2');
  assert.equal(set.code, 0, set.stderr);
  const deadline = Date.now() + 10_000;
  let seen = '';
  while (Date.now() < deadline && !seen.includes('123456')) {
    seen = (await kb('config', 'get', '--broker', '2', '--json')).stdout;
  }
  assert.match(seen, /123456/, 'broker 2 reports the new value');
  const refused = await kb('config', 'set', 'num.partitions=3', '--broker', '2');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /static/);
});
