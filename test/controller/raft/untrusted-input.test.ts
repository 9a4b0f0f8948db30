import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FetchRequest, FetchResponse, RaftMessage, VoteRequest } from '../../../src/controller/raft/messages.ts';
import { RaftNode } from '../../../src/controller/raft/node.ts';
import type { LogEntry } from '../../../src/controller/raft/raft-log.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { grantOf, testConfig } from './manual-cluster.ts';
import { payload } from './node-host.ts';

const empty = { quorum: null, log: { snapshot: null, entries: [] } };

/** A node of voters 1, 2, 3 whose refusals are collected; `sent(nowMs)` takes its outputs, marking each persisted at once. */
function voter(nodeId: number) {
  const refusals: string[] = [];
  const node = new RaftNode({ nodeId, voters: [1, 2, 3], config: testConfig, random: () => 0, refused: (from, reason) => refusals.push(`${from}: ${reason}`) }, empty, 0);
  const sent = (nowMs: number): { to: number; message: RaftMessage }[] => {
    const messages = [];
    for (let output = node.takeOutput(); output; output = node.takeOutput()) {
      messages.push(...output.messages);
      node.persisted(nowMs, output.seq);
    }
    return messages;
  };
  return { node, refusals, sent };
}

/** Node `nodeId`, candidate of epoch 1 at time 100 with node 3's pre-vote; its Votes are still to be taken with `sent`. */
function standing(nodeId: number) {
  const v = voter(nodeId);
  v.node.tick(100);
  assert.equal(v.node.roleName, 'prospective');
  const preVote = v.sent(100).find((m) => m.to === 3 && m.message.type === 'Vote')!.message as VoteRequest;
  v.node.receive(100, 3, grantOf(preVote));
  assert.equal(v.node.roleName, 'candidate');
  return v;
}

/** Node 2, leader of epoch 1 with node 3's vote, at time 100. */
function leader() {
  const v = standing(2);
  const vote = v.sent(100).find((m) => m.to === 3 && m.message.type === 'Vote')!.message as VoteRequest;
  v.node.receive(100, 3, grantOf(vote));
  assert.equal(v.node.roleName, 'leader');
  v.sent(100);
  return v;
}

/** Node 3, follower of node 1 in epoch 1 from time 0; `fetch(nowMs)` is the Fetch it sent last. */
function follower() {
  const v = voter(3);
  v.node.receive(0, 1, { type: 'BeginQuorumEpoch', correlationId: 1, voterId: 3, leaderId: 1, leaderEpoch: 1 });
  assert.equal(v.node.roleName, 'follower');
  const fetch = (nowMs: number) => v.sent(nowMs).find((m) => m.message.type === 'Fetch')!.message as FetchRequest;
  return { ...v, fetch };
}

function fetchAnswer(request: FetchRequest, fields: Partial<FetchResponse>): FetchResponse {
  return {
    type: 'FetchResponse',
    correlationId: request.correlationId,
    errorCode: ErrorCode.NONE,
    leaderId: 1,
    leaderEpoch: 1,
    highWatermark: 0,
    logStartOffset: 0,
    divergingEpoch: null,
    snapshotId: null,
    records: [],
    ...fields,
  };
}

const entry = (offset: number, epoch: number): LogEntry => ({ offset, epoch, kind: 'data', payload: payload(`e${offset}`) });

test('a peer naming another leader of the epoch this node leads is refused and logged; the node goes on leading', () => {
  const { node, refusals, sent } = leader();
  // Node 1, started with another voter set, leads "epoch 1" of its own.
  node.receive(101, 1, { type: 'BeginQuorumEpoch', correlationId: 7, voterId: 2, leaderId: 1, leaderEpoch: 1 });
  const answer = sent(101).find((m) => m.to === 1)?.message;
  assert.equal(answer?.type, 'BeginQuorumEpochResponse');
  assert.equal((answer as { errorCode: number }).errorCode, ErrorCode.INCONSISTENT_VOTER_SET);
  node.receive(102, 1, { type: 'VoteResponse', correlationId: 8, errorCode: ErrorCode.NONE, leaderId: 1, leaderEpoch: 1, voteGranted: false });
  node.receive(103, 1, { type: 'BeginQuorumEpochResponse', correlationId: 9, errorCode: ErrorCode.NONE, leaderId: 1, leaderEpoch: 1 });
  assert.equal(refusals.length, 3);
  assert.match(refusals[0], /^1: it names node 1 as the leader of epoch 1, whose leader is node 2$/);
  assert.equal(node.roleName, 'leader');
  assert.equal(node.leaderId, 2);
  assert.equal(node.epoch, 1);
  assert.equal(node.propose(104, [payload('still serving')]).accepted, true);
});

