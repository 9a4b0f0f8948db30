import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FetchRequest, FetchResponse, RaftMessage } from '../../../src/controller/raft/messages.ts';
import { entryPayloadBytesMax, proposalEntriesMax, uncommittedEntriesMax } from '../../../src/limits.ts';
import { RaftNode } from '../../../src/controller/raft/node.ts';
import type { RaftOutput } from '../../../src/controller/raft/output.ts';
import type { LogEntry } from '../../../src/controller/raft/raft-log.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { grantOf, ManualCluster, testConfig, type Envelope } from './manual-cluster.ts';

/** Takes every output of a node, reporting each persisted at once. */
function drain(node: RaftNode, nowMs: number): RaftOutput[] {
  const outputs: RaftOutput[] = [];
  for (let output = node.takeOutput(); output; output = node.takeOutput()) {
    outputs.push(output);
    node.persisted(nowMs, output.seq);
  }
  return outputs;
}

function sent<T extends RaftMessage['type']>(outputs: RaftOutput[], type: T): Extract<RaftMessage, { type: T }>[] {
  return outputs.flatMap((o) => o.messages.map((m) => m.message)).filter((m): m is Extract<RaftMessage, { type: T }> => m.type === type);
}

function fetch(replicaId: number, epoch: number, fetchOffset: number, lastFetchedEpoch: number): FetchRequest {
  return { type: 'Fetch', correlationId: 1000 + fetchOffset, replicaId, currentLeaderEpoch: epoch, fetchOffset, lastFetchedEpoch, maxWaitMs: 0, maxBytes: 1 << 20 };
}

test('the high watermark moves only to an entry of the leader\'s own epoch', () => {
  const entries: LogEntry[] = [
    { offset: 0, epoch: 1, kind: 'leaderChange', payload: new Uint8Array(0) },
    { offset: 1, epoch: 1, kind: 'data', payload: new Uint8Array([7]) },
  ];
  const node = new RaftNode(
    { nodeId: 2, voters: [1, 2, 3], config: testConfig, random: () => 0 },
    { quorum: { epoch: 1, votedFor: null, leaderId: 1 }, log: { snapshot: null, entries } },
    0,
  );
  drain(node, 0);
  node.tick(200);
  assert.equal(node.roleName, 'prospective');
  node.receive(200, 3, grantOf(sent(drain(node, 200), 'Vote')[0]));
  assert.equal(node.roleName, 'candidate');
  const [vote] = sent(drain(node, 200), 'Vote');
  node.receive(201, 3, grantOf(vote));
  drain(node, 201);
  assert.equal(node.roleName, 'leader');
  assert.equal(node.logEndOffset, 3, 'LeaderChange of epoch 2 at offset 2');

  // Node 3 now holds offsets 0 and 1: a majority has the epoch-1 entry, but that does not commit it.
  node.receive(202, 3, fetch(3, 2, 2, 1));
  const [early] = sent(drain(node, 202), 'FetchResponse');
  assert.equal(node.highWatermark, 0);
  assert.equal(early.highWatermark, 0);
  assert.deepEqual(early.records.map((r) => r.offset), [2]);

  // Once node 3 holds the epoch-2 entry too, everything up to it commits.
  node.receive(203, 3, fetch(3, 2, 3, 2));
  const [late] = sent(drain(node, 203), 'FetchResponse');
  assert.equal(node.highWatermark, 3);
  assert.equal(late.highWatermark, 3);
});

test('a deposed leader\'s uncommitted tail is truncated when it follows the new leader', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3] });
  await cluster.elect(1);
  await cluster.propose(1, 'a');
  await cluster.settle(() => [1, 2, 3].every((id) => cluster.node(id).highWatermark === 2));

  // Cut off, node 1 still takes proposals that can never commit.
  cluster.isolate(1);
  await cluster.propose(1, 'b', 'c');
  assert.deepEqual(cluster.dataIn(1), ['a', 'b', 'c']);
  await cluster.settle(() => cluster.leader() !== null && cluster.leader() !== 1 && cluster.node(cluster.leader()!).epoch > cluster.node(1).epoch);
  const leader = cluster.leader()!;
  const follower = leader === 2 ? 3 : 2;
  await cluster.propose(leader, 'd');
  await cluster.settle(() => cluster.node(follower).highWatermark === cluster.node(leader).logEndOffset);

  cluster.reconnect(1);
  await cluster.settle(() => cluster.node(1).leaderId === leader && cluster.node(1).highWatermark === cluster.node(leader).logEndOffset);
  assert.deepEqual(cluster.dataIn(1), ['a', 'd']);
  const epoch = cluster.node(leader).epoch;
  assert.deepEqual(cluster.host(1).disk.entries.map((e) => e.epoch), [1, 1, epoch, epoch], 'the stored log was truncated too');
  assert.equal(cluster.invariants.committedPayloads.has('b'), false);
});

