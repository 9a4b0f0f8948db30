import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VoteResponse } from '../../../src/controller/raft/messages.ts';
import { RaftNode } from '../../../src/controller/raft/node.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { ManualCluster, testConfig, type Envelope } from './manual-cluster.ts';
import { payload } from './node-host.ts';

const to = (id: number, type?: string) => (e: Envelope) => e.to === id && (type === undefined || e.message.type === type);
const from = (id: number, type?: string) => (e: Envelope) => e.from === id && (type === undefined || e.message.type === type);

function voteResponses(cluster: ManualCluster, fromId: number): VoteResponse[] {
  return cluster.queue.filter(from(fromId, 'VoteResponse')).map((e) => e.message as VoteResponse);
}

test('a single voter elects itself and commits only what it has persisted', () => {
  const node = new RaftNode({ nodeId: 1, voters: [1], config: testConfig, random: () => 0.5 }, { quorum: null, log: { snapshot: null, entries: [] } }, 0);
  node.tick(0);
  assert.equal(node.roleName, 'leader');
  assert.equal(node.epoch, 1);
  const first = node.takeOutput();
  assert.ok(first);
  assert.deepEqual(first.quorumState, { epoch: 1, votedFor: 1, leaderId: 1 });
  assert.deepEqual(first.logWrites.map((w) => w.op), ['append']);
  assert.equal(node.highWatermark, 0, 'the LeaderChange entry is not durable yet');
  const accepted = node.propose(1, [payload('a'), payload('b')]);
  assert.deepEqual(accepted, { accepted: true, epoch: 1, baseOffset: 1, lastOffset: 2 });
  const second = node.takeOutput();
  assert.ok(second);
  node.persisted(2, first.seq);
  assert.equal(node.highWatermark, 1);
  node.persisted(3, second.seq);
  assert.equal(node.highWatermark, 3);
  const applies = node.takeOutput()?.applies ?? [];
  assert.deepEqual(
    applies.flatMap((a) => (a.kind === 'entries' ? a.entries.map((e) => e.offset) : [])),
    [0, 1, 2],
  );
});

test('three voters elect one leader, which the others follow after BeginQuorumEpoch', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3] });
  await cluster.settle(() => cluster.leader() !== null && [1, 2, 3].every((id) => cluster.node(id).leaderId === cluster.leader()));
  const leader = cluster.leader()!;
  for (const id of [1, 2, 3]) {
    assert.equal(cluster.node(id).epoch, cluster.node(leader).epoch);
    assert.equal(cluster.node(id).roleName, id === leader ? 'leader' : 'follower');
  }
  await cluster.settle(() => [1, 2, 3].every((id) => cluster.node(id).highWatermark === 1));
});

test('a voter refuses a candidate whose log is behind its own', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3] });
  await cluster.elect(1);
  assert.equal(cluster.leader(), 1);
  // Node 3 misses what follows; node 2 gets it.
  cluster.isolate(3);
  assert.equal((await cluster.propose(1, 'x')).accepted, true);
  await cluster.settle(() => cluster.node(1).highWatermark === 2);
  assert.deepEqual(cluster.dataIn(2), ['x']);
  cluster.crash(1);
  cluster.reconnect(3);
  cluster.queue = [];

  // Node 3 times out first, with a shorter log: node 2 refuses its pre-vote, so it does not stand (nor bump its epoch).
  const epoch = cluster.node(3).epoch;
  await cluster.advance(300, [3]);
  assert.equal(cluster.node(3).roleName, 'prospective');
  await cluster.deliver(to(2, 'Vote'));
  const [preVoteRefusal] = voteResponses(cluster, 2);
  assert.equal(preVoteRefusal.voteGranted, false);
  await cluster.deliver();
  assert.deepEqual([cluster.node(3).roleName, cluster.node(3).epoch], ['prospective', epoch]);
  // Nor would node 2 vote for it if it stood.
  const vote = { type: 'Vote', correlationId: 99, candidateEpoch: epoch + 1, candidateId: 3, voterId: 2, lastOffsetEpoch: 1, lastOffset: 1 } as const;
  cluster.queue.push({ from: 3, to: 2, message: vote });
  await cluster.deliver(to(2, 'Vote'));
  const [refusal] = voteResponses(cluster, 2);
  assert.equal(refusal.voteGranted, false);
  assert.equal(refusal.leaderEpoch, epoch + 1);
  cluster.queue = [];

  // Node 2 has everything committed, so node 3 votes for it.
  await cluster.advance(300, [2]);
  await cluster.deliver();
  assert.equal(cluster.leader(), 2);
  await cluster.settle(() => cluster.node(3).highWatermark === cluster.node(2).logEndOffset);
  assert.deepEqual(cluster.dataIn(3), ['x']);
});

