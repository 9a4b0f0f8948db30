import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brokersWithRacks, leaderAndReplicaCounts } from '../helpers/assignments.ts';
import { placeReplicas, rackAlternating } from '../../src/controller/placement.ts';

const brokers = brokersWithRacks;
const counts = leaderAndReplicaCounts;

test('rack-alternating order takes one broker of each rack in turn', () => {
  const order = rackAlternating(brokers([6, 1, 2, 3, 4, 5], (id) => (id <= 2 ? 'a' : id <= 4 ? 'b' : 'c')));
  assert.deepEqual(order.map((b) => b.nodeId), [1, 3, 5, 2, 4, 6]);
  assert.deepEqual(rackAlternating(brokers([3, 1, 2])).map((b) => b.nodeId), [1, 2, 3], 'without racks: by node id');
});

test('without racks, leaders and replicas spread evenly and each partition has distinct replicas', () => {
  for (const start of [0, 1, 3]) {
    const lists = placeReplicas(brokers([1, 2, 3, 4, 5]), 100, 3, { firstPartition: 0, startIndex: start, shift: start });
    assert.equal(lists.length, 100);
    for (const list of lists) assert.equal(new Set(list).size, 3, `distinct replicas: ${list}`);
    const { leaders, replicas } = counts(lists);
    assert.deepEqual([...leaders.values()], [20, 20, 20, 20, 20]);
    for (const [id, n] of replicas) assert.ok(n >= 58 && n <= 62, `broker ${id} holds ${n} replicas, ~60 expected`);
  }
});

test('followers vary: not every partition led by a broker has the same followers', () => {
  const lists = placeReplicas(brokers([1, 2, 3, 4]), 16, 2, { firstPartition: 0, startIndex: 0, shift: 0 });
  const followersOf1 = new Set(lists.filter((l) => l[0] === 1).map((l) => l[1]));
  assert.ok(followersOf1.size > 1, `broker 1's partitions followed by ${[...followersOf1]}`);
});

test('with racks, each partition spans distinct racks and brokers stay balanced', () => {
  const rackOf = (id: number) => `r${id % 3}`;
  const lists = placeReplicas(brokers([1, 2, 3, 4, 5, 6], rackOf), 60, 3, { firstPartition: 0, startIndex: 2, shift: 1 });
  for (const list of lists) assert.equal(new Set(list.map(rackOf)).size, 3, `racks of ${list}`);
  const { leaders, replicas } = counts(lists);
  assert.deepEqual([...leaders.values()], [10, 10, 10, 10, 10, 10]);
  for (const [id, n] of replicas) assert.ok(n >= 27 && n <= 33, `broker ${id} holds ${n} replicas, ~30 expected`);
});

test('more replicas than racks: racks are used evenly before any repeats', () => {
  const rackOf = (id: number) => (id <= 3 ? 'a' : 'b');
  for (const list of placeReplicas(brokers([1, 2, 3, 4, 5, 6], rackOf), 12, 4, { firstPartition: 0, startIndex: 0, shift: 0 })) {
    assert.equal(new Set(list).size, 4);
    assert.equal(list.filter((id) => rackOf(id) === 'a').length, 2, `two per rack: ${list}`);
  }
  const uneven = (id: number) => (id === 1 ? 'a' : 'b');
  for (const list of placeReplicas(brokers([1, 2, 3, 4], uneven), 8, 4, { firstPartition: 0, startIndex: 1, shift: 2 })) {
    assert.deepEqual([...list].sort(), [1, 2, 3, 4], 'a small rack does not block filling the list');
  }
});

test('new partitions continue the rotation from the first new index', () => {
  const all = placeReplicas(brokers([1, 2, 3]), 6, 2, { firstPartition: 0, startIndex: 1, shift: 0 });
  const added = placeReplicas(brokers([1, 2, 3]), 3, 2, { firstPartition: 3, startIndex: 1, shift: 0 });
  assert.deepEqual(added, all.slice(3));
  assert.throws(() => placeReplicas(brokers([1, 2]), 1, 3, { firstPartition: 0, startIndex: 0, shift: 0 }));
});
