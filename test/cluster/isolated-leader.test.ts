/**
 * A partition leader cut off from its peers, but not from its clients,
 * gives up promptly (issue #20, the partition-leader nemesis): once its
 * controller lease lapses (broker.session.timeout.ms after its last
 * acknowledged heartbeat) an acks=all produce it had appended and was
 * holding for followers that can no longer fetch is answered
 * NOT_LEADER_OR_FOLLOWER then, not when the client's 30 s timeout runs
 * out, and not acknowledged; its Metadata stops naming it leader, and the
 * write succeeds at the new leader.
 *
 * The cut runs on loopback with iptables (so it needs root, as the fault
 * suite): every node runs under its own group id, and the leader's
 * outgoing packets to the other nodes' peer listeners (matched by that
 * group id) and every packet to or from its own peer listener are
 * dropped; clients, on its client listener, still reach it. The rules name
 * this cluster's ports only and are removed when the test ends.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { runKb } from '../helpers/cli.ts';
import { missingPrerequisite } from '../chaos/topology.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors.ts';
import { decodeResponse, encodeRequest } from '../../src/protocol/frames.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';

const topic = 'cut-off';
const produceVersion = 8;
/** Far above the lease: an answer at the client's timeout shows the old behaviour. */
const clientTimeoutMs = 30_000;
/** The lease (fastFailover's broker.session.timeout.ms) plus a margin for a loaded machine. */
const answeredWithinMs = fastFailover['broker.session.timeout.ms'] + 9_000;
const gidOf = (id: number) => 47_000 + id;

function iptables(args: string[]): void {
  const result = spawnSync('iptables', args, { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new Error(`iptables ${args.join(' ')}: ${result.stderr.trim()}`);
}

/** Cuts node `id` off from the other nodes' peer listeners and theirs from its own; returns the rules' removal. */
function cutOff(id: number, peerPort: (id: number) => number, others: number[]): () => void {
  const own = String(peerPort(id));
  const rules = [
    ['-p', 'tcp', '--dport', own],
    ['-p', 'tcp', '--sport', own],
    ...others.map((other) => ['-p', 'tcp', '-m', 'owner', '--gid-owner', String(gidOf(id)), '--dport', String(peerPort(other))]),
  ].map((match) => ['OUTPUT', '-o', 'lo', ...match, '-j', 'DROP']);
  const added: string[][] = [];
  const heal = () => {
    for (const rule of added.splice(0)) spawnSync('iptables', ['-D', ...rule], { timeout: 10_000 });
  };
  try {
    for (const rule of rules) {
      iptables(['-A', ...rule]);
      added.push(rule);
    }
  } catch (err) {
    heal();
    throw err;
  }
  return heal;
}

function ready(t: TestContext): boolean {
  const problem = missingPrerequisite();
  if (!problem) return true;
  if (process.env.KB_SKIP_CHAOS === '1' && process.env.KB_REQUIRE_INTEROP !== '1') {
    t.skip(problem);
    return false;
  }
  throw new Error(`${problem} (KB_SKIP_CHAOS=1 skips it locally)`);
}

test('a leader cut off from its peers answers a held acks=all produce NOT_LEADER_OR_FOLLOWER once its lease lapses', { timeout: 180_000 }, async (t) => {
  if (!ready(t)) return;
  const cluster = await startCluster({ nodes: 3, sets: { ...fastFailover, 'auto.leader.rebalance.enable': false }, gid: gidOf });
  t.after(() => cluster.stop());
  const created = await runKb(['topic', 'create', topic, '--partitions', '1', '--rf', '3', '--config', 'min.insync.replicas=2', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  const [before] = await waitForPartitions(cluster.bootstrap, topic, 'the ISR is full', (ps) => ps.length === 1 && ps[0].isr.length === 3);
  const leader = before.leader;
  const others = cluster.nodeIds.filter((id) => id !== leader);
  const [host, port] = cluster.address(leader).split(':');
  const client = await RawClient.connect(host, Number(port));
  t.after(() => client.close());

  const heal = cutOff(leader, (id) => Number(cluster.peerAddress(id).split(':')[1]), others);
  t.after(heal);
  const records = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: [{ value: Buffer.from('held') }] });
  const sentAt = performance.now();
  client.write(encodeRequest(0, produceVersion, 1, 'isolated-test', { transactionalId: null, acks: -1, timeoutMs: clientTimeoutMs, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }));
  const frame = await client.nextFrame(clientTimeoutMs + 10_000);
  const elapsedMs = Math.round(performance.now() - sentAt);
  assert.ok(frame, 'the cut-off leader answers the produce');
  const answer = (decodeResponse(0, produceVersion, frame).body as any).responses[0].partitionResponses[0];
  assert.equal(errorName(answer.errorCode), errorName(ErrorCode.NOT_LEADER_OR_FOLLOWER), `the write is not acknowledged by the cut-off leader: ${answer.errorMessage}`);
  assert.ok(elapsedMs < answeredWithinMs, `answered after ${elapsedMs} ms: within the lease plus a margin (${answeredWithinMs} ms), not at the client's ${clientTimeoutMs} ms timeout`);

  // The cut-off node no longer names itself leader; the others elect one, which takes the write.
  await waitForPartitions(cluster.address(leader), topic, 'the cut-off node does not name itself leader', (ps) => ps[0].leader !== leader);
  const survivors = others.map((id) => cluster.address(id)).join(',');
  const [after] = await waitForPartitions(survivors, topic, 'a new leader', (ps) => ps[0].leader !== leader && ps[0].leader !== -1);
  const [newHost, newPort] = cluster.address(after.leader).split(':');
  const retry = await RawClient.connect(newHost, Number(newPort));
  t.after(() => retry.close());
  retry.write(encodeRequest(0, produceVersion, 2, 'isolated-test', { transactionalId: null, acks: -1, timeoutMs: clientTimeoutMs, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }));
  const retried = (decodeResponse(0, produceVersion, (await retry.nextFrame(clientTimeoutMs + 10_000))!).body as any).responses[0].partitionResponses[0];
  assert.equal(errorName(retried.errorCode), errorName(ErrorCode.NONE), `the new leader ${after.leader} takes the write: ${retried.errorMessage}`);
});
