/**
 * Partitions on real logs in temporary directories, for replica tests: a
 * settable clock, a topic's min.insync.replicas, and a stand-in for the
 * controller's AlterPartition (records each request; answers like the
 * controller would, with the new ISR and partition epoch + 1, or holds the
 * answer until the test releases it), recording the ISR changes the
 * partition reports and the lines it logs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { systemTime } from '../../../src/clock.ts';
import { Partition, type ReplicationContext } from '../../../src/broker/replica/partition.ts';
import type { PartitionRecord } from '../../../src/metadata/records.ts';
import type { AlterPartitionRequest } from '../../../src/protocol/generated/alter-partition-request.ts';
import type { AlterPartitionResponse } from '../../../src/protocol/generated/alter-partition-response.ts';
import { readBatchHeader } from '../../../src/protocol/records/batch-header.ts';
import { encodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { Log } from '../../../src/storage/log.ts';
import assert from 'node:assert/strict';
import { truncationOffset } from '../../../src/broker/replica/replica-fetcher.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { recordBatches } from '../../../src/protocol/records/batch-splitter.ts';

export const silent = { info() {}, warn() {}, error() {} };

export interface TestController {
  requests: AlterPartitionRequest[];
  /** When set, answers wait until `release()` is called. */
  hold: boolean;
  release(): void;
}

export interface TestReplica {
  partition: Partition;
  /** A new Partition on the same log, opened. */
  reopen(): Promise<Partition>;
  /** Closes the log cleanly, opens it again and a new Partition on it: a broker restart. */
  restart(hooks?: RestartHooks): Promise<Partition>;
  dir: string;
  log: Log;
  clock: { now: number };
  controller: TestController;
  settings: { minInsyncReplicas: number };
  /** Every ISR change the partition reported (ReplicationContext.isrChanged), in order. */
  isrChanges: { previous: number[]; next: number[] }[];
  /** Every line it logged, in order. */
  logs: string[];
}

export interface RestartHooks {
  /** After the log closed (e.g. to remove files a crash would not have left). */
  closed?: () => Promise<void>;
  /** The reopened log, before the partition opens on it. */
  opened?: (log: Log) => void;
}

type After = { after(fn: () => Promise<void>): void };

export function partitionRecord(fields: Partial<PartitionRecord>): PartitionRecord {
  return { type: 'partition', topicId: '0123456789abcdef0123456789abcdef', partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 3, partitionEpoch: 0, ...fields };
}

/** Opens a partition replica of node `nodeId` on a fresh log with `state`. */
export async function openReplica(t: After, nodeId: number, state: PartitionRecord, lagTimeMaxMs = 30_000): Promise<TestReplica> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-replica-'));
  let log = await Log.open(dir, {}, { logger: silent });
  t.after(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });
  const clock = { now: 1_000_000 };
  const settings = { minInsyncReplicas: 1 };
  const held: (() => void)[] = [];
  const isrChanges: TestReplica['isrChanges'] = [];
  const logs: string[] = [];
  const record = (line: string) => void logs.push(line);
  const controller: TestController = {
    requests: [],
    hold: false,
    release: () => held.splice(0).forEach((answer) => answer()),
  };
  const cluster: ReplicationContext = {
    nodeId,
    time: { ...systemTime, monotonicMs: () => clock.now },
    lagTimeMaxMs,
    liveBrokerEpoch: () => 7n,
    serving: () => true,
    alterPartition: (request) => {
      controller.requests.push(request);
      const p = request.topics[0].partitions[0];
      const response: AlterPartitionResponse = {
        throttleTimeMs: 0,
        errorCode: 0,
        topics: [
          {
            topicName: '',
            topicId: request.topics[0].topicId,
            partitions: [
              { partitionIndex: p.partitionIndex, errorCode: 0, leaderId: nodeId, leaderEpoch: p.leaderEpoch, isr: p.newIsr, leaderRecoveryState: 0, partitionEpoch: p.partitionEpoch + 1 },
            ],
          },
        ],
      };
      if (!controller.hold) return Promise.resolve(response);
      return new Promise((resolve) => held.push(() => resolve(response)));
    },
    isrChanged: (previous, next) => isrChanges.push({ previous: [...previous], next: [...next] }),
    logger: { info: record, warn: record, error: record },
  };
  const reopen = async (current = log) => {
    const partition = new Partition('t', 0, current, state, {
      maxMessageBytes: () => 1 << 20,
      logAppendTime: () => false,
      minInsyncReplicas: () => settings.minInsyncReplicas,
    }, cluster);
    await partition.open();
    return partition;
  };
  const restart = async (hooks: RestartHooks = {}) => {
    await log.close();
    await hooks.closed?.();
    log = await Log.open(dir, {}, { logger: silent });
    hooks.opened?.(log);
    return reopen(log);
  };
  return { partition: await reopen(), reopen: () => reopen(), restart, dir, log, clock, controller, settings, isrChanges, logs };
}

export function batch(records: number, idempotent?: { producerId: bigint; baseSequence: number }): Buffer {
  return encodeRecordBatch({
    baseTimestamp: BigInt(Date.now()), // old timestamps would roll a segment per batch (segment.ms)
    records: Array.from({ length: records }, (_, i) => ({ value: Buffer.from(`v${i}`), offsetDelta: i })),
    ...(idempotent ? { producerId: idempotent.producerId, producerEpoch: 0, baseSequence: idempotent.baseSequence } : {}),
  });
}

export function appendAsLeader(partition: Partition, b: Buffer, acks = 1) {
  return partition.appendAsLeader(b, readBatchHeader(b), acks);
}

/** Lets queued promise callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One follower fetch round, as the fetcher does it: fetch at the log end, truncate on divergence, else append and follow the HW. */
export async function replicate(leader: Partition, follower: Partition, followerId: number): Promise<'diverged' | 'fetched'> {
  const fetchOffset = follower.log.logEndOffset;
  const diverging = leader.divergingEpoch(follower.log.latestEpoch, fetchOffset);
  if (diverging) {
    await follower.truncateTo(truncationOffset(follower, diverging));
    return 'diverged';
  }
  leader.recordFollowerFetch(followerId, fetchOffset);
  const read = await leader.readForFollower(fetchOffset, 1 << 20, true);
  assert.equal(read.errorCode, ErrorCode.NONE);
  const batches = [...recordBatches(read.records!)].map((s) => Buffer.from(s.bytes));
  if (batches.length > 0) await follower.appendAsFollower(batches);
  follower.updateFollowerHighWatermark(read.highWatermark);
  return 'fetched';
}
