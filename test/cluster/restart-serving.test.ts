/**
 * A broker restarted after kill -9 serves nothing stale while it starts
 * (issue #20, fault 5). A confluent-kafka member commits what it read; right
 * after the last acknowledged commit the group coordinator's node is killed
 * and restarted at once, well within the 60 s high-watermark checkpoint
 * interval and before the controller has fenced its old session. From the
 * moment it accepts connections, it and the group's current coordinator are
 * probed: OffsetFetch must answer the acknowledged offsets or a retriable
 * error, never "no committed offset" (-1) nor a lower offset; Metadata from
 * the restarted node must never call an existing topic unknown, nor name
 * the restarted node leader in the epoch it led before it was killed, and
 * it must not accept a write to a partition it led then (with automatic
 * leader rebalancing off, the controller does not give it back);
 * and while it starts it must not shrink an ISR to itself (its followers'
 * fetches are refused meanwhile, and after a power loss its log may be the
 * shortest), which a replica.lag.time.max.ms shorter than the session
 * timeout would otherwise let it do in its old registration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { GroupMember, until } from '../helpers/group-member.ts';
import { probe } from '../helpers/one-shot.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors.ts';
import { defaultMetadataRequest } from '../../src/protocol/generated/metadata-request.ts';
import { defaultOffsetFetchRequest } from '../../src/protocol/generated/offset-fetch-request.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { defaultFindCoordinatorRequest } from '../../src/protocol/generated/find-coordinator-request.ts';

const group = 'keeper';
const topic = 'events';
const partitionCount = 3;

const offsetFetch = (address: string) =>
  probe(address, 9, 7, { ...defaultOffsetFetchRequest(), groupId: group, topics: [{ name: topic, partitionIndexes: [0, 1, 2] }] });
const metadata = (address: string) => probe(address, 3, 9, { ...defaultMetadataRequest(), topics: [{ topicId: Buffer.alloc(16), name: topic }], allowAutoTopicCreation: false });
const topicsMetadata = (address: string) =>
  probe(address, 3, 9, { ...defaultMetadataRequest(), topics: [topic, '__consumer_offsets'].map((name) => ({ topicId: Buffer.alloc(16), name })), allowAutoTopicCreation: false });
const produce = (address: string, partitions: number[]) =>
  probe(address, 0, 8, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: partitions.map((index) => ({ index, records: encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: [{ value: Buffer.from('probe') }] }) })) }],
  });
const findCoordinator = (address: string) => probe(address, 10, 3, { ...defaultFindCoordinatorRequest(), key: group, keyType: 0 });

test('a coordinator killed right after an acknowledged commit and restarted serves neither lost offsets nor stale metadata', { timeout: 240_000 }, async (t) => {
  if (!requireTool(t, tools.confluentKafka) || !requireTool(t, tools.kcat)) return;
  const cluster = await startCluster({
    nodes: 3,
    sets: {
      ...fastFailover,
      'group.initial.rebalance.delay.ms': 0,
      'group.min.session.timeout.ms': 1000,
      'offsets.topic.num.partitions': 3,
      'auto.leader.rebalance.enable': false,
      'replica.lag.time.max.ms': 1000,
    },
  });
  t.after(() => cluster.stop());
  const created = await runKb(['topic', 'create', topic, '--partitions', String(partitionCount), '--rf', '3', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  await waitForPartitions(cluster.bootstrap, topic, 'the ISR is full', (ps) => ps.every((p) => p.isr.length === 3));
  const values: string[] = [];
  for (let partition = 0; partition < partitionCount; partition++) {
    const these = Array.from({ length: 20 + 10 * partition }, (_, i) => `p${partition}-${i}`);
    await kcatOk(['-b', cluster.bootstrap, '-P', '-t', topic, '-p', String(partition), '-X', 'acks=all'], { input: `${these.join('\n')}\n` });
    values.push(...these);
  }

  const reader = new GroupMember({ bootstrap: cluster.bootstrap, group, topic, name: 'reader', sessionTimeoutMs: 3000, strategy: 'range' });
  t.after(() => reader.kill());
  await until(() => reader.committed().length === values.length, 60_000, 'the member commits every record', () => reader.describe());
  const found = await findCoordinator(cluster.address(1));
  assert.equal(found?.errorCode, ErrorCode.NONE, `FindCoordinator: ${found?.errorMessage}`);
  const coordinator: number = found.nodeId;
  const before = await waitForPartitions(cluster.bootstrap, topic, 'every partition has a leader', (ps) => ps.every((p) => p.leader !== -1));
  const epochBefore = new Map(before.map((p) => [p.partition, p.leaderEpoch]));
  const led = before.filter((p) => p.leader === coordinator).map((p) => p.partition);
  assert.ok(led.length > 0, `node ${coordinator} leads a partition of ${topic} (preferred leaders are spread): ${JSON.stringify(before)}`);

  // Right after the last acknowledged commit: kill -9 the coordinator and start it again at once.
  await reader.kill();
  await cluster.kill(coordinator);
  const expected = new Map<number, number>();
  for (const [partition, offset] of reader.committed()) expected.set(partition, Math.max(expected.get(partition) ?? 0, offset + 1));
  assert.equal(expected.size, partitionCount, 'the member committed on every partition');
  let started = false;
  const restarting = cluster.restart(coordinator).finally(() => (started = true));
  t.after(() => restarting.catch(() => undefined));

  const restarted = cluster.address(coordinator);
  const survivor = cluster.address(cluster.nodeIds.find((id) => id !== coordinator)!);
  const wrong = new Set<string>();
  let answeredWhileStarting = 0;
  const checkOffsets = (where: string, answer: any): boolean => {
    if (answer === null || answer.errorCode !== ErrorCode.NONE) return false;
    const got = new Map<number, number>(answer.topics[0].partitions.map((p: any) => [p.partitionIndex, Number(p.committedOffset)]));
    const ok = [...expected].every(([partition, offset]) => got.get(partition) === offset);
    if (!ok) wrong.add(`${where}: OffsetFetch answered ${JSON.stringify([...got])}, acknowledged ${JSON.stringify([...expected])}`);
    return ok;
  };
  const checkMetadata = (answer: any) => {
    const described = answer.topics[0];
    if (described.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) wrong.add(`restarted node: Metadata said ${topic} does not exist`);
    if (described.errorCode !== ErrorCode.NONE) return;
    if (described.partitions.length !== partitionCount) wrong.add(`restarted node: Metadata said ${topic} has ${described.partitions.length} partitions`);
    for (const p of described.partitions) {
      if (p.leaderId === coordinator && p.leaderEpoch <= epochBefore.get(p.partitionIndex)!) {
        wrong.add(`restarted node: Metadata named itself leader of ${topic}-${p.partitionIndex} in epoch ${p.leaderEpoch} (it led epoch ${epochBefore.get(p.partitionIndex)} before the kill)`);
      }
    }
  };

  // Probe until the node has started and the group's coordinator (wherever it is now) answers the acknowledged offsets.
  const deadline = Date.now() + 90_000;
  let settled = false;
  while (!settled && Date.now() < deadline) {
    const wasStarting = !started;
    const [fetched, described, produced] = await Promise.all([offsetFetch(restarted), metadata(restarted), produce(restarted, led)]);
    for (const p of produced?.responses[0].partitionResponses ?? []) {
      if (p.errorCode === ErrorCode.NONE) wrong.add(`restarted node: accepted a write to ${topic}-${p.index}, which it led before the kill and was not given back`);
    }
    if (wasStarting && (fetched !== null || described !== null)) answeredWhileStarting += 1;
    checkOffsets('restarted node', fetched);
    if (described !== null) checkMetadata(described);
    for (const described of (await topicsMetadata(survivor))?.topics ?? []) {
      for (const p of described.partitions) {
        if (p.isrNodes.length === 1 && p.isrNodes[0] === coordinator) wrong.add(`the restarted node shrank the ISR of ${described.name}-${p.partitionIndex} to itself`);
      }
    }
    const current = await findCoordinator(survivor);
    if (current?.errorCode === ErrorCode.NONE) {
      const answer = await offsetFetch(`${current.host}:${current.port}`);
      settled = checkOffsets(`coordinator ${current.nodeId}`, answer) && started;
      if (answer !== null && answer.errorCode !== ErrorCode.NONE && !retriable(answer.errorCode)) wrong.add(`coordinator ${current.nodeId}: ${errorName(answer.errorCode)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await restarting;
  assert.deepEqual([...wrong], [], 'no wrong answer while the coordinator restarted');
  assert.ok(settled, 'the group coordinator answers the acknowledged offsets after the restart');
  assert.ok(answeredWhileStarting > 0, 'the restarted node was probed while it was starting');
});

function retriable(errorCode: number): boolean {
  const codes: number[] = [ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE];
  return codes.includes(errorCode);
}