test('a follower refuses a second leader of its epoch and a leader that is no voter', () => {
  const { node, refusals } = follower();
  node.receive(1, 2, { type: 'VoteResponse', correlationId: 5, errorCode: ErrorCode.NONE, leaderId: 2, leaderEpoch: 1, voteGranted: false });
  node.receive(2, 2, { type: 'VoteResponse', correlationId: 6, errorCode: ErrorCode.NONE, leaderId: 9, leaderEpoch: 4, voteGranted: false });
  assert.deepEqual(refusals, [
    '2: it names node 2 as the leader of epoch 1, whose leader is node 1',
    '2: it names node 9 as the leader of epoch 4, but the voters are 1,2,3',
  ]);
  assert.equal(node.roleName, 'follower');
  assert.equal(node.leaderId, 1);
  assert.equal(node.epoch, 1);
});

test('an answer from a node with another voter set names no leader of this quorum', () => {
  // Node 1 runs voters {1} alone: it leads epochs of its own, and answers node 2's requests INCONSISTENT_VOTER_SET.
  const candidate = standing(2);
  const vote = candidate.sent(100).find((m) => m.to === 1 && m.message.type === 'Vote')!;
  candidate.node.receive(101, 1, { type: 'VoteResponse', correlationId: vote.message.correlationId, errorCode: ErrorCode.INCONSISTENT_VOTER_SET, leaderId: 1, leaderEpoch: 1, voteGranted: false });
  assert.equal(candidate.node.roleName, 'candidate');
  assert.equal(candidate.node.leaderId, null);

  const { node, refusals } = leader();
  node.receive(101, 1, { type: 'BeginQuorumEpochResponse', correlationId: 9, errorCode: ErrorCode.INCONSISTENT_VOTER_SET, leaderId: 1, leaderEpoch: 5 });
  assert.deepEqual(refusals, ["1: it answers that its voter set is not this node's (1,2,3)"]);
  assert.equal(node.roleName, 'leader');
  assert.equal(node.epoch, 1);
});

test('a follower refuses fetched entries, divergences and snapshots that do not fit its log, and keeps its log', () => {
  const { node, refusals, fetch } = follower();
  node.receive(1, 1, fetchAnswer(fetch(0), { records: [entry(0, 1), entry(1, 1)], highWatermark: 1 }));
  assert.equal(node.logEndOffset, 2);
  assert.equal(node.highWatermark, 1);
  const bad: Partial<FetchResponse>[] = [
    { records: [entry(5, 1)] },
    { records: [entry(2, 1), entry(4, 1)] },
    { records: [entry(2, 3)] },
    { divergingEpoch: { epoch: 1, endOffset: 0 } },
    { divergingEpoch: { epoch: 1, endOffset: 2 } },
    { snapshotId: { epoch: 1, endOffset: 1 } },
    { snapshotId: { epoch: 2, endOffset: 10 } },
  ];
  for (const [i, fields] of bad.entries()) {
    const nowMs = 10 * (i + 2);
    node.receive(nowMs, 1, fetchAnswer(fetch(nowMs), fields));
    node.tick(nowMs + testConfig.retryBackoffMs!); // the refused answer counts as an error: the next fetch waits a backoff
  }
  assert.equal(refusals.length, bad.length, refusals.join('\n'));
  assert.equal(node.logEndOffset, 2);
  assert.equal(node.highWatermark, 1);
  assert.equal(node.entryAt(1)?.epoch, 1);
  assert.equal(node.roleName, 'follower');
});

test('a clock reading earlier than the last (the host clock stepped back) is taken as no time passing', () => {
  const node = new RaftNode({ nodeId: 1, voters: [1], config: testConfig, random: () => 0.5 }, empty, 5_000);
  node.tick(5_000);
  assert.equal(node.roleName, 'leader');
  const first = node.takeOutput()!;
  const proposed = node.propose(4_000, [payload('after a step back')]);
  assert.equal(proposed.accepted, true);
  const second = node.takeOutput()!;
  node.persisted(1_000, first.seq);
  node.persisted(0, second.seq);
  assert.equal(node.highWatermark, 2);
  node.tick(-120_000);
  assert.equal(node.describeQuorum(-1).currentVoters[0].lastFetchTimestamp, 5_000, 'the node keeps its latest time');
  assert.equal(node.roleName, 'leader');
});

test('a follower whose clock steps back still asks for pre-votes once its leader has been silent for the fetch timeout of its own time', () => {
  const { node } = follower();
  node.tick(testConfig.fetchTimeoutMs! - 1);
  node.tick(-60_000);
  assert.equal(node.roleName, 'follower');
  node.tick(testConfig.fetchTimeoutMs!);
  assert.equal(node.roleName, 'prospective');
});
