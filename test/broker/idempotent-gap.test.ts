/**
 * A batch that skips sequences the leader has not written is refused as not
 * yet, on a real broker (issue #20: a duplicate under the partition-leader
 * nemesis). A client pipelines its batches, so the leader can see one
 * before the batch ahead of it: that one was refused (here: too few in-sync
 * replicas, and min.insync.replicas is lowered before the next is checked)
 * or is still in flight to the old leader. Answered
 * OUT_OF_ORDER_SEQUENCE_NUMBER, librdkafka bumps its producer epoch and
 * renumbers the batches it is about to retry, on every partition, writing a
 * second copy of any that a leader had written without acknowledging it.
 * Answered NOT_LEADER_OR_FOLLOWER, it retries both in order and both are
 * written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { produceRetrying } from '../helpers/one-shot.ts';
import { BrokerConnection } from '../../src/net/connection.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';

const topic = 'held';
const producerId = 4242n;

test('a batch that skips one refused for too few in-sync replicas is refused as not yet, then both are written in order', { timeout: 120_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const created = await runKb(['topic', 'create', topic, '-p', '1', '-r', '1', '-c', 'min.insync.replicas=2', '-b', broker.address]);
  assert.equal(created.code, 0, created.stderr);
  const connection = new BrokerConnection({ host: broker.host, port: broker.port, clientId: 'holdback-test', requestTimeoutMs: 30_000, connectTimeoutMs: 5_000 });
  await connection.connect();
  t.after(() => connection.close());
  const produce = async (baseSequence: number, acks: number) => {
    const records = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), producerId, producerEpoch: 0, baseSequence, records: [{ value: Buffer.from(`v${baseSequence}`) }] });
    const response = await connection.request(ApiKeys.Produce, 8, { transactionalId: null, acks, timeoutMs: 5_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    const { errorCode, errorMessage, baseOffset } = response.responses[0].partitionResponses[0];
    return { error: errorName(errorCode), errorMessage, baseOffset };
  };

  assert.equal((await produce(0, 1)).error, 'NONE', 'acks=1 is not held to min.insync.replicas');
  assert.equal((await produce(1, -1)).error, 'NOT_ENOUGH_REPLICAS');
  const altered = await runKb(['topic', 'alter-config', topic, '--set', 'min.insync.replicas=1', '-b', broker.address]);
  assert.equal(altered.code, 0, altered.stderr);
  // Another producer's acks=all record is written once the broker has applied the change.
  assert.equal(await produceRetrying(broker.address, topic, 0, 'probe', -1), ErrorCode.NONE);

  const gap = await produce(2, -1);
  assert.equal(gap.error, 'NOT_LEADER_OR_FOLLOWER', gap.errorMessage ?? '');
  assert.equal(gap.errorMessage, "sequence 2 skips sequence 1, which this leader has not written: retry the producer's earlier batches first");
  const retried = [await produce(1, -1), await produce(2, -1)];
  assert.deepEqual(retried.map((r) => [r.error, r.baseOffset]), [['NONE', 2n], ['NONE', 3n]]);
});
