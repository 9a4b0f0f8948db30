import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestName } from '../src/closest-name.ts';

test('closestName: a typo gets the nearest name; far names, short words and ties get none', () => {
  const keys = ['num.partitions', 'log.retention.ms', 'log.retention.bytes', 'node.id'];
  assert.equal(closestName('num.partition', keys), 'num.partitions');
  assert.equal(closestName('log.retension.ms', keys), 'log.retention.ms');
  assert.equal(closestName('zookeeper.connect', keys), null, 'nothing close');
  assert.equal(closestName('x', keys), null, 'too short to guess');
  assert.equal(closestName('ab.cd', ['ab.ce', 'ab.cf']), null, 'a tie names neither');
  assert.equal(closestName('a'.repeat(100_000), keys), null, 'a huge name is cut off by length at once');
});
