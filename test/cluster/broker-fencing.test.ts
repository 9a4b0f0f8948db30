/**
 * Broker liveness on a real 3-node cluster: placement spreads leaders, a
 * paused broker (SIGSTOP: its connections stay open, its address still
 * accepts) is fenced after broker.session.timeout.ms, not before, and its
 * partitions get new leaders from their ISRs; resumed, it heartbeats again
 * and is unfenced; and a broker stopped with SIGTERM hands its
 * leaderships over before it exits (controlled shutdown, no session wait).
 * (A broker killed with -9 is fenced at once: fast-failover.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { partitionsOf, waitForPartitions } from '../helpers/cluster-metadata.ts';
import { runKb } from '../helpers/cli.ts';
import { Cluster } from '../../src/client/cluster.ts';

async function liveBrokers(bootstrap: string): Promise<number[]> {
  const cluster = new Cluster({ bootstrap: bootstrap.split(',').map((a) => ({ host: a.split(':')[0], port: Number(a.split(':')[1]) })), clientId: 'kb-fencing-test' });
  try {
    return [...(await cluster.refreshMetadata([])).brokers.keys()].sort();
  } finally {
    cluster.close();
  }
}

test('a paused broker is fenced after its session timeout and its leaderships move; resumed, it is unfenced; SIGTERM moves them before exiting', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  const created = await runKb(['topic', 'create', 'spread', '--partitions', '6', '--rf', '3', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  const initial = await waitForPartitions(cluster.bootstrap, 'spread', 'every partition has 3 in-sync replicas', (ps) => ps.length === 6 && ps.every((p) => p.isr.length === 3));
  for (const id of cluster.nodeIds) assert.equal(initial.filter((p) => p.leader === id).length, 2, `node ${id} leads 2 of 6: ${JSON.stringify(initial)}`);

  // SIGSTOP: nothing happens until the session expires, then the partitions it led move within the ISR.
  const victim = 3;
  const led = initial.filter((p) => p.leader === victim).map((p) => p.partition);
  const pausedAt = Date.now();
  cluster.pause(victim);
  const survivors = [1, 2].map((id) => cluster.address(id)).join(',');
  const moved = await waitForPartitions(survivors, 'spread', `node ${victim}'s partitions have new leaders`, (ps) => ps.every((p) => p.leader !== victim && p.leader !== -1));
  const elapsed = Date.now() - pausedAt;
  assert.ok(elapsed >= fastFailover['broker.session.timeout.ms'] - 500, `fenced after the session timeout, not before (${elapsed} ms)`);
  for (const p of moved) {
    assert.ok(!p.isr.includes(victim), `partition ${p.partition} ISR ${p.isr} without the fenced broker`);
    if (led.includes(p.partition)) assert.equal(p.leaderEpoch, initial[p.partition].leaderEpoch + 1);
  }
  assert.deepEqual(await liveBrokers(survivors), [1, 2]);

  cluster.resume(victim);
  // Its unfencing is committed once it has registered again and caught up; the nodes that kept running answer
  // (a resumed node answers from its own view until it has caught up).
  const deadline = Date.now() + 15_000;
  let live = await liveBrokers(survivors);
  while (live.length !== 3 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    live = await liveBrokers(survivors);
  }
  assert.deepEqual(live, [1, 2, 3], 'unfenced again');
  await waitForPartitions(survivors, 'spread', `node ${victim} is back in every ISR`, (ps) => ps.every((p) => p.isr.length === 3), 60_000);

  // SIGTERM: the leaderships of the stopping broker are gone by the time it has exited.
  const stopping = (await partitionsOf(survivors, 'spread')).find((p) => p.leader !== -1)!.leader;
  const stoppedAt = Date.now();
  await cluster.node(stopping).stop();
  const remaining = cluster.nodeIds.filter((id) => id !== stopping).map((id) => cluster.address(id)).join(',');
  const after = await partitionsOf(remaining, 'spread');
  assert.ok(Date.now() - stoppedAt < fastFailover['broker.session.timeout.ms'], 'no wait for the session timeout');
  assert.ok(after.length === 6 && after.every((p) => p.leader !== stopping && p.leader !== -1), `led elsewhere right after the stop: ${JSON.stringify(after)}`);
});
