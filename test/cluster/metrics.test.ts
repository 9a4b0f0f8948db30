/**
 * Cluster-wide metrics on a real 3-node cluster with one node killed: the
 * under-replicated partitions the live brokers report add up to those the
 * metadata shows (led, ISR smaller than the replicas), the active
 * controller alone reports the partitions left without a leader, and only
 * it reports kb_active_controller 1. The ISR shrinks are counted by the
 * leaders that made them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { partitionsOf, waitForPartitions } from '../helpers/cluster-metadata.ts';
import { runKb } from '../helpers/cli.ts';
import { metricsUrl, scrape, type Scrape } from '../helpers/metrics.ts';

test('with a node killed, the live brokers report the under-replicated and offline partitions the metadata shows', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: fastFailover, args: ['--metrics-listen', '127.0.0.1:0'] });
  t.after(() => cluster.stop());
  const urls = new Map(cluster.nodeIds.map((id) => [id, metricsUrl(cluster.node(id).log())]));
  for (const [topic, rf] of [['replicated', '3'], ['single', '1']]) {
    const created = await runKb(['topic', 'create', topic, '--partitions', '3', '--rf', rf, '-b', cluster.bootstrap]);
    assert.equal(created.code, 0, created.stderr);
  }
  await waitForPartitions(cluster.bootstrap, 'replicated', 'every partition has 3 in-sync replicas', (ps) => ps.length === 3 && ps.every((p) => p.isr.length === 3));
  const healthy = await Promise.all(cluster.nodeIds.map((id) => scrape(urls.get(id)!)));
  assert.equal(sum(healthy, 'kb_under_replicated_partitions'), 0);
  assert.equal(sum(healthy, 'kb_offline_partitions'), 0);
  assert.equal(sum(healthy, 'kb_active_controller'), 1);
  assert.equal(sum(healthy, 'kb_partitions'), 3 * 3 + 3, 'every node holds the 3 replicated partitions; the single ones are spread');

  const victim = 3;
  const single = await partitionsOf(cluster.bootstrap, 'single');
  assert.equal(single.filter((p) => p.replicas[0] === victim).length, 1, `one single-replica partition on node ${victim}: ${JSON.stringify(single)}`);
  await cluster.kill(victim);
  const live = [1, 2];
  const survivors = live.map((id) => cluster.address(id)).join(',');
  await waitForPartitions(survivors, 'replicated', `node ${victim} left every ISR`, (ps) => ps.every((p) => !p.isr.includes(victim)));
  const offline = await waitForPartitions(survivors, 'single', `the partition on node ${victim} is offline`, (ps) => ps.some((p) => p.leader === -1));

  // Metadata and metrics converge: poll until the live brokers' metrics agree with what the metadata shows.
  const view = [...(await partitionsOf(survivors, 'replicated')), ...offline];
  const underReplicated = view.filter((p) => p.leader !== -1 && p.isr.length < p.replicas.length).length;
  const leaderless = view.filter((p) => p.leader === -1).length;
  assert.equal(underReplicated, 3, `every replicated partition lost a replica: ${JSON.stringify(view)}`);
  assert.equal(leaderless, 1);
  let scrapes: Scrape[] = [];
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    scrapes = await Promise.all(live.map((id) => scrape(urls.get(id)!)));
    if (sum(scrapes, 'kb_under_replicated_partitions') === underReplicated && sum(scrapes, 'kb_offline_partitions') === leaderless) break;
    await sleep(200);
  }
  const report = live.map((id, i) => `node ${id}: ${['kb_under_replicated_partitions', 'kb_offline_partitions', 'kb_active_controller'].map((n) => `${n}=${scrapes[i].value(n)}`).join(' ')}`).join('\n');
  assert.equal(sum(scrapes, 'kb_under_replicated_partitions'), underReplicated, report);
  assert.equal(sum(scrapes, 'kb_offline_partitions'), leaderless, report);
  const controllers = live.filter((_, i) => scrapes[i].value('kb_active_controller') === 1);
  assert.equal(controllers.length, 1, report);
  for (const [i, id] of live.entries()) {
    if (id !== controllers[0]) assert.equal(scrapes[i].value('kb_offline_partitions'), 0, `only the controller reports offline partitions\n${report}`);
  }
  assert.ok(sum(scrapes, 'kb_isr_shrinks_total') >= 1, `the leaders counted the shrinks\n${report}`);
});

function sum(scrapes: Scrape[], name: string): number {
  return scrapes.reduce((total, s) => total + s.value(name), 0);
}
