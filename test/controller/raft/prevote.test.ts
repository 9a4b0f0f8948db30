/**
 * Pre-vote (KIP-996): a voter cut off from the others asks for pre-votes
 * instead of standing in ever higher epochs, so when it returns it follows
 * the leader instead of deposing it; elections still happen when the
 * leader is really gone. ManualCluster checks after every event that no
 * epoch has two leaders.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RaftMessage, VoteResponse } from '../../../src/controller/raft/messages.ts';
import { RaftNode } from '../../../src/controller/raft/node.ts';
import { ManualCluster, testConfig } from './manual-cluster.ts';

const electionTimeoutMs = testConfig.electionTimeoutMs!;

/** A three-voter cluster whose leader (node 1) every voter follows, with its LeaderChange entry committed everywhere. */
async function ledByNode1(): Promise<{ cluster: ManualCluster; epoch: number }> {
  const cluster = await ManualCluster.start({ voters: [1, 2, 3] });
  await cluster.elect(1);
  await cluster.settle(() => [2, 3].every((id) => cluster.node(id).leaderId === 1 && cluster.node(id).highWatermark === 1));
  return { cluster, epoch: cluster.node(1).epoch };
}

/** Runs the cluster (ticks and deliveries) for `ms` of its time. */
async function runFor(cluster: ManualCluster, ms: number): Promise<void> {
  const until = cluster.nowMs + ms;
  await cluster.settle(() => cluster.nowMs >= until, ms + 5);
}

test('a voter cut off for many election timeouts keeps its epoch, and on its return follows the leader, which keeps its leadership and epoch', async () => {
  const { cluster, epoch } = await ledByNode1();
  cluster.isolate(3);
  await runFor(cluster, 20 * electionTimeoutMs);
  assert.equal(cluster.node(3).epoch, epoch, 'pre-votes do not bump the epoch');
  assert.equal(cluster.node(3).roleName, 'prospective');
  assert.equal(cluster.leader(), 1);

  cluster.reconnect(3);
  assert.equal((await cluster.propose(1, 'after the return')).accepted, true);
  await cluster.settle(() => cluster.node(3).leaderId === 1 && cluster.node(3).highWatermark === cluster.node(1).logEndOffset);
  await runFor(cluster, 10 * electionTimeoutMs);
  for (const id of [1, 2, 3]) assert.equal(cluster.node(id).epoch, epoch, `node ${id} is still in epoch ${epoch}`);
  assert.equal(cluster.leader(), 1);
  assert.deepEqual(cluster.dataIn(3), ['after the return']);
});

test('when the leader is really gone, the others elect a new one in a later epoch, which the old one follows on its return', async () => {
  const { cluster, epoch } = await ledByNode1();
  cluster.crash(1);
  await cluster.settle(() => cluster.leader() !== null && cluster.leader() !== 1);
  const leader = cluster.leader()!;
  assert.ok(cluster.node(leader).epoch > epoch);
  await cluster.restart(1);
  await cluster.settle(() => cluster.node(1).leaderId === leader && cluster.node(1).highWatermark === cluster.node(leader).logEndOffset);
  assert.equal(cluster.node(1).epoch, cluster.node(leader).epoch);
});

test('a leader cut off from both followers resigns (check-quorum); their pre-votes then make a new leader', async () => {
  const { cluster, epoch } = await ledByNode1();
  cluster.isolate(1);
  await cluster.settle(() => cluster.node(1).roleName !== 'leader' && cluster.leader() !== null);
  assert.notEqual(cluster.leader(), 1);
  assert.ok(cluster.node(cluster.leader()!).epoch > epoch);
  assert.equal(cluster.node(1).epoch, epoch, 'the cut-off node asks for pre-votes in its own epoch');
});

test('granting a pre-vote changes nothing on the voter; a voter that hears from its leader refuses pre-votes', () => {
  const node = new RaftNode({ nodeId: 2, voters: [1, 2, 3], config: testConfig, random: () => 0 }, { quorum: null, log: { snapshot: null, entries: [] } }, 0);
  const answers = (): VoteResponse[] =>
    (node.takeOutput()?.messages ?? []).map((m) => m.message).filter((m): m is VoteResponse => m.type === 'VoteResponse');
  const preVote = (candidateEpoch: number): RaftMessage => ({ type: 'Vote', correlationId: candidateEpoch, candidateEpoch, candidateId: 3, voterId: 2, lastOffsetEpoch: 0, lastOffset: 0, preVote: true });
  node.takeOutput();

  node.receive(1, 3, preVote(5));
  const output = node.takeOutput();
  assert.equal(output?.quorumState, null, 'nothing to persist');
  assert.deepEqual(output?.messages.map((m) => m.message), [{ type: 'VoteResponse', correlationId: 5, errorCode: 0, leaderId: -1, leaderEpoch: 0, voteGranted: true }]);
  assert.deepEqual([node.roleName, node.epoch, node.votedFor], ['unattached', 0, null]);

  node.receive(2, 1, { type: 'BeginQuorumEpoch', correlationId: 1, voterId: 2, leaderId: 1, leaderEpoch: 1 });
  assert.equal(node.roleName, 'follower');
  node.takeOutput();
  node.receive(3, 3, preVote(2));
  assert.deepEqual(answers(), [{ type: 'VoteResponse', correlationId: 2, errorCode: 0, leaderId: 1, leaderEpoch: 1, voteGranted: false }]);
  assert.deepEqual([node.roleName, node.epoch, node.leaderId], ['follower', 1, 1]);
});
