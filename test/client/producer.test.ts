/**
 * kb's Producer against a real broker: with maxInFlight above one it keeps
 * several Produce requests of a partition out at once (counted on the real
 * connection it uses), still never more than maxInFlight, and on a healthy
 * connection every record gets the offset of its send order; the default
 * keeps one request out at a time. The callback form of send reports each
 * record's offset or error once, never before send has returned.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/client/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Producer } from '../../src/client/producer.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ApiKeys, type ApiKey, type RequestOf } from '../../src/protocol/generated/api-keys.ts';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
});
after(() => broker?.stop());

/** Produces `count` records to a new topic with `maxInFlight`; returns the offsets in send order and the most Produce requests seen out at once. */
async function produce(topic: string, count: number, maxInFlight?: number): Promise<{ offsets: bigint[]; mostInFlight: number }> {
  const cluster = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }], clientId: 'producer-test' });
  try {
    const created = await new Admin(cluster).createTopic({ name: topic, partitions: 1, replicationFactor: -1, configs: {} });
    assert.equal(created.errorCode, ErrorCode.NONE, created.errorMessage ?? '');
    await cluster.refreshMetadata([topic]);
    const connection = await cluster.broker(cluster.metadata!.topics.get(topic)!.partitions[0].leader);
    let inFlight = 0;
    let mostInFlight = 0;
    const request = connection.request.bind(connection);
    connection.request = async <K extends ApiKey>(apiKey: K, clientMax: number, body: RequestOf<K>) => {
      if (apiKey !== ApiKeys.Produce) return request(apiKey, clientMax, body);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      try {
        return await request(apiKey, clientMax, body);
      } finally {
        inFlight--;
      }
    };
    const producer = new Producer(cluster, { acks: 1, batchBytes: 2048, lingerMs: 1, ...(maxInFlight === undefined ? {} : { maxInFlight }) });
    const value = Buffer.alloc(200, 'v');
    const sent = Array.from({ length: count }, (_, i) => producer.send(topic, { key: Buffer.from(String(i)), value, partition: 0 }));
    const offsets = (await Promise.all(sent)).map((m) => m.offset);
    await producer.flush();
    return { offsets, mostInFlight };
  } finally {
    cluster.close();
  }
}

test('maxInFlight 4 keeps several batches of a partition out at once, at most 4, and offsets follow send order', async () => {
  const { offsets, mostInFlight } = await produce('pipelined', 1000, 4);
  assert.deepEqual(offsets, Array.from({ length: 1000 }, (_, i) => BigInt(i)));
  assert.ok(mostInFlight > 1 && mostInFlight <= 4, `most Produce requests out at once: ${mostInFlight}`);
});

test('by default one batch of a partition is out at a time', async () => {
  const { offsets, mostInFlight } = await produce('one-at-a-time', 300);
  assert.deepEqual(offsets, Array.from({ length: 300 }, (_, i) => BigInt(i)));
  assert.equal(mostInFlight, 1);
});

test('send with a callback reports every offset in send order, and errors only after send returned', async () => {
  const cluster = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }], clientId: 'producer-test' });
  try {
    const created = await new Admin(cluster).createTopic({ name: 'called-back', partitions: 2, replicationFactor: -1, configs: {} });
    assert.equal(created.errorCode, ErrorCode.NONE, created.errorMessage ?? '');
    await cluster.refreshMetadata(['called-back']);
    const producer = new Producer(cluster, { acks: 1, batchBytes: 4096, lingerMs: 1 });
    const outcomes: { partition?: number; offset?: bigint; error?: string }[] = [];
    let returned = false;
    const done = new Promise<void>((resolve) => {
      const noteOutcome = (i: number) => (err: Error | null, metadata?: { partition: number; offset: bigint }) => {
        outcomes[i] = err ? { error: `${returned ? 'after' : 'before'} return: ${err.message}` } : { partition: metadata!.partition, offset: metadata!.offset };
        if (outcomes.filter(Boolean).length === 502) resolve();
      };
      for (let i = 0; i < 500; i++) producer.send('called-back', { value: Buffer.alloc(100, i), partition: i % 2 }, noteOutcome(i));
      producer.send('called-back', { value: null, partition: 7 }, noteOutcome(500));
      producer.send('no-such-topic', { value: null }, noteOutcome(501));
      returned = true;
    });
    await done;
    for (let i = 0; i < 500; i++) assert.deepEqual(outcomes[i], { partition: i % 2, offset: BigInt(Math.floor(i / 2)) }, `record ${i}`);
    assert.match(outcomes[500].error!, /^after return: .*has no partition 7/);
    assert.match(outcomes[501].error!, /^after return: topic 'no-such-topic' does not exist/);
  } finally {
    cluster.close();
  }
});
