/**
 * ISR rules on real clusters: a paused leader (SIGSTOP past the session
 * timeout) is fenced and cannot acknowledge writes with its stale epoch,
 * and once resumed truncates to the new leader's log and follows it; with
 * two replicas down and min.insync.replicas=2, acks=all produce fails with
 * NOT_ENOUGH_REPLICAS and nothing is lost when they return. Records are
 * read back with kcat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { partitionsOf, waitForPartitions } from '../helpers/cluster-metadata.ts';
import { createTopicWithAssignment, produceOne, produceRetrying } from '../helpers/one-shot.ts';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { valuesInLog } from '../helpers/log-values.ts';

const acksAll = -1;


test('a paused leader is fenced, cannot acknowledge with its stale epoch, and truncates and follows once resumed', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  assert.equal(await createTopicWithAssignment(cluster.address(1), 'paused', [[1, 2, 3]], { 'min.insync.replicas': '2' }), ErrorCode.NONE);
  await waitForPartitions(cluster.bootstrap, 'paused', 'the ISR is full', (ps) => ps[0].isr.length === 3 && ps[0].leader === 1);
  for (let i = 0; i < 5; i++) assert.equal(await produceRetrying(cluster.address(1), 'paused', 0, `before-${i}`, acksAll), ErrorCode.NONE);

  cluster.pause(1);
  const others = [2, 3].map((id) => cluster.address(id)).join(',');
  const [moved] = await waitForPartitions(others, 'paused', 'a new leader is elected', (ps) => ps[0].leader === 2 || ps[0].leader === 3, 30_000);
  for (let i = 0; i < 5; i++) assert.equal(await produceRetrying(cluster.address(moved.leader), 'paused', 0, `after-${i}`, acksAll), ErrorCode.NONE);

  cluster.resume(1);
  const stale = await produceOne(cluster.address(1), 'paused', 0, 'stale', acksAll, 3_000);
  assert.notEqual(stale, ErrorCode.NONE, 'the resumed old leader does not acknowledge an acks=all write');
  // Asked of nodes that kept running: a resumed node answers from its own view until it has caught up.
  await waitForPartitions(others, 'paused', 'node 1 is back in the ISR', (ps) => ps[0].isr.includes(1) && ps[0].isr.length === 3, 30_000);

  const expected = [...Array.from({ length: 5 }, (_, i) => `before-${i}`), ...Array.from({ length: 5 }, (_, i) => `after-${i}`)];
  const read = (await kcatConsumeAll(cluster.bootstrap, 'paused')).map((r) => r.value);
  assert.deepEqual(read, expected, 'consumers see every acknowledged record once, and not the stale write');
  await cluster.stopNode(1);
  assert.deepEqual(await valuesInLog(path.join(cluster.dataDir(1), 'logs', 'paused-0')), expected, "node 1's own log was truncated to the new leader's");
});

test('with two replicas down acks=all fails with NOT_ENOUGH_REPLICAS, and nothing is lost when they return', { timeout: 150_000 }, async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  // Five voters, so the metadata quorum survives two of them down.
  const cluster = await startCluster({ nodes: 5, sets: fastFailover });
  t.after(() => cluster.stop());
  assert.equal(await createTopicWithAssignment(cluster.address(1), 'minisr', [[1, 2, 3]], { 'min.insync.replicas': '2' }), ErrorCode.NONE);
  await waitForPartitions(cluster.bootstrap, 'minisr', 'the ISR is full', (ps) => ps[0].isr.length === 3 && ps[0].leader === 1);
  for (let i = 0; i < 5; i++) assert.equal(await produceRetrying(cluster.address(1), 'minisr', 0, `first-${i}`, acksAll), ErrorCode.NONE);

  await cluster.kill(2);
  await cluster.kill(3);
  await waitForPartitions(cluster.address(1), 'minisr', 'the ISR shrinks to the leader', (ps) => ps[0].isr.length === 1 && ps[0].leader === 1, 30_000);
  assert.equal(await produceOne(cluster.address(1), 'minisr', 0, 'refused', acksAll), ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(await produceOne(cluster.address(1), 'minisr', 0, 'one-ack', 1), ErrorCode.NONE, 'acks=1 is still taken');

  await cluster.restart(2);
  await cluster.restart(3);
  await waitForPartitions(cluster.bootstrap, 'minisr', 'the returning replicas rejoin the ISR', (ps) => ps[0].isr.length === 3, 60_000);
  assert.equal(await produceRetrying(cluster.address(1), 'minisr', 0, 'last', acksAll), ErrorCode.NONE);
  const [partition] = await partitionsOf(cluster.bootstrap, 'minisr');
  assert.equal(partition.leader, 1);

  const read = (await kcatConsumeAll(cluster.bootstrap, 'minisr')).map((r) => r.value);
  assert.deepEqual(read, [...Array.from({ length: 5 }, (_, i) => `first-${i}`), 'one-ack', 'last']);
});
