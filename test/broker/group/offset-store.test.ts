import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packr } from 'msgpackr';
import { OffsetStore, partitionForGroup } from '../../../src/broker/group/offset-store.ts';
import { groupRecord, offsetRecord, type CommittedOffset } from '../../../src/broker/group/offset-records.ts';
import type { GroupSnapshot } from '../../../src/broker/group/group.ts';
import type { RecordInput } from '../../../src/protocol/records/record-batch.ts';

function committed(offset: bigint, overrides: Partial<CommittedOffset> = {}): CommittedOffset {
  return { offset, leaderEpoch: 3, metadata: 'meta', commitTimestampMs: 1_000, expireTimestampMs: null, ...overrides };
}

function apply(store: OffsetStore, record: { key?: Buffer | null; value: Buffer | null }): void {
  store.apply(record.key ?? null, record.value);
}

const member: GroupSnapshot['members'][number] = {
  memberId: 'm-1',
  groupInstanceId: null,
  clientId: 'c',
  clientHost: '/127.0.0.1',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 30_000,
  metadata: Buffer.from([0, 1]),
  assignment: Buffer.from([0, 2]),
};

/** A group snapshot; Empty and Dead groups have no members, others one. */
function snapshot(groupId: string, state: GroupSnapshot['state'], stateChangedAtMs = 5_000): GroupSnapshot {
  const empty = state === 'Empty' || state === 'Dead';
  return {
    groupId,
    state,
    stateChangedAtMs,
    generationId: 4,
    protocolType: 'consumer',
    protocolName: empty ? null : 'range',
    leaderId: empty ? null : member.memberId,
    members: empty ? [] : [member],
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
  apply(store, groupRecord(snapshot('g', 'Stable', 30)));
  assert.deepEqual(store.storedGroup('g'), { state: 'Stable', stateChangedAtMs: 30 }, 'a group stored with members comes back as not Empty');
  apply(store, groupRecord(snapshot('g', 'Empty', 20)));
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

test("records are Kafka's: an int16 record type before the key, an int16 version before the value, as Burrow reads them", () => {
  const commit = offsetRecord('g', 't', 2, committed(7n, { commitTimestampMs: 1_000 }));
  // type 1, then OffsetCommitKey v0: string "g", string "t", int32 2
  assert.equal(commit.key!.toString('hex'), '0001' + '000167' + '000174' + '00000002');
  // version 3: offset, leader epoch, metadata, commit timestamp
  assert.equal(commit.value!.toString('hex'), '0003' + '0000000000000007' + '00000003' + '00046d657461' + '00000000000003e8');
  const expiring = offsetRecord('g', 't', 2, committed(7n, { commitTimestampMs: 1_000, expireTimestampMs: 2_000 }));
  // version 1 when the commit has its own expiry: offset, metadata, commit and expire timestamps
  assert.equal(expiring.value!.toString('hex'), '0001' + '0000000000000007' + '00046d657461' + '00000000000003e8' + '00000000000007d0');
  const group = groupRecord(snapshot('g', 'Stable', 30));
  assert.equal(group.key!.toString('hex'), '0002' + '000167');
  assert.equal(group.value!.readInt16BE(0), 3, 'GroupMetadataValue v3');
});

/** kb's records before it wrote Kafka's schemas, encoded as it encoded them. */
const legacyPackr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'bigint' });

function legacyOffset(groupId: string, topic: string, partition: number, value: CommittedOffset | null): RecordInput {
  return { key: legacyPackr.pack([1, groupId, topic, partition]), value: value === null ? null : legacyPackr.pack(value) };
}

function legacyGroup(group: GroupSnapshot): RecordInput {
  return { key: legacyPackr.pack([2, group.groupId]), value: group.state === 'Dead' ? null : legacyPackr.pack(group) };
}

/** What compaction keeps: the latest record of each key, in log order. */
function compacted(records: RecordInput[]): RecordInput[] {
  const latest = new Map<string, number>();
  records.forEach((record, i) => latest.set(record.key!.toString('hex'), i));
  return records.filter((record, i) => latest.get(record.key!.toString('hex')) === i);
}

