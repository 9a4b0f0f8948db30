/**
 * `kb health`, `kb partitions list`, `kb partitions elect-leaders` and
 * `kb partitions balance` on a real 3-node cluster (automatic leader
 * rebalancing off, so leadership only moves when asked): a balance plan
 * spreads a topic crowded onto two nodes (--execute wants --yes off a TTY,
 * saves a rollback file, and elects the preferred leaders); a topic whose
 * preferred leaders are all on one node is reordered and each node leads;
 * a broker back from a pause gets its preferred leadership from balance
 * even with nothing to move; OK while healthy; WARNING once a killed broker is
 * fenced (its replicas leave the ISRs) and the under-replicated filter names
 * exactly those partitions; preferred leadership comes back by
 * elect-leaders after a restart; CRITICAL when the only replica of a
 * partition (an rf-1 topic placed on node 3) is down; UNKNOWN when no
 * broker answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { runKb } from '../helpers/cli.ts';
import { Cluster } from '../../src/client/cluster.ts';

/** Creates `name` with explicit replica lists per partition. */
async function createPlaced(bootstrap: string, name: string, replicas: number[][]): Promise<void> {
  const client = new Cluster({ bootstrap: bootstrap.split(',').map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) })) });
  try {
    const response = await (await client.controller()).request(19, 7, {
      topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: replicas.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    assert.equal(response.topics[0].errorCode, 0, JSON.stringify(response.topics[0]));
  } finally {
    client.close();
  }
}

const names = (rows: { topic: string; partition: number }[]) => rows.map((r) => `${r.topic}-${r.partition}`).sort();

test('kb health: 0 healthy, 1 with a broker fenced, 2 with a partition offline, 3 unreachable; list and elect-leaders', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: { ...fastFailover, 'auto.leader.rebalance.enable': false } });
  t.after(() => cluster.stop());
  const kb = (args: string[], bootstrap = cluster.bootstrap) => runKb([...args, '-b', bootstrap]);

  const created = await kb(['topic', 'create', 'orders', '--partitions', '3', '--rf', '3', '--config', 'min.insync.replicas=2']);
  assert.equal(created.code, 0, created.stderr);
  await createPlaced(cluster.bootstrap, 'solo', [[3]]);
  await waitForPartitions(cluster.bootstrap, 'orders', 'every partition has 3 in-sync replicas', (ps) => ps.every((p) => p.isr.length === 3 && p.leader === p.replicas[0]));
  await waitForPartitions(cluster.bootstrap, 'solo', 'solo is led by node 3', (ps) => ps[0].leader === 3);

  // A topic crowded onto nodes 1 and 2: balance proposes spreading its replicas and preferred leaders over all three.
  await createPlaced(cluster.bootstrap, 'crowded', [[1, 2], [1, 2], [1, 2]]);
  const balance = await kb(['partitions', 'balance', '--topic', 'crowded', '--json']);
  assert.equal(balance.code, 0, balance.stderr);
  const plan = JSON.parse(balance.stdout);
  assert.deepEqual([plan.version, plan.executed], [1, false]);
  const after = [0, 1, 2].map((partition) => plan.partitions.find((p: any) => p.partition === partition)?.replicas ?? [1, 2]);
  const count = (ids: number[]) => [1, 2, 3].map((id) => ids.filter((x) => x === id).length);
  assert.deepEqual(count(after.flat()), [2, 2, 2], JSON.stringify(plan));
  assert.deepEqual(count(after.map((r: number[]) => r[0])), [1, 1, 1], JSON.stringify(plan));
  // --execute as reassign: without a terminal it wants --yes and moves nothing.
  const unconfirmed = await kb(['partitions', 'balance', '--topic', 'crowded', '--execute']);
  assert.equal(unconfirmed.code, 2, unconfirmed.stdout + unconfirmed.stderr);
  assert.match(unconfirmed.stderr, /add --yes to confirm/);
  const untouched = await waitForPartitions(cluster.bootstrap, 'crowded', 'still crowded', () => true);
  assert.deepEqual(untouched.map((p) => p.replicas), [[1, 2], [1, 2], [1, 2]]);
  // --yes: saves the rollback file, starts the moves, and with --wait follows them and elects the preferred leaders.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-balance-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const rollback = path.join(dir, 'rollback.json');
  const executed = await kb(['partitions', 'balance', '--topic', 'crowded', '--execute', '--yes', '--wait', '--rollback-out', rollback, '--json']);
  assert.equal(executed.code, 0, executed.stderr);
  const result = JSON.parse(executed.stdout);
  assert.deepEqual([result.executed, result.rollbackFile, result.electionsPending], [true, rollback, []]);
  const saved = JSON.parse(await readFile(rollback, 'utf8'));
  assert.deepEqual(saved.partitions.map((p: any) => p.replicas), plan.partitions.map(() => [1, 2]), 'the rollback file holds the replicas before the move');
  await waitForPartitions(cluster.bootstrap, 'crowded', 'the plan is applied and preferred leaders lead', (ps) =>
    ps.every((p) => p.replicas.join(',') === after[p.partition].join(',') && p.isr.length === 2 && p.leader === p.replicas[0]),
  );
  assert.equal((await kb(['topic', 'delete', 'crowded', '--yes'])).code, 0);

  // Every preferred leadership on node 1: balance only reorders replicas (nothing to copy), waits for that, and elects, so each node leads one.
  await createPlaced(cluster.bootstrap, 'skewed', [[1, 2, 3], [1, 3, 2], [1, 2, 3]]);
  await waitForPartitions(cluster.bootstrap, 'skewed', 'node 1 leads all', (ps) => ps.every((p) => p.leader === 1 && p.isr.length === 3));
  const reordered = await kb(['partitions', 'balance', '--topic', 'skewed', '--execute', '--yes', '--rollback-out', path.join(dir, 'skewed.json'), '--json']);
  assert.equal(reordered.code, 0, reordered.stderr);
  assert.deepEqual(JSON.parse(reordered.stdout).electionsPending, []);
  const skewed = await waitForPartitions(cluster.bootstrap, 'skewed', 'the preferred leaders lead', (ps) => ps.every((p) => p.leader === p.replicas[0]));
  assert.deepEqual(skewed.map((p) => p.leader).sort(), [1, 2, 3], 'each node leads one partition');
  assert.equal((await kb(['topic', 'delete', 'skewed', '--yes'])).code, 0);

  // A broker back from a pause leads nothing; with nothing to move, balance --execute still elects its preferred leadership back.
  await createPlaced(cluster.bootstrap, 'spread', [[1, 2, 3], [2, 3, 1], [3, 1, 2]]);
  await waitForPartitions(cluster.bootstrap, 'spread', 'each node leads its preferred partition', (ps) => ps.every((p) => p.leader === p.replicas[0] && p.isr.length === 3));
  const others = [1, 3].map((id) => cluster.address(id)).join(',');
  cluster.pause(2);
  await waitForPartitions(others, 'spread', 'node 2 lost its leadership', (ps) => ps[1].leader !== 2 && ps[1].leader !== -1, 60_000);
  cluster.resume(2);
  // Every node's own view, not just one: balance asks whichever node answers first, and a node whose
  // image still has node 2 fenced would offer only two target brokers (an ISR holds only unfenced brokers).
  for (const id of [1, 2, 3]) {
    await waitForPartitions(cluster.address(id), 'spread', `node ${id} sees node 2 back in every ISR`, (ps) => ps.every((p) => p.isr.length === 3) && ps[1].leader !== 2, 60_000);
  }
  const returned = await kb(['partitions', 'balance', '--topic', 'spread', '--execute', '--yes', '--json']);
  assert.equal(returned.code, 0, returned.stderr);
  assert.deepEqual(JSON.parse(returned.stdout).partitions, [], 'nothing to move');
  await waitForPartitions(cluster.bootstrap, 'spread', 'node 2 leads spread-1 again', (ps) => ps.every((p) => p.leader === p.replicas[0]));
  assert.equal((await kb(['topic', 'delete', 'spread', '--yes'])).code, 0);

  const healthy = await kb(['health']);
  assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
  assert.match(healthy.stdout, /^OK: 3 broker\(s\), 2 topic\(s\), 4 partition\(s\) \| brokers_up=3 brokers_down=0;0 under_replicated=0;0 offline=0;;0 under_min_isr=0;;0 quorum_max_lag=\d+\n$/);

  // Node 2 killed: once fenced, every orders partition is under-replicated (and at its min ISR of 2); solo is fine.
  await cluster.kill(2);
  const survivors = [1, 3].map((id) => cluster.address(id)).join(',');
  await waitForPartitions(survivors, 'orders', 'node 2 left every ISR', (ps) => ps.every((p) => !p.isr.includes(2) && p.leader !== -1));
  const [warning, warningJson, underReplicated, atMinIsr, underMinIsr] = await Promise.all([
    kb(['health'], survivors),
    kb(['health', '--json'], survivors),
    kb(['partitions', 'list', '--under-replicated', '--json'], survivors),
    kb(['partitions', 'list', '--at-min-isr', '--topic', 'orders', '--json'], survivors),
    kb(['partitions', 'list', '--under-min-isr', '--offline', '--json'], survivors),
  ]);
  assert.equal(warning.code, 1, warning.stdout + warning.stderr);
  const warningLines = warning.stdout.trim().split('\n');
  assert.match(warningLines[0], /^WARNING: 3 under-replicated partitions; 1 broker down or fenced \(2\) \| brokers_up=2 brokers_down=1;0 under_replicated=3;0 offline=0;;0 under_min_isr=0;;0 quorum_max_lag=\d+$/);
  assert.deepEqual(warningLines.slice(1), ['WARNING: 3 under-replicated partitions: orders-0, orders-1, orders-2', 'WARNING: 1 broker down or fenced: 2']);
  const report = JSON.parse(warningJson.stdout);
  assert.deepEqual([report.status, report.brokers, report.underReplicated], ['WARNING', { live: [1, 3], down: [2] }, ['orders-0', 'orders-1', 'orders-2']]);
  assert.equal(underReplicated.code, 0, underReplicated.stderr);
  const listed = JSON.parse(underReplicated.stdout).partitions;
  assert.deepEqual(names(listed), ['orders-0', 'orders-1', 'orders-2']);
  for (const p of listed) {
    assert.deepEqual([p.missingReplicas, p.offlineReplicas, p.isr.length, p.replicas.length], [[2], [2], 2, 3], JSON.stringify(p));
  }
  assert.deepEqual(names(JSON.parse(atMinIsr.stdout).partitions), ['orders-0', 'orders-1', 'orders-2']);
  assert.deepEqual(JSON.parse(underMinIsr.stdout).partitions, []);

  // Node 2 back: in sync again, but the partition it prefers is led elsewhere until elect-leaders.
  await cluster.restart(2);
  const rejoined = await waitForPartitions(cluster.bootstrap, 'orders', 'node 2 is back in every ISR', (ps) => ps.every((p) => p.isr.length === 3));
  const preferredBy2 = rejoined.filter((p) => p.replicas[0] === 2).map((p) => `orders-${p.partition}`);
  assert.equal(preferredBy2.length, 1, JSON.stringify(rejoined));
  assert.ok(rejoined.every((p) => p.leader !== 2), `node 2 leads nothing yet: ${JSON.stringify(rejoined)}`);
  const elected = await kb(['partitions', 'elect-leaders', '--topic', 'orders', '--json']);
  assert.equal(elected.code, 0, elected.stderr);
  const elections = JSON.parse(elected.stdout).elections;
  assert.deepEqual(elections.filter((e: any) => e.result === 'elected').map((e: any) => `${e.topic}-${e.partition}`), preferredBy2);
  assert.ok(elections.filter((e: any) => e.result !== 'elected').every((e: any) => e.result === 'not-needed'), elected.stdout);
  await waitForPartitions(cluster.bootstrap, 'orders', 'every partition is led by its preferred replica', (ps) => ps.every((p) => p.leader === p.replicas[0]));
  const again = await kb(['health']);
  assert.equal(again.code, 0, again.stdout);

  // Node 3 killed: solo's only replica is down -> CRITICAL once it is fenced.
  await cluster.kill(3);
  const left = [1, 2].map((id) => cluster.address(id)).join(',');
  await waitForPartitions(left, 'solo', 'solo has no live leader', (ps) => ps[0].leader === -1);
  await waitForPartitions(left, 'orders', 'node 3 left every ISR', (ps) => ps.every((p) => !p.isr.includes(3) && p.leader !== -1));
  const [critical, offline] = await Promise.all([kb(['health'], left), kb(['partitions', 'list', '--offline', '--json'], left)]);
  assert.equal(critical.code, 2, critical.stdout + critical.stderr);
  const criticalLines = critical.stdout.trim().split('\n');
  assert.match(criticalLines[0], /^CRITICAL: 1 offline partition; 3 under-replicated partitions; 1 broker down or fenced \(3\) \| brokers_up=2 brokers_down=1;0 under_replicated=3;0 offline=1;;0 under_min_isr=0;;0 quorum_max_lag=\d+$/);
  assert.deepEqual(criticalLines.slice(1), [
    'CRITICAL: 1 offline partition: solo-0',
    'WARNING: 3 under-replicated partitions: orders-0, orders-1, orders-2',
    'WARNING: 1 broker down or fenced: 3',
  ]);
  assert.deepEqual(JSON.parse(offline.stdout).partitions.map((p: any) => [p.topic, p.partition, p.leader, p.offlineReplicas]), [['solo', 0, -1, [3]]]);

  // Nothing answers: UNKNOWN within --timeout.
  await Promise.all([cluster.kill(1), cluster.kill(2)]);
  const started = Date.now();
  const unknown = await runKb(['health', '-b', cluster.bootstrap, '--timeout', '3s']);
  assert.equal(unknown.code, 3, unknown.stdout + unknown.stderr);
  assert.match(unknown.stdout, /^UNKNOWN: no broker reachable[^\n]*\n$/);
  assert.ok(Date.now() - started < 15_000);
});

test('auto.leader.rebalance.enable: the active controller returns leadership to a restarted preferred replica by itself', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: { ...fastFailover, 'leader.imbalance.check.interval.seconds': 1 } });
  t.after(() => cluster.stop());
  const created = await runKb(['topic', 'create', 'spread', '--partitions', '3', '--rf', '3', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  await waitForPartitions(cluster.bootstrap, 'spread', 'fully in sync', (ps) => ps.every((p) => p.isr.length === 3));
  await cluster.kill(1);
  const survivors = [2, 3].map((id) => cluster.address(id)).join(',');
  await waitForPartitions(survivors, 'spread', 'node 1 leads nothing', (ps) => ps.every((p) => p.leader !== 1 && p.leader !== -1 && !p.isr.includes(1)));
  await cluster.restart(1);
  await waitForPartitions(cluster.bootstrap, 'spread', 'every partition is led by its preferred replica again', (ps) => ps.every((p) => p.leader === p.replicas[0] && p.isr.length === 3));
});
