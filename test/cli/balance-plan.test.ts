import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planBalance, type PartitionAssignment } from '../../src/cli/balance-plan.ts';
import { brokersWithRacks, leaderAndReplicaCounts } from '../helpers/assignments.ts';

const brokers = (...ids: number[]) => ids.map((nodeId) => ({ nodeId, rack: null }));
const topic = (name: string, lists: number[][]): PartitionAssignment[] => lists.map((replicas, partition) => ({ topic: name, partition, replicas }));

function apply(current: PartitionAssignment[], plan: { partitions: PartitionAssignment[] }): PartitionAssignment[] {
  return current.map((p) => plan.partitions.find((q) => q.topic === p.topic && q.partition === p.partition) ?? p);
}
function counts(assignment: PartitionAssignment[], pick: (p: PartitionAssignment) => number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const p of assignment) for (const id of pick(p)) out[id] = (out[id] ?? 0) + 1;
  return out;
}

test('a balanced assignment needs no plan', () => {
  const current = topic('t', [[1, 2], [2, 3], [3, 1]]);
  assert.deepEqual(planBalance(current, brokers(1, 2, 3)), { version: 1, partitions: [] });
});

test('a joining broker gets its share of replicas and preferred leaderships, moving as little as possible', () => {
  const current = topic('t', [[1, 2, 3], [2, 3, 1], [3, 1, 2], [1, 3, 2], [2, 1, 3], [3, 2, 1], [1, 2, 3], [2, 3, 1]]);
  const plan = planBalance(current, brokers(1, 2, 3, 4));
  const after = apply(current, plan);
  assert.deepEqual(counts(after, (p) => p.replicas), { 1: 6, 2: 6, 3: 6, 4: 6 });
  const leaders = Object.values(counts(after, (p) => p.replicas.slice(0, 1)));
  assert.deepEqual([Math.min(...leaders), Math.max(...leaders), leaders.length], [2, 2, 4]);
  for (const p of after) assert.equal(new Set(p.replicas).size, 3, `${p.partition}: distinct replicas`);
  const moved = after.reduce((n, p, i) => n + p.replicas.filter((id) => !current[i].replicas.includes(id)).length, 0);
  assert.equal(moved, 6, 'exactly the 6 replicas broker 4 takes over');
  assert.ok(plan.partitions.every((p) => p.topic === 't' && Array.isArray(p.replicas)));
});

test('replicas on brokers that are not live move to live ones; leaders even out by reordering only', () => {
  const current = topic('t', [[1, 9], [1, 2], [1, 2], [1, 2]]);
  const after = apply(current, planBalance(current, brokers(1, 2)));
  assert.deepEqual(after.map((p) => [...p.replicas].sort()), [[1, 2], [1, 2], [1, 2], [1, 2]]);
  assert.deepEqual(counts(after, (p) => p.replicas.slice(0, 1)), { 1: 2, 2: 2 });
});

test('moves keep a partition on distinct racks where possible', () => {
  const racked = [{ nodeId: 1, rack: 'a' }, { nodeId: 2, rack: 'b' }, { nodeId: 3, rack: 'a' }, { nodeId: 4, rack: 'b' }];
  const current = topic('t', [[1, 2], [2, 1], [1, 2], [2, 1]]);
  const after = apply(current, planBalance(current, racked));
  assert.deepEqual(counts(after, (p) => p.replicas), { 1: 2, 2: 2, 3: 2, 4: 2 });
  const rack = new Map(racked.map((b) => [b.nodeId, b.rack]));
  for (const p of after) assert.notEqual(rack.get(p.replicas[0]), rack.get(p.replicas[1]), `partition ${p.partition} on ${p.replicas}`);
});

// `kb partitions reassign --topic T --to IDS` plans with planBalance over the brokers in --to.
const tally = leaderAndReplicaCounts;
const racked = brokersWithRacks;

test('a topic on 1,2,3 moved to 2,3,4: every partition on 2,3,4, leaders spread evenly', () => {
  const current = topic('orders', [[1, 2, 3], [2, 3, 1], [3, 1, 2], [1, 3, 2], [2, 1, 3], [3, 2, 1]]);
  const plan = apply(current, planBalance(current, racked([2, 3, 4])));
  assert.equal(plan.length, 6);
  for (const e of plan) assert.deepEqual([...e.replicas].sort(), [2, 3, 4]);
  assert.deepEqual([...tally(plan.map((e) => e.replicas)).leaders.values()].sort(), [2, 2, 2]);
});

test('replication factor kept; replicas and leaders even over more brokers; partitions already in place mostly stay', () => {
  const current = Array.from({ length: 12 }, (_, p) => [1 + (p % 3), 1 + ((p + 1) % 3)]);
  const plan = apply(topic('t', current), planBalance(topic('t', current), racked([1, 2, 3, 4])));
  const { leaders, replicas } = tally(plan.map((e) => e.replicas));
  assert.deepEqual([...leaders.values()], [3, 3, 3, 3]);
  assert.deepEqual([...replicas.values()], [6, 6, 6, 6]);
  for (const e of plan) assert.equal(e.replicas.length, 2);
  const moved = plan.reduce((n, e, p) => n + e.replicas.filter((id) => !current[p].includes(id)).length, 0);
  assert.ok(moved <= 12, `at most half of the 24 replicas move, ${moved} did`);
});

test('racks: every partition spans both racks', () => {
  const current = topic('t', Array.from({ length: 8 }, () => [1, 2]));
  const plan = apply(current, planBalance(current, racked([1, 2, 3, 4], (id) => (id % 2 ? 'a' : 'b'))));
  for (const e of plan) assert.notEqual(e.replicas[0] % 2, e.replicas[1] % 2, `racks of ${e.replicas}`);
});

test('more replicas than target brokers is an error, before anything is planned', () => {
  assert.throws(() => planBalance(topic('t', [[1, 2, 3]]), racked([4, 5])), /topic 't' has 3 replicas per partition but only 2 target broker/);
  assert.throws(() => planBalance([...topic('a', [[1]]), ...topic('b', [[1, 2, 3]])], racked([1, 2])), /topic 'b' has 3 replicas/);
});
