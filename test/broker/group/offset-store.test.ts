import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OffsetStore, groupRecord, offsetRecord, partitionForGroup, type CommittedOffset } from '../../../src/broker/group/offset-store.ts';
import type { GroupSnapshot } from '../../../src/broker/group/group.ts';

function committed(offset: bigint, overrides: Partial<CommittedOffset> = {}): CommittedOffset {
  return { offset, leaderEpoch: 3, metadata: 'meta', commitTimestampMs: 1_000, expireTimestampMs: null, ...overrides };
}

function apply(store: OffsetStore, record: { key?: Buffer | null; value: Buffer | null }): void {
  store.apply(record.key ?? null, record.value);
}

function snapshot(groupId: string, state: GroupSnapshot['state'], stateChangedAtMs = 5_000): GroupSnapshot {
  return {
    groupId,
    state,
    stateChangedAtMs,
    generationId: 4,
    protocolType: 'consumer',
    protocolName: 'range',
    leaderId: null,
    members: [],
  };
}

test("a group's partition is Kafka's: abs(Java hashCode) modulo the partition count", () => {
  assert.equal(partitionForGroup('', 50), 0);
  assert.equal(partitionForGroup('a', 50), 97 % 50);
  assert.equal(partitionForGroup('ab', 50), (97 * 31 + 98) % 50);
  // Java's "polygenelubricants".hashCode() is Integer.MIN_VALUE, which Kafka's Utils.abs maps to 0.
  assert.equal(partitionForGroup('polygenelubricants', 50), 0);
  // Values from Java (jshell): "my-group".hashCode() = -1906497762, "billing-consumers".hashCode() = 2045010539.
  assert.equal(partitionForGroup('my-group', 50), 1906497762 % 50);
  assert.equal(partitionForGroup('billing-consumers', 50), 2045010539 % 50);
});

test('commits replayed in order keep the latest per partition; a tombstone removes one', () => {
  const store = new OffsetStore();
  apply(store, offsetRecord('g', 't', 0, committed(5n)));
  apply(store, offsetRecord('g', 't', 0, committed(9n, { metadata: '' })));
  apply(store, offsetRecord('g', 't', 1, committed(2n ** 62n)));
  apply(store, offsetRecord('g', 'u', 0, committed(1n)));
  assert.deepEqual(store.get('g', 't', 0), committed(9n, { metadata: '' }));
  assert.equal(store.get('g', 't', 1)!.offset, 2n ** 62n, 'int64 offsets survive the encoding');
  assert.deepEqual(store.partitionsOf('g'), [
    { topic: 't', partition: 0 },
    { topic: 't', partition: 1 },
    { topic: 'u', partition: 0 },
  ]);

  apply(store, offsetRecord('g', 't', 1, null));
  apply(store, offsetRecord('g', 'u', 0, null));
  assert.equal(store.get('g', 't', 1), undefined);
  assert.deepEqual(store.partitionsOf('g'), [{ topic: 't', partition: 0 }]);
  apply(store, offsetRecord('g', 't', 0, null));
  assert.equal(store.hasOffsets('g'), false, 'a group without offsets is forgotten');
});

test('equal facts encode to equal keys (so compaction keeps only the latest)', () => {
  assert.deepEqual(offsetRecord('g', 't', 3, committed(1n)).key, offsetRecord('g', 't', 3, null).key);
  assert.notDeepEqual(offsetRecord('g', 't', 3, null).key, offsetRecord('g', 't', 4, null).key);
  assert.deepEqual(groupRecord(snapshot('g', 'Stable')).key, groupRecord(snapshot('g', 'Dead')).key);
  assert.equal(groupRecord(snapshot('g', 'Dead')).value, null, "a Dead group's record is a tombstone");
});

test("group records keep the group's last state until its tombstone", () => {
  const store = new OffsetStore();
  apply(store, groupRecord(snapshot('g', 'Stable', 10)));
  apply(store, groupRecord(snapshot('g', 'Empty', 20)));
  assert.deepEqual(store.storedGroup('g'), { state: 'Empty', stateChangedAtMs: 20 });
  apply(store, offsetRecord('h', 't', 0, committed(1n)));
  assert.deepEqual([...store.groupIds()].sort(), ['g', 'h']);
  apply(store, groupRecord(snapshot('g', 'Dead')));
  assert.equal(store.storedGroup('g'), undefined);
  assert.deepEqual([...store.groupIds()], ['h']);
});

test('records that are not ours are counted and skipped', () => {
  const store = new OffsetStore();
  store.apply(null, Buffer.from('x'));
  store.apply(Buffer.from('not msgpack at all \xff'), Buffer.from('x'));
  store.apply(offsetRecord('g', 't', 0, null).key!, Buffer.from([0xc1]));
  assert.equal(store.ignoredRecords, 3);
  assert.deepEqual([...store.groupIds()], []);
});

test('offset expiry: from when the group emptied, from the commit for member-less groups, or at an explicit time', () => {
  const store = new OffsetStore();
  const retentionMs = 1_000;
  apply(store, offsetRecord('g', 't', 0, committed(1n, { commitTimestampMs: 100 })));
  apply(store, offsetRecord('g', 't', 1, committed(1n, { commitTimestampMs: 100, expireTimestampMs: 500 })));
  assert.deepEqual(store.expiredOffsets('g', 499, retentionMs, undefined), []);
  assert.deepEqual(store.expiredOffsets('g', 500, retentionMs, undefined), [{ topic: 't', partition: 1 }], 'an explicit expire time wins');
  assert.deepEqual(store.expiredOffsets('g', 1_100, retentionMs, undefined), [
    { topic: 't', partition: 0 },
    { topic: 't', partition: 1 },
  ]);
  assert.deepEqual(store.expiredOffsets('g', 1_100, retentionMs, 800), [{ topic: 't', partition: 1 }], 'a group emptied at 800 keeps its offsets until 1800');
  assert.equal(store.expiredOffsets('g', 1_800, retentionMs, 800).length, 2);
});
