/**
 * The ISR shrink check of a ReplicaManager, on its own timer: a follower
 * out of sync for longer than replica.lag.time.max.ms is proposed out of
 * the ISR within about a second, not half the lag time later, and the
 * leader logs why it left once the change is committed.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BrokerConfig } from '../../../src/broker/config.ts';
import { systemTime } from '../../../src/clock.ts';
import { ReplicaManager, replicationSettings } from '../../../src/broker/replica/replica-manager.ts';
import { TopicConfigs } from '../../../src/broker/topic-configs.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import type { MetadataRecord } from '../../../src/metadata/records.ts';
import type { AlterPartitionRequest } from '../../../src/protocol/generated/alter-partition-request.ts';
import type { AlterPartitionResponse } from '../../../src/protocol/generated/alter-partition-response.ts';
import { partitionRecord } from './helpers.ts';

/** The controller's answer accepting `request`'s ISR with the next partition epoch. */
function accepted(request: AlterPartitionRequest): AlterPartitionResponse {
  const p = request.topics[0].partitions[0];
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    topics: [
      {
        topicName: '',
        topicId: request.topics[0].topicId,
        partitions: [{ partitionIndex: p.partitionIndex, errorCode: 0, leaderId: request.brokerId, leaderEpoch: p.leaderEpoch, isr: p.newIsr, leaderRecoveryState: 0, partitionEpoch: p.partitionEpoch + 1 }],
      },
    ],
  };
}

async function eventually(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('a follower out of sync past replica.lag.time.max.ms leaves the ISR within about a second, with the reason logged', async (t: TestContext) => {
  const lagTimeMaxMs = 60_000;
  const clock = { now: 1_000_000 };
  const image = new MetadataImage();
  const topicId = '0123456789abcdef0123456789abcdef';
  const records: MetadataRecord[] = [
    { type: 'broker', nodeId: 1, endpoints: [{ name: 'PEER', host: '127.0.0.1', port: 1, securityProtocol: 'PLAINTEXT' }], rack: null, epoch: 1, fenced: false },
    { type: 'broker', nodeId: 2, endpoints: [{ name: 'PEER', host: '127.0.0.1', port: 2, securityProtocol: 'PLAINTEXT' }], rack: null, epoch: 1, fenced: false },
    { type: 'topic', name: 'lag', topicId } as MetadataRecord,
    partitionRecord({ topicId, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0 }),
  ];
  for (const record of records) image.apply(record);
  const config = new BrokerConfig([['node.id', '1'], ['replica.lag.time.max.ms', String(lagTimeMaxMs)]]);
  const requests: AlterPartitionRequest[] = [];
  const lines: string[] = [];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-isr-shrink-'));
  const replicas = new ReplicaManager({
    credentials: null,
    nodeId: 1,
    logsDir: dir,
    image,
    topicConfigs: new TopicConfigs(config, image),
    recoveryThreads: 1,
    logger: { info: (line: string) => lines.push(line), warn: (line: string) => lines.push(line), error: (line: string) => lines.push(line) },
    replication: replicationSettings(config),
    interBrokerListener: 'PEER',
    alterPartition: async (request) => (requests.push(request), accepted(request)),
    time: { ...systemTime, monotonicMs: () => clock.now },
  });
  t.after(async () => {
    await replicas.close();
    await rm(dir, { recursive: true, force: true });
  });
  await replicas.start();
  assert.equal(replicas.hostedPartitions()[0].isLeader, true);

  // Follower 2 never fetches: out of sync once the lag time has passed since the term began.
  clock.now += lagTimeMaxMs + 1;
  await eventually('the ISR shrink proposal', () => requests.length > 0, 10_000);
  assert.deepEqual(requests[0].topics[0].partitions[0].newIsr, [1]);
  await eventually('the log line', () => lines.some((l) => l.includes('lag-0: replica 2 leaves the ISR')), 5_000);
  assert.ok(lines.some((l) => l === `lag-0: replica 2 leaves the ISR, now [1]: not fetching (unreachable) for ${lagTimeMaxMs + 1} ms`), lines.join('\n'));
});
