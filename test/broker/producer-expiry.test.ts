/**
 * producer.id.expiration.ms against a real `kb broker start`: a partition
 * forgets an idempotent producer idle that long (DescribeProducers no
 * longer lists it, and its next batch starts afresh instead of being
 * checked against its old sequences), but not a producer whose
 * transaction is still open there, however idle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { createTopic, now, produce, txnBatch } from '../helpers/txn.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';

const topic = 'expiry';
const expirationMs = 6_000;
const [idle, open] = [4100n, 4200n];

const idempotent = (baseSequence: number) =>
  encodeRecordBatch({ baseTimestamp: now(), producerId: idle, producerEpoch: 0, baseSequence, records: [{ value: Buffer.from(`s${baseSequence}`) }] });

async function producers(client: RawClient): Promise<bigint[]> {
  const response = await client.request(ApiKeys.DescribeProducers, 0, { topics: [{ name: topic, partitionIndexes: [0] }] });
  const partition = response.topics[0].partitions[0];
  assert.equal(partition.errorCode, ErrorCode.NONE);
  return partition.activeProducers.map((p: { producerId: bigint }) => p.producerId).sort();
}

test('producer ids idle for producer.id.expiration.ms are forgotten, unless their transaction is open', async (t) => {
  const broker = await startBroker({ sets: { 'producer.id.expiration.ms': expirationMs, 'producer.id.expiration.check.interval.ms': 200 } });
  t.after(() => broker.stop());
  const client = await RawClient.connect(broker.host, broker.port);
  t.after(() => client.close());
  assert.equal(await createTopic(client, topic), ErrorCode.NONE);

  // The open transaction's batch is the older one: it would expire first if an open transaction did not keep it.
  assert.equal((await produce(client, topic, txnBatch(open, 0, ['t'], 0), 'expiry-txn')).errorCode, ErrorCode.NONE);
  assert.equal((await produce(client, topic, idempotent(0), null)).errorCode, ErrorCode.NONE);
  assert.deepEqual(await producers(client), [idle, open]);
  assert.equal((await produce(client, topic, idempotent(5), null)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'a sequence gap while the producer is known');

  const deadline = Date.now() + expirationMs + 30_000;
  while ((await producers(client)).includes(idle) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(await producers(client), [open], 'the idle producer expired; the one with an open transaction stays');
  assert.equal((await produce(client, topic, idempotent(5), null)).errorCode, ErrorCode.NONE, 'an expired producer starts afresh');
});
