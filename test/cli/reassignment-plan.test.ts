import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPlan, parsePlan } from '../../src/cli/reassignment-plan.ts';

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
