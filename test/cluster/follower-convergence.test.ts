/**
 * Followers converge on real clusters: a follower whose process stalls
 * (SIGSTOP) past its replica request timeouts catches up and rejoins the
 * ISR once it runs again; a replica that led a term in which nothing was
 * appended catches up with a later leader that never had that term: one
 * that led it for real, and one that was made leader while stopped and
 * only learned of that term, and of the next, when it ran again (as a
 * stalled node replays the metadata it missed). The leader logs why a
 * replica left the ISR and when it joined again. ISRs are read from nodes
 * that ran throughout: a resumed node answers from its stale metadata.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { partitionsOf, waitForPartitions } from '../helpers/cluster-metadata.ts';
import { createTopicWithAssignment, produceRetrying } from '../helpers/one-shot.ts';
import { Admin } from '../../src/client/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { valuesInLog } from '../helpers/log-values.ts';

const acksAll = -1;


async function produceAll(address: string, topic: string, values: string[]): Promise<void> {
  for (const value of values) assert.equal(await produceRetrying(address, topic, 0, value, acksAll, 30_000), ErrorCode.NONE, `produce ${value}`);
}

const named = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

/** Polls a node's log until `pattern` appears in it. */
async function waitForLogLine(log: () => string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = log().split('\n').find((l) => pattern.test(l));
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`no log line matching ${pattern} within ${timeoutMs} ms:\n${log()}`);
}

test('a replica that led a term without appends catches up with a later leader that never had that term', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  // Replica order [1, 3, 2]: leadership goes to node 3 when node 1 stops, and back to node 1 when node 3 is fenced.
  assert.equal(await createTopicWithAssignment(cluster.address(1), 'terms', [[1, 3, 2]], { 'min.insync.replicas': '2' }), ErrorCode.NONE);
  await waitForPartitions(cluster.bootstrap, 'terms', 'the ISR is full', (ps) => ps[0].isr.length === 3 && ps[0].leader === 1);
  await produceAll(cluster.address(1), 'terms', named('first', 5));

  await cluster.stopNode(1);
  await waitForPartitions(cluster.address(3), 'terms', 'node 3 leads', (ps) => ps[0].leader === 3);
  await cluster.restart(1);
  await waitForPartitions(cluster.address(3), 'terms', 'node 1 is back in the ISR', (ps) => ps[0].isr.length === 3, 60_000);
  // Nothing was appended while node 3 led: node 1 never learns that term. Node 3 keeps it (a restart would drop it from the log end).
  cluster.pause(3);
  const others = [1, 2].map((id) => cluster.address(id)).join(',');
  await waitForPartitions(others, 'terms', 'node 1 leads again', (ps) => ps[0].leader === 1);
  await produceAll(cluster.address(1), 'terms', named('second', 5));

  cluster.resume(3);
  await produceAll(cluster.address(1), 'terms', named('third', 5));
  await waitForPartitions(cluster.address(1), 'terms', 'node 3 has caught up and is back in the ISR', (ps) => ps[0].isr.length === 3, 60_000);
  await waitForLogLine(() => cluster.node(1).log(), /terms-0: replica 3 joins the ISR/);

  const expected = [...named('first', 5), ...named('second', 5), ...named('third', 5)];
  await cluster.stopNode(3);
  assert.deepEqual(await valuesInLog(path.join(cluster.dataDir(3), 'logs', 'terms-0')), expected, "node 3's log is the leader's");
});

