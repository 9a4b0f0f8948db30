/**
 * The group coordinator loads a __consumer_offsets partition up to its log
 * end, not its high watermark: a leader's high watermark can lag the commits
 * already in its log (a restarted leader's comes from a checkpoint, a new
 * leader's from its last fetch as a follower), and loading only to it
 * answers "no committed offset" for commits that were acknowledged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupCoordinator, consumerOffsetsTopic } from '../../../src/broker/group/coordinator.ts';
import { offsetRecord } from '../../../src/broker/group/offset-records.ts';
import { BrokerConfig } from '../../../src/broker/config.ts';
import { silentLogger } from '../../../src/logger.ts';
import type { ReplicaManager } from '../../../src/broker/replica/replica-manager.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { readBatchHeader } from '../../../src/protocol/records/batch-header.ts';
import { encodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { openReplica, partitionRecord } from '../replica/helpers.ts';
import { FakeClock } from './fake-clock.ts';

const topicId = '0123456789abcdef0123456789abcdef';

test('a coordinator whose high watermark lags its log end loads every commit in the log', async (t) => {
  // Leader of the only __consumer_offsets partition with a follower that has not fetched yet: the high watermark stays at 0.
  const state = partitionRecord({ topicId, replicas: [1, 2], isr: [1, 2], leader: 1 });
  const { partition } = await openReplica(t, 1, state);
  const committed = { leaderEpoch: -1, metadata: '', commitTimestampMs: 0, expireTimestampMs: null };
  for (const offset of [5141n, 5142n]) {
    const batch = encodeRecordBatch({ baseTimestamp: 0n, records: [offsetRecord('g', 'events', 0, { ...committed, offset })] });
    const appended = await partition.appendAsLeader(batch, readBatchHeader(batch), 1);
    assert.equal(appended.errorCode, ErrorCode.NONE);
  }
  assert.equal(partition.highWatermark, 0n);
  assert.equal(partition.log.logEndOffset, 2n);

  const image = new MetadataImage();
  image.apply({ type: 'topic', name: consumerOffsetsTopic, topicId });
  image.apply(state);
  const replicas = { leaderPartition: () => partition } as unknown as ReplicaManager;
  const coordinator = new GroupCoordinator({
    nodeId: 1,
    config: new BrokerConfig([]),
    image,
    createTopics: () => Promise.reject(new Error('no controller here')),
    replicas,
    liveBrokers: () => [],
    logger: silentLogger,
    clock: new FakeClock(),
  });
  t.after(() => coordinator.stop());

  const wanted = [{ topic: 'events', partition: 0 }];
  assert.equal((await coordinator.fetchOffsets('g', wanted)).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  let fetched = await coordinator.fetchOffsets('g', wanted);
  for (let tries = 0; fetched.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && tries < 1000; tries++) {
    await new Promise((resolve) => setImmediate(resolve));
    fetched = await coordinator.fetchOffsets('g', wanted);
  }
  assert.equal(fetched.errorCode, ErrorCode.NONE);
  assert.equal(fetched.offsets[0].committed?.offset, 5142n, 'the latest commit in the log, above the high watermark');
});
