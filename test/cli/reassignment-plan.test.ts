import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brokersWithRacks, leaderAndReplicaCounts } from '../helpers/assignments.ts';
import { addedReplicas, balancedPlan, formatPlan, parsePlan, type PlanTopic } from '../../src/cli/reassignment-plan.ts';

const topic = (name: string, lists: number[][]): PlanTopic => ({ name, partitions: lists.map((replicas, partition) => ({ partition, replicas })) });
const brokers = brokersWithRacks;
const tally = leaderAndReplicaCounts;

test('a topic on 1,2,3 moved to 2,3,4: every partition on 2,3,4, leaders spread evenly', () => {
  const plan = balancedPlan([topic('orders', [[1, 2, 3], [2, 3, 1], [3, 1, 2], [1, 3, 2], [2, 1, 3], [3, 2, 1]])], brokers([2, 3, 4]));
  assert.equal(plan.length, 6);
  for (const e of plan) assert.deepEqual([...e.replicas].sort(), [2, 3, 4]);
  assert.deepEqual([...tally(plan.map((e) => e.replicas)).leaders.values()].sort(), [2, 2, 2]);
});

test('replication factor kept; replicas and leaders even over more brokers; partitions already in place mostly stay', () => {
  const current = Array.from({ length: 12 }, (_, p) => [1 + (p % 3), 1 + ((p + 1) % 3)]);
  const plan = balancedPlan([topic('t', current)], brokers([1, 2, 3, 4]));
  const { leaders, replicas } = tally(plan.map((e) => e.replicas));
  assert.deepEqual([...leaders.values()], [3, 3, 3, 3]);
  assert.deepEqual([...replicas.values()], [6, 6, 6, 6]);
  for (const e of plan) assert.equal(e.replicas.length, 2);
  const moved = plan.reduce((n, e, p) => n + addedReplicas(current[p], e.replicas).length, 0);
  assert.ok(moved <= 12, `at most half of the 24 replicas move, ${moved} did`);
});

test('racks: every partition spans both racks', () => {
  const plan = balancedPlan([topic('t', Array.from({ length: 8 }, () => [1, 2]))], brokers([1, 2, 3, 4], (id) => (id % 2 ? 'a' : 'b')));
  for (const e of plan) assert.notEqual(e.replicas[0] % 2, e.replicas[1] % 2, `racks of ${e.replicas}`);
});

test('more replicas than target brokers is an error', () => {
  assert.throws(() => balancedPlan([topic('t', [[1, 2, 3]])], brokers([4, 5])), /3 replicas per partition but only 2 target broker/);
});

test('plan JSON round trip, Kafka shape, and readable errors', () => {
  const entries = [{ topic: 'a', partition: 0, replicas: [2, 3] }, { topic: 'b.c', partition: 5, replicas: [4] }];
  const text = formatPlan(entries);
  assert.deepEqual(JSON.parse(text), { version: 1, partitions: entries });
  assert.deepEqual(parsePlan(text), entries);
  assert.deepEqual(parsePlan('{"version":1,"partitions":[{"topic":"a","partition":1,"replicas":[1],"log_dirs":["any"]}]}'), [{ topic: 'a', partition: 1, replicas: [1] }]);
  assert.throws(() => parsePlan('{'), /not JSON/);
  assert.throws(() => parsePlan('{"version":2,"partitions":[]}'), /expected \{"version":1/);
  assert.throws(() => parsePlan('{"version":1,"partitions":[{"topic":"a","partition":-1,"replicas":[1]}]}'), /partitions\[0\]: "partition"/);
  assert.throws(() => parsePlan('{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[]}]}'), /"replicas" must be/);
  assert.throws(() => parsePlan('{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1,1]}]}'), /repeats/);
  assert.throws(() => parsePlan('{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1]},{"topic":"a","partition":0,"replicas":[2]}]}'), /a\/0 appears twice/);
});
