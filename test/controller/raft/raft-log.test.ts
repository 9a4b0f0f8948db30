import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftLog, type LogEntry, type Snapshot } from '../../../src/controller/raft/raft-log.ts';

function entries(start: number, epochs: number[]): LogEntry[] {
  return epochs.map((epoch, i) => ({ offset: start + i, epoch, kind: 'data', payload: new Uint8Array(10) }));
}

function snapshot(endOffset: number, epoch: number): Snapshot {
  return { id: { endOffset, epoch }, data: new Uint8Array([1, 2, 3]) };
}

test('end offsets for epochs answer like OffsetForLeaderEpoch', () => {
  const log = new RaftLog(null, entries(0, [1, 1, 3, 3, 3, 5]));
  assert.deepEqual(log.endOffsetForEpoch(0), { epoch: 0, endOffset: 0 });
  assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 2 });
  assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 1, endOffset: 2 });
  assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 5 });
  assert.deepEqual(log.endOffsetForEpoch(4), { epoch: 3, endOffset: 5 });
  assert.deepEqual(log.endOffsetForEpoch(9), { epoch: 5, endOffset: 6 });
});

test('below a snapshot the log has no epochs; at its end it has the snapshot epoch', () => {
  const log = new RaftLog(snapshot(10, 4), entries(10, [4, 6]));
  assert.equal(log.startOffset, 10);
  assert.equal(log.epochAt(9), 4);
  assert.equal(log.endOffsetForEpoch(3), null);
  assert.deepEqual(log.endOffsetForEpoch(4), { epoch: 4, endOffset: 11 });
  assert.deepEqual(log.endOffsetForEpoch(5), { epoch: 4, endOffset: 11 });
  const empty = new RaftLog(snapshot(10, 4), []);
  assert.equal(empty.lastEpoch, 4);
  assert.deepEqual(empty.endOffsetForEpoch(7), { epoch: 4, endOffset: 10 });
});

test('a leader classifies fetch positions as valid, diverging or below its log', () => {
  const log = new RaftLog(snapshot(10, 2), entries(10, [2, 2, 4, 4, 6]));
  assert.deepEqual(log.fetchPosition(10, 2), { kind: 'valid' });
  assert.deepEqual(log.fetchPosition(14, 4), { kind: 'valid' });
  assert.deepEqual(log.fetchPosition(15, 6), { kind: 'valid' });
  // The follower has more epoch-4 entries than the leader.
  assert.deepEqual(log.fetchPosition(16, 4), { kind: 'diverging', diverging: { epoch: 4, endOffset: 14 } });
  // The follower's last epoch (5) is one the leader never had: the leader's largest epoch below it ends at 14.
  assert.deepEqual(log.fetchPosition(15, 5), { kind: 'diverging', diverging: { epoch: 4, endOffset: 14 } });
  assert.deepEqual(log.fetchPosition(8, 2), { kind: 'snapshot', snapshotId: { endOffset: 10, epoch: 2 } });
  assert.deepEqual(log.fetchPosition(12, 1), { kind: 'snapshot', snapshotId: { endOffset: 10, epoch: 2 } });
  assert.deepEqual(log.fetchPosition(10, 3), { kind: 'snapshot', snapshotId: { endOffset: 10, epoch: 2 } });
});

test('a follower truncates to where its log and the leader\'s agree', () => {
  const follower = new RaftLog(null, entries(0, [1, 1, 1, 1, 4]));
  // The leader's epoch 3 ends at 3; the follower never had epoch 3: its epochs <= 3 end at 4, so 3 is where both agree at most.
  assert.equal(follower.divergenceEnd({ epoch: 3, endOffset: 3 }), 3);
  assert.equal(follower.divergenceEnd({ epoch: 1, endOffset: 2 }), 2);
  assert.equal(follower.divergenceEnd({ epoch: 4, endOffset: 9 }), 5);
});

test('reads return at least one entry and stop near maxBytes', () => {
  const log = new RaftLog(null, entries(0, [1, 1, 1, 1]));
  assert.equal(log.read(0, 1).length, 1);
  assert.equal(log.read(0, 2 * (10 + 64)).length, 2);
  assert.equal(log.read(1, Infinity).length, 3);
  assert.deepEqual(log.read(4, Infinity), []);
});

test('compaction keeps the entries after the snapshot; a fetched snapshot replaces the log', () => {
  const log = new RaftLog(null, entries(0, [1, 1, 2, 2]));
  log.compactTo(snapshot(3, 2));
  assert.equal(log.startOffset, 3);
  assert.equal(log.endOffset, 4);
  assert.equal(log.entryAt(3)?.epoch, 2);
  assert.equal(log.entryAt(2), undefined);
  assert.throws(() => log.compactTo(snapshot(2, 1)), /moves the log start forward/);
  assert.throws(() => log.compactTo(snapshot(4, 1)), /snapshot epoch/);
  log.resetTo(snapshot(9, 3));
  assert.equal(log.startOffset, 9);
  assert.equal(log.endOffset, 9);
  assert.equal(log.lastEpoch, 3);
});

test('the log refuses gaps, epochs that go back and truncation below its start', () => {
  const log = new RaftLog(snapshot(5, 2), entries(5, [2, 3]));
  assert.throws(() => log.append({ offset: 9, epoch: 3, kind: 'data', payload: new Uint8Array(0) }), /continue the log/);
  assert.throws(() => log.append({ offset: 7, epoch: 2, kind: 'data', payload: new Uint8Array(0) }), /never decrease/);
  assert.throws(() => log.truncateTo(4), /within the log/);
  assert.throws(() => new RaftLog(snapshot(5, 2), entries(6, [2])), /continue the log/);
  log.truncateTo(6);
  assert.equal(log.endOffset, 6);
  assert.equal(log.lastEpoch, 2);
});