test('a vote survives a restart: no second vote in the same epoch', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3] });
  await cluster.stand(1);
  assert.equal(cluster.node(1).roleName, 'candidate');
  await cluster.deliver(to(2, 'Vote'));
  assert.equal(voteResponses(cluster, 2)[0].voteGranted, true);
  cluster.crash(2);
  await cluster.restart(2);
  assert.equal(cluster.node(2).votedFor, 1);
  cluster.queue = [];

  // Node 3 stands in the same epoch.
  const epoch = cluster.node(1).epoch;
  cluster.queue.push({ from: 3, to: 2, message: { type: 'Vote', correlationId: 99, candidateEpoch: epoch, candidateId: 3, voterId: 2, lastOffsetEpoch: 0, lastOffset: 0 } });
  await cluster.deliver(to(2, 'Vote'));
  const [answer] = voteResponses(cluster, 2);
  assert.equal(answer.voteGranted, false);
});

test('BeginQuorumEpoch and EndQuorumEpoch from a node that is not a voter change nothing', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3] });
  await cluster.settle(() => cluster.leader() !== null && [1, 2, 3].every((id) => cluster.node(id).leaderId === cluster.leader()));
  const leader = cluster.leader()!;
  const follower = [1, 2, 3].find((id) => id !== leader)!;
  const epoch = cluster.node(follower).epoch;
  cluster.queue = [];
  cluster.queue.push(
    { from: 99, to: follower, message: { type: 'EndQuorumEpoch', correlationId: 1, leaderId: 99, leaderEpoch: epoch + 1000, preferredSuccessors: [follower] } },
    { from: 99, to: follower, message: { type: 'BeginQuorumEpoch', correlationId: 2, voterId: follower, leaderId: 99, leaderEpoch: epoch + 1000 } },
  );
  await cluster.deliver(to(follower));
  const answers = cluster.queue.filter(from(follower)).filter((e) => e.to === 99);
  assert.deepEqual(
    answers.map((e) => [e.message.type, 'errorCode' in e.message ? e.message.errorCode : null]),
    [
      ['EndQuorumEpochResponse', ErrorCode.INCONSISTENT_VOTER_SET],
      ['BeginQuorumEpochResponse', ErrorCode.INCONSISTENT_VOTER_SET],
    ],
  );
  assert.deepEqual([cluster.node(follower).epoch, cluster.node(follower).leaderId], [epoch, leader], 'same epoch, same leader');
});

