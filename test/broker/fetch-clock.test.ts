/**
 * A Fetch is held for its max wait on the monotonic clock: with the wall
 * clock running backwards (Date.now mocked in this process, where a real
 * broker runs), an empty long poll on an idle partition is still answered
 * after about maxWaitMs instead of being held until data arrives.
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
import { ErrorCode } from '../../src/protocol/errors.ts';
import { defaultFetchRequest } from '../../src/protocol/generated/fetch-request.ts';
import { silent } from './replica/helpers.ts';

const zeroUuid = Buffer.alloc(16);

function fetchRequest(maxWaitMs: number) {
  return {
    ...defaultFetchRequest(),
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    topics: [
      {
        topic: 'idle',
        topicId: zeroUuid,
        partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: zeroUuid }],
      },
    ],
  };
}

test('an empty Fetch is answered after its max wait while the wall clock runs backwards', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-fetch-clock-'));
  const broker = new Broker({ config: new BrokerConfig(), listen: { host: '127.0.0.1', port: 0 }, dataDir: dir, logger: silent });
  t.after(() => rm(dir, { recursive: true, force: true }));
  await broker.start();
  t.after(() => broker.stop());
  const { host, port } = endpointOf(broker.image.brokers.get(1)!, 'CLIENT')!;
  const client = new BrokerConnection({ host, port, clientId: 'test', requestTimeoutMs: 30_000, connectTimeoutMs: 5_000 });
  await client.connect();
  t.after(() => client.close());
  const created = await client.request(19, 7, { topics: [{ name: 'idle', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 15_000, validateOnly: false });
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
  const deadline = performance.now() + 15_000;
  while ((await client.request(1, 12, fetchRequest(0))).responses[0].partitions[0].errorCode !== ErrorCode.NONE) {
    assert.ok(performance.now() < deadline, 'the new partition is served within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const realNow = Date.now;
  const frozenAt = realNow();
  t.mock.method(Date, 'now', () => 2 * frozenAt - realNow());
  const started = performance.now();
  const response = await client.request(1, 12, fetchRequest(500));
  const heldMs = performance.now() - started;
  const [partition] = response.responses[0].partitions;
  assert.equal(partition.errorCode, ErrorCode.NONE);
  assert.equal(partition.records?.length ?? 0, 0, 'nothing to read');
  assert.ok(heldMs >= 400, `held for its max wait (${Math.round(heldMs)} ms)`);
  assert.ok(heldMs < 10_000, `answered after about its max wait of 500 ms, not held on (${Math.round(heldMs)} ms)`);
});
