/**
 * PendingTxnOffsets and markerOf (src/broker/group/txn-offsets.ts): offsets
 * of a producer's transaction wait for its marker in their partition of
 * __consumer_offsets; a commit hands them over in order, an abort drops
 * them; other producers and partitions are untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markerOf, PendingTxnOffsets } from '../../../src/broker/group/txn-offsets.ts';

const record = (n: number) => ({ key: Buffer.from(`k${n}`), value: Buffer.from(`v${n}`) });
const markerKey = (type: number) => {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  return key;
};

test('a commit marker hands the pending records over in order; an abort drops them', () => {
  const pending = new PendingTxnOffsets();
  pending.add(3, 7n, [record(1)], [{ groupId: 'g', topic: 't', partition: 0 }]);
  pending.add(3, 7n, [record(2)], [{ groupId: 'g', topic: 't', partition: 1 }]);
  pending.add(3, 8n, [record(3)], [{ groupId: 'g', topic: 't', partition: 2 }]);
  pending.add(4, 7n, [record(4)], [{ groupId: 'h', topic: 't', partition: 0 }]);
  assert.equal(pending.isPending(3, 'g', 't', 1), true);
  assert.equal(pending.isPending(3, 'g', 'u', 1), false);
  assert.equal(pending.isPending(4, 'g', 't', 0), false);

  assert.deepEqual(pending.complete(3, 7n, true), [record(1), record(2)]);
  assert.equal(pending.isPending(3, 'g', 't', 0), false);
  assert.equal(pending.isPending(3, 'g', 't', 2), true);
  assert.deepEqual(pending.complete(3, 7n, true), [], 'a second marker finds nothing');
  assert.deepEqual(pending.complete(3, 8n, false), []);
  assert.equal(pending.isPending(3, 'g', 't', 2), false);

  pending.forget(4);
  assert.equal(pending.isPending(4, 'h', 't', 0), false);
  assert.deepEqual(pending.complete(4, 7n, true), []);
});

test('markerOf reads commit and abort markers, and nothing else', () => {
  assert.equal(markerOf({ key: markerKey(1) }), true);
  assert.equal(markerOf({ key: markerKey(0) }), false);
  assert.equal(markerOf({ key: markerKey(2) }), null, 'a leader-change control record');
  assert.equal(markerOf({ key: null }), null);
  assert.equal(markerOf({ key: Buffer.alloc(6) }), null);
});