test('a follower fetching an epoch the leader never had is told where its log diverges', () => {
  const leaderLog: LogEntry[] = [1, 1, 3, 3].map((epoch, offset) => ({ offset, epoch, kind: 'data', payload: new Uint8Array(0) }));
  const node = new RaftNode(
    { nodeId: 1, voters: [1, 2, 3], config: testConfig, random: () => 0 },
    { quorum: { epoch: 3, votedFor: 1, leaderId: null }, log: { snapshot: null, entries: leaderLog } },
    0,
  );
  drain(node, 0);
  node.tick(200);
  node.receive(200, 2, grantOf(sent(drain(node, 200), 'Vote')[0]));
  const [vote] = sent(drain(node, 200), 'Vote');
  node.receive(201, 2, grantOf(vote));
  drain(node, 201);
  assert.equal(node.roleName, 'leader');
  // Node 3 has epoch-2 entries at 2..4 from a leader that never committed them.
  node.receive(202, 3, fetch(3, 4, 5, 2));
  const [answer] = sent(drain(node, 202), 'FetchResponse');
  assert.deepEqual(answer.divergingEpoch, { epoch: 1, endOffset: 2 });
  assert.deepEqual(answer.records, []);
});

test('a leader holds an empty fetch until something new arrives or the wait runs out', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3] });
  await cluster.elect(1);
  await cluster.settle(() => [2, 3].every((id) => cluster.node(id).highWatermark === 1));
  await cluster.deliver();
  assert.equal(cluster.queue.length, 0, 'both followers\' fetches are held');
  await cluster.propose(1, 'now');
  const answers = cluster.queue.filter((e: Envelope) => e.message.type === 'FetchResponse');
  assert.equal(answers.length, 2, 'a proposal answers the held fetches at once');
  assert.ok(answers.every((e) => (e.message as FetchResponse).records.length === 1));
  await cluster.deliver();
  await cluster.settle(() => [2, 3].every((id) => cluster.node(id).highWatermark === 2));
  await cluster.deliver();
  assert.equal(cluster.queue.length, 0);
  await cluster.advance(49, [1]);
  assert.equal(cluster.queue.length, 0);
  await cluster.advance(1, [1]);
  assert.equal(cluster.queue.filter((e) => e.message.type === 'FetchResponse').length, 2, 'empty answers at fetchMaxWaitMs');
});

test('describeQuorum reports each voter\'s log end and fetch times on the leader only', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3] });
  await cluster.elect(1);
  await cluster.propose(1, 'p', 'q');
  await cluster.settle(() => [2, 3].every((id) => cluster.node(id).highWatermark === 3));
  const quorum = cluster.node(1).describeQuorum(cluster.nowMs);
  assert.equal(quorum.errorCode, ErrorCode.NONE);
  assert.equal(quorum.leaderId, 1);
  assert.equal(quorum.highWatermark, 3);
  assert.deepEqual(quorum.currentVoters.map((v) => [v.replicaId, v.logEndOffset]), [[1, 3], [2, 3], [3, 3]]);
  for (const voter of quorum.currentVoters) {
    assert.ok(voter.lastFetchTimestamp > 0 && voter.lastFetchTimestamp <= cluster.nowMs);
    assert.ok(voter.lastCaughtUpTimestamp > 0 && voter.lastCaughtUpTimestamp <= voter.lastFetchTimestamp);
  }
  const elsewhere = cluster.node(2).describeQuorum(cluster.nowMs);
  assert.equal(elsewhere.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(elsewhere.leaderId, 1);
});

test('proposals go to the leader only, and a leader refuses what it cannot hold', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3] });
  await cluster.elect(1);
  const epoch = cluster.node(1).epoch;
  assert.deepEqual(await cluster.propose(2, 'x'), { accepted: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderId: 1, epoch });
  assert.deepEqual(await cluster.propose(1), { accepted: false, errorCode: ErrorCode.INVALID_REQUEST, leaderId: 1, epoch });
  const huge = new Uint8Array(entryPayloadBytesMax + 1);
  await cluster.run(cluster.host(1), (node) => assert.equal(node.propose(cluster.nowMs, [huge]).accepted, false));
  // With the followers away nothing commits, and the backlog is bounded.
  cluster.isolate(2, 3);
  const batch = Array.from({ length: proposalEntriesMax }, (_, i) => `e${i}`);
  for (let held = 0; held + proposalEntriesMax <= uncommittedEntriesMax; held += proposalEntriesMax) {
    assert.equal((await cluster.propose(1, ...batch)).accepted, true);
  }
  assert.deepEqual(await cluster.propose(1, 'more'), { accepted: false, errorCode: ErrorCode.NOT_ENOUGH_REPLICAS, leaderId: 1, epoch });
});