test('observers never vote or stand, and do not count for the commit', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3], observers: [100] });
  cluster.queue.push({
    from: 1,
    to: 100,
    message: { type: 'Vote', correlationId: 1, candidateEpoch: 5, candidateId: 1, voterId: 100, lastOffsetEpoch: 9, lastOffset: 99 },
  });
  await cluster.deliver(to(100, 'Vote'));
  const [answer] = voteResponses(cluster, 100);
  assert.equal(answer.voteGranted, false);
  assert.equal(answer.errorCode, ErrorCode.INCONSISTENT_VOTER_SET);
  assert.equal(cluster.node(100).votedFor, null);
  cluster.queue = [];

  // With no voter reachable for a long time, the observer only looks for a leader.
  cluster.isolate(1, 2, 3);
  for (let i = 0; i < 20; i++) await cluster.advance(100, [100]);
  assert.equal(cluster.node(100).roleName, 'unattached');
  assert.ok(cluster.queue.filter(from(100)).every((e) => e.message.type === 'Fetch'));
  assert.ok(cluster.queue.some(from(100, 'Fetch')), 'it probes voters');
  cluster.reconnect(1, 2, 3);
  cluster.queue = [];

  await cluster.elect(1);
  await cluster.settle(() => cluster.node(100).leaderId === 1 && cluster.node(100).highWatermark === 1);
  // Voters 2 and 3 are away: the observer gets the entry, but it does not commit.
  cluster.isolate(2, 3);
  await cluster.propose(1, 'y');
  for (let i = 0; i < 10; i++) {
    await cluster.deliver();
    await cluster.advance(10, [1, 100]);
  }
  assert.deepEqual(cluster.dataIn(100), ['y']);
  assert.equal(cluster.node(100).logEndOffset, 2);
  assert.equal(cluster.node(1).highWatermark, 1);
  const quorum = cluster.node(1).describeQuorum(cluster.nowMs);
  assert.deepEqual(quorum.observers.map((o) => [o.replicaId, o.logEndOffset]), [[100, 2]]);
});

test('a leader cut off from the majority resigns (check-quorum) and the rest elect a new one', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3] });
  await cluster.elect(1);
  const epoch = cluster.node(1).epoch;
  cluster.isolate(1);
  await cluster.advance(250, [1]);
  assert.equal(cluster.node(1).roleName, 'leader', 'still within the check-quorum timeout');
  await cluster.advance(100, [1]);
  assert.equal(cluster.node(1).roleName, 'unattached');
  assert.equal(cluster.node(1).epoch, epoch);
  assert.ok(cluster.queue.some(from(1, 'EndQuorumEpoch')));
  await cluster.settle(() => cluster.leader() !== null && cluster.node(cluster.leader()!).epoch > epoch);
  cluster.reconnect(1);
  const leader = cluster.leader()!;
  await cluster.settle(() => cluster.node(1).leaderId === leader);
});

test('a resigning leader hands over quickly to its most caught-up voter', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3] });
  await cluster.elect(1);
  await cluster.settle(() => [2, 3].every((id) => cluster.node(id).highWatermark === 1));
  cluster.isolate(3);
  await cluster.propose(1, 'z');
  await cluster.settle(() => cluster.node(2).highWatermark === 2);
  cluster.reconnect(3);
  await cluster.run(cluster.host(1), (node) => node.resign(cluster.nowMs));
  const [end] = cluster.queue.filter(from(1, 'EndQuorumEpoch'));
  assert.ok(end && end.message.type === 'EndQuorumEpoch');
  assert.deepEqual(end.message.preferredSuccessors, [2, 3]);
  await cluster.deliver();
  // Node 2 stands after a short backoff, well before any election timeout.
  await cluster.advance(40);
  await cluster.deliver();
  assert.equal(cluster.leader(), 2);
});

test('a node that restarts as the leader it was resigns and tells the voters', async () => {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3] });
  await cluster.elect(1);
  const epoch = cluster.node(1).epoch;
  cluster.crash(1);
  cluster.queue = [];
  await cluster.restart(1);
  assert.equal(cluster.node(1).roleName, 'unattached');
  assert.equal(cluster.node(1).leaderId, null);
  assert.equal(cluster.node(1).epoch, epoch);
  assert.equal(cluster.queue.filter(from(1, 'EndQuorumEpoch')).length, 2);
  await cluster.settle(() => cluster.leader() !== null);
  assert.ok(cluster.node(cluster.leader()!).epoch > epoch);
});
