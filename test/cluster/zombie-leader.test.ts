/**
 * A paused leader that resumes does not act on what it believed before the
 * pause (issue #20, fault 9). The node that leads a partition of `events`
 * and coordinates a group is stopped (SIGSTOP) past its session timeout, so
 * the controller fences it and moves its leaderships; a Produce and an
 * OffsetFetch are written to its socket while it is stopped, so they are the
 * first thing it reads when it continues (SIGCONT). Its lease has lapsed:
 * it must answer NOT_LEADER_OR_FOLLOWER and NOT_COORDINATOR, not accept the
 * write nor answer from its stale memory; and it comes back as a live
 * broker afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { probe } from '../helpers/one-shot.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { runKb } from '../helpers/cli.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors.ts';
import { decodeResponse, encodeRequest } from '../../src/protocol/frames.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { partitionForGroup } from '../../src/broker/group/offset-store.ts';
import { defaultFindCoordinatorRequest } from '../../src/protocol/generated/find-coordinator-request.ts';
import { defaultOffsetFetchRequest } from '../../src/protocol/generated/offset-fetch-request.ts';

const group = 'lasting';
const topic = 'events';
const offsetsPartitions = 3;
const produceVersion = 8;
const offsetFetchVersion = 7;

test('a leader and coordinator paused past its session timeout answers NOT_LEADER_OR_FOLLOWER and NOT_COORDINATOR when it resumes', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({
    nodes: 3,
    sets: { ...fastFailover, 'offsets.topic.num.partitions': offsetsPartitions, 'auto.leader.rebalance.enable': false },
  });
  t.after(() => cluster.stop());
  const created = await runKb(['topic', 'create', topic, '--partitions', '3', '--rf', '3', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  const partitions = await waitForPartitions(cluster.bootstrap, topic, 'the ISR is full', (ps) => ps.every((p) => p.isr.length === 3));

  // A commit the coordinator holds in memory (from outside the membership: generation -1).
  let coordinator = -1;
  const findDeadline = Date.now() + 30_000;
  while (coordinator === -1 && Date.now() < findDeadline) {
    const found = await probe(cluster.address(1), 10, 3, { ...defaultFindCoordinatorRequest(), key: group, keyType: 0 });
    if (found?.errorCode === ErrorCode.NONE) coordinator = found.nodeId;
    else await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.notEqual(coordinator, -1, 'the group has a coordinator');
  const commit = {
    groupId: group,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }],
  };
  const commitDeadline = Date.now() + 30_000;
  let committed = -1;
  while (committed !== ErrorCode.NONE && Date.now() < commitDeadline) {
    committed = (await probe(cluster.address(coordinator), 8, 8, commit))?.topics[0].partitions[0].errorCode ?? -1;
    if (committed !== ErrorCode.NONE) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(committed, ErrorCode.NONE, `OffsetCommit: ${errorName(committed)}`);

  // The coordinator leads a partition of events too (three partitions, three nodes, preferred leaders spread).
  const led = partitions.find((p) => p.leader === coordinator);
  assert.ok(led, `node ${coordinator} leads a partition of ${topic}: ${JSON.stringify(partitions)}`);
  const offsetsPartition = partitionForGroup(group, offsetsPartitions);
  const [host, port] = cluster.address(coordinator).split(':');
  const zombie = await RawClient.connect(host, Number(port));
  t.after(() => zombie.close());

  cluster.pause(coordinator);
  t.after(() => cluster.resume(coordinator));
  const survivors = cluster.nodeIds.filter((id) => id !== coordinator).map((id) => cluster.address(id)).join(',');
  await waitForPartitions(survivors, topic, `${topic}-${led.partition} has moved`, (ps) => ps[led.partition].leader !== coordinator && ps[led.partition].leader !== -1);
  await waitForPartitions(survivors, '__consumer_offsets', 'the group has moved', (ps) => ps[offsetsPartition].leader !== coordinator && ps[offsetsPartition].leader !== -1);

  // Written while it is stopped: the first requests it reads after SIGCONT.
  const records = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: [{ value: Buffer.from('from-the-past') }] });
  zombie.write(encodeRequest(0, produceVersion, 101, 'zombie-test', { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: led.partition, records }] }] }));
  zombie.write(encodeRequest(9, offsetFetchVersion, 102, 'zombie-test', { ...defaultOffsetFetchRequest(), groupId: group, topics: [{ name: topic, partitionIndexes: [0] }] }));
  cluster.resume(coordinator);

  const produced = decodeResponse(0, produceVersion, (await zombie.nextFrame(30_000))!).body as any;
  const answer = produced.responses[0].partitionResponses[0];
  assert.equal(errorName(answer.errorCode), errorName(ErrorCode.NOT_LEADER_OR_FOLLOWER), `the resumed node refuses the write: ${answer.errorMessage}`);
  const fetched = decodeResponse(9, offsetFetchVersion, (await zombie.nextFrame(30_000))!).body as any;
  assert.equal(errorName(fetched.errorCode), errorName(ErrorCode.NOT_COORDINATOR), 'the resumed node does not answer from its stale memory');

  // It comes back: registered again, caught up, a follower in the ISR, and its Metadata names the new leader.
  await waitForPartitions(survivors, topic, `node ${coordinator} is back in the ISR of ${topic}-${led.partition}`, (ps) => ps[led.partition].isr.includes(coordinator));
  await waitForPartitions(cluster.address(coordinator), topic, 'the resumed node answers Metadata with the new leader', (ps) => ps[led.partition].leader !== coordinator && ps[led.partition].leader !== -1);
});
