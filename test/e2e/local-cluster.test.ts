/**
 * A whole local cluster driven through the CLI: `kb cluster up --nodes 3`
 * on free loopback ports forms one metadata quorum; DescribeQuorum is
 * answered by its leader (a follower names the leader, any other topic is
 * unknown); `kb cluster quorum` and `kb cluster info` show it from any
 * node; every node registers as a broker, so `kb topic describe` shows a
 * --rf 3 topic's replicas and ISR; `kb cluster down` ends every process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runKb } from '../helpers/cli.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const fastQuorum = ['--set', 'controller.quorum.election.timeout.ms=300', '--set', 'controller.quorum.fetch.timeout.ms=1000'];

let dir: string;
let record: { bootstrap: string; nodes: { nodeId: number; pid: number; port: number; peerPort: number }[] };
const addressOf = (nodeId: number) => `127.0.0.1:${record.nodes.find((n) => n.nodeId === nodeId)!.port}`;

async function kbJson(args: string[], brokers = record.bootstrap): Promise<any> {
  const r = await runKb([...args, '--json'], { env: { KB_BROKERS: brokers } });
  assert.equal(r.code, 0, `kb ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function describeQuorumAt(nodeId: number, topicName = '__cluster_metadata', partitionIndex = 0): Promise<any> {
  const [host, port] = addressOf(nodeId).split(':');
  const client = await RawClient.connect(host, Number(port));
  try {
    return await client.request(55, 2, { topics: [{ topicName, partitions: [{ partitionIndex }] }] });
  } finally {
    client.close();
  }
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kb-test-local-cluster-'));
  const up = await runKb(['cluster', 'up', '--nodes', '3', '--base-port', '0', '--data-dir', dir, '--json', ...fastQuorum], { timeoutMs: 90_000 });
  assert.equal(up.code, 0, up.stderr);
  record = JSON.parse(up.stdout);
});

after(async () => {
  await runKb(['cluster', 'down', '--data-dir', dir, '--timeout', '5000']);
  await rm(dir, { recursive: true, force: true });
});

test('kb cluster quorum: three voters, one leader, followers caught up; asked of any node', async () => {
  const status = await until('every follower to be caught up', async () => {
    const s = await kbJson(['cluster', 'quorum']);
    return s.voters.every((v: any) => v.lag === 0) ? s : undefined;
  });
  assert.deepEqual(status.voters.map((v: any) => v.nodeId), [1, 2, 3]);
  assert.deepEqual(status.voters.filter((v: any) => v.status === 'leader').map((v: any) => v.nodeId), [status.leaderId]);
  assert.equal(status.voters.filter((v: any) => v.status === 'follower').length, 2);
  assert.deepEqual(status.observers, []);
  assert.ok(status.leaderEpoch >= 1, `epoch ${status.leaderEpoch}`);
  assert.ok(status.highWatermark > 0, 'the cluster id and the registrations are committed');
  assert.equal(status.maxFollowerLag, 0);
  for (const v of status.voters) assert.ok(v.logEndOffset >= status.highWatermark && v.lastCaughtUpTimestamp > 0, JSON.stringify(v));

  for (const node of record.nodes) {
    const fromNode = await kbJson(['cluster', 'quorum'], addressOf(node.nodeId));
    assert.equal(fromNode.leaderId, status.leaderId, `node ${node.nodeId} leads to the same leader`);
  }
  const table = await runKb(['cluster', 'quorum'], { env: { KB_BROKERS: record.bootstrap } });
  assert.match(table.stdout, new RegExp(`^LEADER\\s+${status.leaderId}\\nEPOCH\\s+\\d+\\nHIGH WATERMARK\\s+\\d+\\nMAX LAG\\s+\\d+[^\\n]*\\nVOTERS\\s+1,2,3\\nOBSERVERS\\s+-\\n`));
  assert.match(table.stdout, /\nNODE\s+STATUS\s+LOG-END\s+LAG\s+LAST-FETCH\s+LAST-CAUGHT-UP\n1\s+(leader|follower)\s+\d+\s+\d+\s+\d+ ms ago\s+\d+ ms ago\n/);

  const info = await kbJson(['cluster', 'info']);
  assert.equal(info.controllerId, status.leaderId, 'the active controller is the quorum leader');
  assert.equal(info.brokers.find((b: any) => b.nodeId === status.leaderId)?.quorum, 'leader');
});

test('DescribeQuorum: the leader answers; a follower says NOT_LEADER_OR_FOLLOWER and names the leader; other topics are unknown', async () => {
  const { leaderId } = await kbJson(['cluster', 'quorum']);
  const follower = record.nodes.find((n) => n.nodeId !== leaderId)!.nodeId;

  const fromLeader = await describeQuorumAt(leaderId);
  const lp = fromLeader.topics[0].partitions[0];
  assert.equal(lp.errorCode, ErrorCode.NONE);
  assert.equal(lp.leaderId, leaderId);
  assert.deepEqual(lp.currentVoters.map((v: any) => v.replicaId).sort(), [1, 2, 3]);
  assert.deepEqual(
    fromLeader.nodes.map((n: any) => [n.nodeId, n.listeners[0].host, n.listeners[0].port]).sort(),
    record.nodes.map((n) => [n.nodeId, '127.0.0.1', n.peerPort]),
  );

  const fromFollower = (await describeQuorumAt(follower)).topics[0].partitions[0];
  assert.equal(fromFollower.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(fromFollower.leaderId, leaderId);
  assert.deepEqual(fromFollower.currentVoters, []);

  for (const [topic, partition] of [['orders', 0], ['__cluster_metadata', 1]] as const) {
    const unknown = await describeQuorumAt(leaderId, topic, partition);
    assert.equal(unknown.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}/${partition}`);
  }
});

test('every node is a live broker; a topic with --rf 3 has 3 replicas and a full ISR per partition in kb topic describe', async () => {
  const info = await until('three live brokers', async () => {
    const i = await kbJson(['cluster', 'info']);
    return i.brokers.filter((b: any) => b.status === 'up').length === 3 ? i : undefined;
  });
  assert.deepEqual(info.brokers.map((b: any) => [b.nodeId, b.port]), record.nodes.map((n) => [n.nodeId, n.port]));
  assert.deepEqual(info.brokers.map((b: any) => b.quorum).sort(), ['follower', 'follower', 'leader']);

  const created = await runKb(['topic', 'create', 'replicated', '--partitions', '3', '--rf', '3'], { env: { KB_BROKERS: record.bootstrap } });
  assert.equal(created.code, 0, created.stderr);
  const described = await until('a leader for every partition', async () => {
    const d = await kbJson(['topic', 'describe', 'replicated']);
    return d.partitions.every((p: any) => p.leader >= 0) ? d : undefined;
  });
  assert.equal(described.partitions.length, 3);
  for (const p of described.partitions) {
    assert.deepEqual([...p.replicas].sort(), [1, 2, 3], `partition ${p.partition} replicas`);
    assert.deepEqual([...p.isr].sort(), [1, 2, 3], `partition ${p.partition} ISR`);
    assert.deepEqual(p.offlineReplicas, []);
    assert.ok(p.replicas.includes(p.leader));
  }
  const table = await runKb(['topic', 'describe', 'replicated'], { env: { KB_BROKERS: record.bootstrap } });
  assert.match(table.stdout, /\nPARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+ISR\s+OFFLINE\s+LOG-START\s+LOG-END\s+SIZE\n0\s+[123]\s+\d+\s+\d,\d,\d\s+\d,\d,\d\s+-\s+0\s+0\s/);
});

test('kb cluster down stops every node of the quorum', async () => {
  const down = await runKb(['cluster', 'down', '--data-dir', dir, '--json'], { timeoutMs: 90_000 });
  assert.equal(down.code, 0, down.stderr);
  const result = JSON.parse(down.stdout);
  assert.deepEqual(result.nodes.map((n: any) => n.nodeId), [1, 2, 3]);
  for (const n of result.nodes) assert.ok(['stopped', 'killed'].includes(n.outcome), JSON.stringify(n));
  for (const n of record.nodes) assert.equal(alive(n.pid), false, `node ${n.nodeId} (pid ${n.pid}) is gone`);
});