test('a follower stalled past its replica request timeouts catches up and rejoins the ISR once it runs again', { timeout: 180_000 }, async (t) => {
  // Replica fetches time out 1.5 s after they are sent (replica.fetch.wait.max.ms 500 + replica.socket.timeout.ms 1000).
  const cluster = await startCluster({ nodes: 3, sets: { ...fastFailover, 'replica.socket.timeout.ms': 1000 } });
  t.after(() => cluster.stop());
  assert.equal(await createTopicWithAssignment(cluster.address(1), 'stall', [[1, 2, 3]], { 'min.insync.replicas': '2' }), ErrorCode.NONE);
  await waitForPartitions(cluster.bootstrap, 'stall', 'the ISR is full', (ps) => ps[0].isr.length === 3 && ps[0].leader === 1);
  await produceAll(cluster.address(1), 'stall', named('before', 5));

  cluster.pause(2);
  const others = [1, 3].map((id) => cluster.address(id)).join(',');
  await waitForPartitions(others, 'stall', 'node 2 leaves the ISR', (ps) => ps[0].isr.length === 2 && !ps[0].isr.includes(2));
  await waitForLogLine(() => cluster.node(1).log(), /stall-0: replica 2 leaves the ISR, now \[1,3\]: fenced/);
  await produceAll(cluster.address(1), 'stall', named('during', 5));

  cluster.resume(2);
  await produceAll(cluster.address(1), 'stall', named('after', 5));
  await waitForPartitions(cluster.address(1), 'stall', 'node 2 has caught up and is back in the ISR', (ps) => ps[0].isr.length === 3, 60_000);
  await waitForLogLine(() => cluster.node(1).log(), /stall-0: replica 2 joins the ISR/);

  const expected = [...named('before', 5), ...named('during', 5), ...named('after', 5)];
  await cluster.stopNode(2);
  assert.deepEqual(await valuesInLog(path.join(cluster.dataDir(2), 'logs', 'stall-0')), expected, "node 2's log is the leader's");
});

test('a follower made leader while stopped, and replaced before it ran again, catches up once it runs', { timeout: 180_000 }, async (t) => {
  // Sessions long enough for an election to reach the stopped node before it is fenced.
  const cluster = await startCluster({ nodes: 3, sets: { ...fastFailover, 'broker.session.timeout.ms': 10_000 } });
  t.after(() => cluster.stop());
  const client = new Cluster({ bootstrap: cluster.nodeIds.map((id) => ({ host: '127.0.0.1', port: cluster.node(id).port })), clientId: 'test', requestTimeoutMs: 10_000, connectTimeoutMs: 2_000 });
  t.after(() => client.close());
  const admin = new Admin(client);
  const { controllerId } = await client.refreshMetadata([]);
  // The node to stop is not the active controller, so elections go on without it.
  const [stopped, ...others] = [...cluster.nodeIds.filter((id) => id !== controllerId), controllerId];
  const running = others.map((id) => cluster.address(id)).join(',');
  assert.equal(await createTopicWithAssignment(cluster.address(others[0]), 'replayed', [[stopped, ...others]], { 'min.insync.replicas': '2' }), ErrorCode.NONE);
  await waitForPartitions(cluster.bootstrap, 'replayed', 'the ISR is full', (ps) => ps[0].isr.length === 3 && ps[0].leader === stopped);
  await produceAll(cluster.address(stopped), 'replayed', named('first', 5));
  // Leadership moves away once: the stopped node is a follower in the ISR that prefers to lead.
  cluster.pause(stopped);
  await waitForPartitions(running, 'replayed', `node ${stopped} is fenced`, (ps) => ps[0].leader !== stopped);
  cluster.resume(stopped);
  await waitForPartitions(running, 'replayed', `node ${stopped} is back in the ISR`, (ps) => ps[0].isr.length === 3, 60_000);

  cluster.pause(stopped);
  const [election] = await admin.electLeaders('preferred', [{ topic: 'replayed', partitions: [0] }]);
  assert.equal(election.errorCode, ErrorCode.NONE, `node ${stopped} is elected while stopped: ${election.errorMessage}`);
  const [moved] = await waitForPartitions(running, 'replayed', `node ${stopped} is fenced and replaced`, (ps) => ps[0].leader !== stopped && ps[0].leader >= 0);
  await produceAll(cluster.address(moved.leader), 'replayed', named('second', 5));

  cluster.resume(stopped);
  await produceAll(cluster.address(moved.leader), 'replayed', named('third', 5));
  await waitForPartitions(running, 'replayed', `node ${stopped} has caught up and is back in the ISR`, (ps) => ps[0].isr.length === 3, 60_000);
  const [partition] = await partitionsOf(running, 'replayed');
  assert.equal(partition.leader, moved.leader);

  const expected = [...named('first', 5), ...named('second', 5), ...named('third', 5)];
  await cluster.stopNode(stopped);
  assert.deepEqual(await valuesInLog(path.join(cluster.dataDir(stopped), 'logs', 'replayed-0')), expected, `node ${stopped}'s log is the leader's`);
});
