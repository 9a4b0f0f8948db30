/**
 * The broker's `time` option reaches what it runs: a real broker given a
 * wall clock that reads a fixed instant stamps a LogAppendTime topic's
 * records with that instant (over the wire, in the Produce answer and in
 * the fetched batch), not with the process clock.
 */
import { endpointOf } from '../../src/metadata/records.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Broker } from '../../src/broker/broker.ts';
import { BrokerConfig } from '../../src/broker/config.ts';
import { BrokerConnection } from '../../src/net/connection.ts';
import { systemTime } from '../../src/clock.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { defaultFetchRequest } from '../../src/protocol/generated/fetch-request.ts';
import { readBatchHeader } from '../../src/protocol/records/batch-header.ts';
import { batch, silent } from './replica/helpers.ts';

test('a broker stamps LogAppendTime from its injected wall clock', async (t) => {
  const instantMs = 1_234_567_890_123;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-broker-time-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const broker = new Broker({
    config: new BrokerConfig(),
    listen: { host: '127.0.0.1', port: 0 },
    dataDir: dir,
    logger: silent,
    time: { ...systemTime, wallMs: () => instantMs },
  });
  await broker.start();
  t.after(() => broker.stop());
  const { host, port } = endpointOf(broker.image.brokers.get(1)!, 'CLIENT')!;
  const client = new BrokerConnection({ host, port, clientId: 'test', requestTimeoutMs: 15_000, connectTimeoutMs: 5_000 });
  await client.connect();
  t.after(() => client.close());
  const created = await client.request(19, 7, {
    topics: [{ name: 'stamped', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }],
    timeoutMs: 15_000,
    validateOnly: false,
  });
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
  await broker.replicas.topicReady('stamped');

  const produced = await client.request(0, 8, { transactionalId: null, acks: 1, timeoutMs: 5_000, topicData: [{ name: 'stamped', partitionData: [{ index: 0, records: batch(2) }] }] });
  const answer = produced.responses[0].partitionResponses[0];
  assert.equal(answer.errorCode, ErrorCode.NONE, answer.errorMessage ?? undefined);
  assert.equal(answer.logAppendTimeMs, BigInt(instantMs));

  const fetched = await client.request(1, 12, {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ topic: 'stamped', topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
  });
  const partition = fetched.responses[0].partitions[0];
  assert.equal(partition.errorCode, ErrorCode.NONE);
  assert.equal(readBatchHeader(partition.records!).maxTimestamp, BigInt(instantMs));
});
