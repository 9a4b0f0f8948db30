import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { ManualCluster } from './manual-cluster.ts';

const texts = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('the host is asked for a snapshot, which moves the log start; a restart loads it first', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3], config: { snapshotIntervalEntries: 5 } });
  await cluster.elect(1);
  await cluster.propose(1, ...texts(7, 'a'));
  await cluster.settle(() => [1, 2, 3].every((id) => cluster.node(id).highWatermark === 8));
  for (const id of [1, 2, 3]) {
    const node = cluster.node(id);
    assert.ok(node.logStartOffset >= 5, `node ${id} compacted its log`);
    assert.equal(cluster.host(id).disk.snapshot?.id.endOffset, node.logStartOffset);
    assert.equal(cluster.host(id).disk.logStart, node.logStartOffset);
  }
  const before = cluster.host(3).machine.hash;
  const start = cluster.node(3).logStartOffset;
  cluster.crash(3);
  await cluster.restart(3);
  // The restarted node knows only its snapshot as committed until the leader tells it more.
  assert.equal(cluster.node(3).highWatermark, start);
  assert.equal(cluster.host(3).machine.appliedEnd, start);
  await cluster.settle(() => cluster.node(3).highWatermark === 8);
  assert.equal(cluster.host(3).machine.hash, before);
});

test('a lagging follower downloads the leader\'s snapshot in chunks, installs it and catches up', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3], config: { snapshotIntervalEntries: 5, snapshotChunkBytes: 64 } });
  await cluster.elect(1);
  await cluster.settle(() => cluster.node(3).highWatermark === 1);
  cluster.isolate(3);
  await cluster.propose(1, ...texts(12, 'b'));
  await cluster.settle(() => cluster.node(2).highWatermark === 13);
  assert.ok(cluster.node(1).logStartOffset > cluster.node(3).logEndOffset, 'the leader no longer has what node 3 needs');

  cluster.reconnect(3);
  const sentBefore = cluster.history.length;
  await cluster.settle(() => cluster.node(3).highWatermark === 13);
  const chunks = cluster.history.slice(sentBefore).filter((e) => e.message.type === 'FetchSnapshotResponse');
  const size = cluster.host(1).disk.snapshot!.data.length;
  assert.ok(size > 64);
  assert.equal(chunks.length, Math.ceil(size / 64), `the ${size}-byte snapshot came in 64-byte chunks`);
  assert.equal(cluster.host(3).disk.snapshot?.id.endOffset, cluster.node(3).logStartOffset);
  assert.ok(cluster.node(3).logStartOffset >= 5);
  assert.equal(cluster.host(3).machine.hash, cluster.host(1).machine.hash);
  await cluster.propose(1, 'after');
  await cluster.settle(() => cluster.node(3).highWatermark === 14);
  assert.deepEqual(cluster.dataIn(3).at(-1), 'after');
});

test('a download that the leader\'s newer snapshot overtakes starts over from a Fetch', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3], config: { snapshotIntervalEntries: 5, snapshotChunkBytes: 16 } });
  await cluster.elect(1);
  await cluster.settle(() => cluster.node(3).highWatermark === 1);
  cluster.isolate(3);
  await cluster.propose(1, ...texts(8, 'c'));
  await cluster.settle(() => cluster.node(2).highWatermark === 9);
  cluster.reconnect(3);
  // Node 3 learns it needs the snapshot; its first FetchSnapshot is held back while the leader takes a newer snapshot.
  const isSnapshotRequest = (e: { message: { type: string } }) => e.message.type === 'FetchSnapshot';
  for (let step = 0; !cluster.queue.some(isSnapshotRequest); step++) {
    assert.ok(step < 100);
    await cluster.deliver((e) => !isSnapshotRequest(e));
    await cluster.advance(5);
  }
  const first = cluster.host(1).disk.snapshot!.id;
  await cluster.propose(1, ...texts(8, 'd'));
  for (let step = 0; cluster.node(2).highWatermark < 17; step++) {
    assert.ok(step < 100);
    await cluster.deliver((e) => e.from !== 3 && e.to !== 3);
    await cluster.advance(5, [1, 2]);
  }
  assert.ok(cluster.host(1).disk.snapshot!.id.endOffset > first.endOffset);
  const sentBefore = cluster.history.length;
  await cluster.settle(() => cluster.node(3).highWatermark === 17);
  const errors = cluster.history.slice(sentBefore).flatMap((e) => (e.message.type === 'FetchSnapshotResponse' && e.message.errorCode !== 0 ? [e.message.errorCode] : []));
  assert.deepEqual(errors, [ErrorCode.SNAPSHOT_NOT_FOUND]);
  assert.equal(cluster.host(3).disk.snapshot?.id.endOffset, cluster.host(1).disk.snapshot!.id.endOffset);
  assert.equal(cluster.host(3).machine.hash, cluster.host(1).machine.hash);
});
