/**
 * Partition reassignment on a real cluster: 3 voters, then a 4th node that
 * is only a broker joins. Under a steady idempotent acks=all confluent-kafka
 * producer, `kb partitions reassign --topic moves --to 2,3,4 --wait` moves
 * every partition off broker 1: afterwards each partition is on 2,3,4 and
 * in sync, broker 1 holds none of its logs, and every acknowledged record
 * reads back once, where it was acknowledged, in order. Then a move to a
 * broker that cannot copy (SIGSTOPped) is listed by --status and cancelled
 * by --cancel: the original assignment is intact and the stopped broker,
 * once resumed, drops the log it had started.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { runPythonScript, type SteadyProducerOutput } from '../helpers/python.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Admin } from '../../src/client/admin.ts';
import { parsePlan } from '../../src/cli/reassignment-plan.ts';


const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

/** Bytes per partition of `topic` that broker `nodeId` holds. */
async function heldBy(bootstrap: string, nodeId: number, topic: string, partitions: number[]): Promise<Map<string, number>> {
  const cluster = new Cluster({ bootstrap: bootstrap.split(',').map((a) => ({ host: a.split(':')[0], port: Number(a.split(':')[1]) })) });
  try {
    await cluster.refreshMetadata(null);
    return await new Admin(cluster).replicaSizes(nodeId, new Map([[topic, partitions]]));
  } finally {
    cluster.close();
  }
}