function replayed(records: RecordInput[]): OffsetStore {
  const store = new OffsetStore();
  for (const record of records) apply(store, record);
  return store;
}

function view(store: OffsetStore): unknown {
  return [...store.groupIds()].sort().map((groupId) => [groupId, store.storedGroup(groupId), store.offsetsOf(groupId)]);
}

test('records of the earlier msgpack format are read, rewritten in Kafka format once, and compaction then drops them', () => {
  const log: RecordInput[] = [
    legacyOffset('g', 't', 0, committed(5n)),
    legacyOffset('g', 't', 0, committed(9n)),
    legacyOffset('g', 't', 1, committed(3n, { expireTimestampMs: 9_000, leaderEpoch: -1 })),
    legacyOffset('g', 'gone', 0, committed(1n)),
    legacyOffset('g', 'gone', 0, null),
    legacyGroup(snapshot('g', 'Stable', 10)),
    legacyGroup(snapshot('g', 'Empty', 20)),
    legacyOffset('h', 't', 0, committed(4n)),
    legacyGroup(snapshot('h', 'Empty', 20)),
    legacyGroup(snapshot('h', 'Dead')),
    // a commit in Kafka's format after the legacy one wins, and is not rewritten
    legacyOffset('k', 't', 0, committed(1n)),
    offsetRecord('k', 't', 0, committed(2n)),
  ];
  const store = replayed(log);
  assert.equal(store.ignoredRecords, 0);
  assert.deepEqual(store.get('g', 't', 0), committed(9n));
  assert.deepEqual(store.get('g', 't', 1), committed(3n, { expireTimestampMs: 9_000, leaderEpoch: -1 }));
  assert.equal(store.get('g', 'gone', 0), undefined, 'a legacy tombstone removes a legacy offset');
  assert.deepEqual(store.storedGroup('g'), { state: 'Empty', stateChangedAtMs: 20 });
  assert.equal(store.storedGroup('h'), undefined, 'a legacy tombstone removes a legacy group');
  assert.deepEqual(store.get('k', 't', 0), committed(2n));
  const before = view(store);

  const upgrade = store.legacyUpgrade(() => true);
  assert.deepEqual([...upgrade.keys()].sort(), ['g', 'h', 'k']);
  const rewritten = [...upgrade.values()].flat(2);
  for (const record of rewritten) apply(store, record);
  assert.deepEqual(view(store), before, 'applying the upgrade changes nothing');
  assert.equal(store.legacyUpgrade(() => true).size, 0, 'the upgrade is done once');
  assert.equal(store.legacyUpgrade((groupId) => groupId === 'g').size, 0);

  const upgradedLog = [...log, ...rewritten];
  assert.deepEqual(view(replayed(upgradedLog)), before, 'replaying the upgraded log');
  const remaining = compacted(upgradedLog).filter((record) => record.value !== null);
  assert.ok(remaining.every((record) => record.key![0] === 0), 'after compaction only Kafka-format records hold values');
  // Compaction keeps the legacy tombstones a while without their values: they remove nothing.
  assert.deepEqual(view(replayed(compacted(upgradedLog))), before, 'replaying the compacted log');
  const tombstonesDropped = compacted(upgradedLog).filter((record) => record.key![0] === 0);
  assert.deepEqual(view(replayed(tombstonesDropped)), before, 'replaying it once the legacy tombstones are gone too');
});

test('the upgrade is chosen by group, and forgetting a group forgets its legacy records', () => {
  const store = replayed([legacyOffset('g', 't', 0, committed(5n)), legacyOffset('h', 't', 0, committed(6n))]);
  assert.deepEqual([...store.legacyUpgrade((groupId) => groupId === 'h').keys()], ['h']);
  store.forget(['h']);
  assert.deepEqual([...store.legacyUpgrade(() => true).keys()], ['g']);
});