test('a topic moves from brokers 1,2,3 to 2,3,4 under load with nothing lost, and a cancelled move leaves the assignment intact', { timeout: 240_000 }, async (t) => {
  if (!requireTool(t, tools.confluentKafka) || !requireTool(t, tools.kcat)) return;
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  const kb = (...args: string[]) => runKb([...args, '-b', cluster.bootstrap], { timeoutMs: 150_000 });
  for (const name of ['moves', 'held']) {
    const created = await kb('topic', 'create', name, '--partitions', '3', '--rf', '3', '--config', 'min.insync.replicas=2');
    assert.equal(created.code, 0, created.stderr);
  }
  const inSyncOn = (ids: number[]) => (ps: { replicas: number[]; isr: number[] }[]) =>
    ps.length === 3 && ps.every((p) => sorted(p.replicas).join() === ids.join() && sorted(p.isr).join() === ids.join());
  await waitForPartitions(cluster.bootstrap, 'moves', 'moves is in sync on 1,2,3', inSyncOn([1, 2, 3]));
  assert.equal(await cluster.addBroker(), 4);

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'kb-reassign-'));
  t.after(() => rm(scratch, { recursive: true, force: true }));
  const stopFile = path.join(scratch, 'stop');
  const producing = runPythonScript<SteadyProducerOutput>('confluent_steady_producer.py', { bootstrap: cluster.bootstrap, topic: 'moves', rate: 200, stop_file: stopFile }, 200_000);
  producing.catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 2000));

  const unconfirmed = await kb('partitions', 'reassign', '--topic', 'moves', '--to', '2,3,4');
  assert.equal(unconfirmed.code, 2, 'no terminal and no --yes: refused');
  assert.match(unconfirmed.stderr, /add --yes to confirm/);
  assert.deepEqual(JSON.parse((await kb('partitions', 'reassign', '--status', '--json')).stdout), { reassignments: [] }, 'nothing started');

  const planFile = path.join(scratch, 'plan.json');
  const rollbackFile = path.join(scratch, 'rollback.json');
  const moved = await kb('partitions', 'reassign', '--topic', 'moves', '--to', '2,3,4', '--plan-out', planFile, '--rollback-out', rollbackFile, '--yes', '--wait');
  assert.equal(moved.code, 0, moved.stderr);
  assert.match(moved.stdout, /3 of 3 partition\(s\) change/);
  assert.match(moved.stdout, /reassignment complete/);
  assert.match(moved.stderr, /reassigning: 3\/3 partition\(s\) done/);
  for (const entry of parsePlan(await readFile(planFile, 'utf8'))) assert.deepEqual(sorted(entry.replicas), [2, 3, 4]);
  assert.deepEqual(parsePlan(await readFile(rollbackFile, 'utf8')).map((e) => sorted(e.replicas)), [[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
  const after = await waitForPartitions(cluster.bootstrap, 'moves', 'moves is in sync on 2,3,4', inSyncOn([2, 3, 4]));
  assert.deepEqual(sorted(after.map((p) => p.leader)), [2, 3, 4], 'leaders spread over the new brokers');
  const status = await kb('partitions', 'reassign', '--status', '--json');
  assert.deepEqual(JSON.parse(status.stdout), { reassignments: [] });
  const deadline = Date.now() + 10_000;
  while ((await heldBy(cluster.bootstrap, 1, 'moves', [0, 1, 2])).size > 0) {
    assert.ok(Date.now() < deadline, 'broker 1 deletes the logs it no longer hosts');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  await new Promise((resolve) => setTimeout(resolve, 1000));
  await writeFile(stopFile, '');
  const produced = await producing;
  assert.deepEqual(produced.failed, [], 'no record failed');
  assert.equal(produced.undelivered, 0);
  assert.ok(produced.acked.length > 300, `the producer kept producing (${produced.acked.length} acknowledged)`);
  const consumed = await kcatConsumeAll(cluster.bootstrap, 'moves');
  const seen = new Map<string, { partition: number; offset: number }>();
  for (const record of consumed) {
    assert.ok(!seen.has(record.value!), `${record.value} is stored once`);
    seen.set(record.value!, { partition: record.partition, offset: record.offset });
  }
  for (const [value, partition, offset] of produced.acked) assert.deepEqual(seen.get(value), { partition, offset }, `acknowledged ${value} is where it was acknowledged`);
  for (let partition = 0; partition < 3; partition++) {
    const offsets = consumed.filter((r) => r.partition === partition).map((r) => r.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), `partition ${partition} reads in offset order`);
  }

  // A move onto a broker that cannot copy stays in progress until cancelled.
  const fill = await runKb(['produce', 'held', '-b', cluster.bootstrap], { input: 'a\nb\nc\n' });
  assert.equal(fill.code, 0, fill.stderr);
  const before = await waitForPartitions(cluster.bootstrap, 'held', 'held is in sync on 1,2,3', inSyncOn([1, 2, 3]));
  cluster.pause(4);
  t.after(() => cluster.resume(4));
  const planned = await kb('partitions', 'reassign', '--topic', 'held', '--to', '1,2,4', '--rollback-out', path.join(scratch, 'held-rollback.json'), '--yes');
  assert.equal(planned.code, 0, planned.stderr);
  const listed = JSON.parse((await kb('partitions', 'reassign', '--status', '--topic', 'held', '--json')).stdout);
  assert.deepEqual(listed.reassignments.map((r: { addingReplicas: number[]; removingReplicas: number[] }) => [r.addingReplicas, r.removingReplicas]), [[[4], [3]], [[4], [3]], [[4], [3]]]);
  const cancelled = await kb('partitions', 'reassign', '--cancel', '--topic', 'held');
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.match(cancelled.stdout, /cancelled held\/0/);
  cluster.resume(4);
  const restored = await waitForPartitions(cluster.bootstrap, 'held', 'held is back on 1,2,3', inSyncOn([1, 2, 3]));
  // As in Kafka, the replica set is restored (its order follows the cancelled target; the rollback file keeps the exact order).
  assert.deepEqual(restored.map((p) => sorted(p.replicas)), before.map((p) => sorted(p.replicas)));
  assert.equal((await kb('partitions', 'reassign', '--status', '--json')).stdout.includes('"held"'), false);
  const held = await kcatConsumeAll(cluster.bootstrap, 'held');
  assert.deepEqual(held.map((r) => r.value).sort(), ['a', 'b', 'c']);
  const gone = Date.now() + 15_000;
  while ((await heldBy(cluster.bootstrap, 4, 'held', [0, 1, 2])).size > 0) {
    assert.ok(Date.now() < gone, 'the resumed broker 4 drops the logs of the cancelled move');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});
