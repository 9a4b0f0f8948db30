/**
 * `kb txn list`, `kb txn describe`, `kb txn find-hanging` and `kb txn
 * abort` against a real broker holding a transactional id with an open
 * transaction (made with raw requests): the table and --json output, the
 * state filter, an unknown id (exit 1, an error that says where to look);
 * abort needs --yes without a TTY (exit 2), refuses an id without an open
 * transaction (exit 1), and aborts an open one, fencing its producer;
 * find-hanging lists the open transaction on its partition when older than
 * --max-age, and no longer once aborted; a transaction its coordinator
 * never knew (a hanging one) is aborted on its partition (--topic
 * --partition --start-offset): the last stable offset moves past it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { addPartitions, createTopic, findCoordinator, initProducerId } from '../helpers/txn-requests.ts';
import { plainBatch, produce, txnBatch } from '../helpers/txn.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';

test('kb txn list and describe show the transactional ids and their open transactions', async (t) => {
  const broker = await startBroker({ sets: { 'transaction.state.log.num.partitions': 2 } });
  t.after(() => broker.stop());
  const client = await RawClient.connect(broker.host, broker.port);
  t.after(() => client.close());
  assert.equal((await findCoordinator(client, 'cli-open')).errorCode, ErrorCode.NONE);
  const topic = await createTopic(client, 2);
  const open = await initProducerId(client, 'cli-open', { timeoutMs: 60_000 });
  const idle = await initProducerId(client, 'cli-idle');
  assert.deepEqual(await addPartitions(client, 'cli-open', open.producerId, open.producerEpoch, [{ name: topic, partitions: [1, 0] }]), [
    [topic, 1, ErrorCode.NONE],
    [topic, 0, ErrorCode.NONE],
  ]);

  const listed = await runKb(['txn', 'list', '-b', broker.address, '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout).transactions, [
    { transactionalId: 'cli-idle', producerId: Number(idle.producerId), state: 'Empty', coordinator: 1 },
    { transactionalId: 'cli-open', producerId: Number(open.producerId), state: 'Ongoing', coordinator: 1 },
  ]);
  const ongoing = await runKb(['txn', 'list', '-b', broker.address, '--state', 'Ongoing']);
  assert.equal(ongoing.code, 0, ongoing.stderr);
  assert.match(ongoing.stdout, /TRANSACTIONAL-ID\s+PRODUCER-ID\s+STATE\s+COORDINATOR/);
  assert.match(ongoing.stdout, /cli-open\s+\d+\s+Ongoing\s+1/);
  assert.doesNotMatch(ongoing.stdout, /cli-idle/);

  const described = await runKb(['txn', 'describe', 'cli-open', '-b', broker.address, '--json']);
  assert.equal(described.code, 0, described.stderr);
  const json = JSON.parse(described.stdout);
  assert.deepEqual(
    [json.state, json.producerId, json.producerEpoch, json.timeoutMs, json.partitions],
    ['Ongoing', Number(open.producerId), 0, 60_000, [{ topic, partition: 0 }, { topic, partition: 1 }]],
  );
  assert.ok(Date.parse(json.startTime) > Date.now() - 600_000);
  const table = await runKb(['txn', 'describe', 'cli-open', '-b', broker.address]);
  assert.match(table.stdout, /STATE\s+Ongoing/);
  assert.match(table.stdout, new RegExp(`${topic}\\s+1`));

  const unknown = await runKb(['txn', 'describe', 'nobody', '-b', broker.address]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /transactional id 'nobody' is not known \(kb txn list shows the transactional ids\)/);
});

test('kb txn find-hanging finds an open transaction past --max-age; kb txn abort aborts it and fences its producer', async (t) => {
  const broker = await startBroker({ sets: { 'transaction.state.log.num.partitions': 2 } });
  t.after(() => broker.stop());
  const client = await RawClient.connect(broker.host, broker.port);
  t.after(() => client.close());
  assert.equal((await findCoordinator(client, 'stuck')).errorCode, ErrorCode.NONE);
  const topic = await createTopic(client, 1);
  const stuck = await initProducerId(client, 'stuck', { timeoutMs: 60_000 });
  await initProducerId(client, 'idle');
  assert.deepEqual(await addPartitions(client, 'stuck', stuck.producerId, stuck.producerEpoch, [{ name: topic, partitions: [0] }]), [[topic, 0, ErrorCode.NONE]]);
  assert.equal((await produce(client, topic, plainBatch(['before']), null)).errorCode, ErrorCode.NONE);
  assert.equal((await produce(client, topic, txnBatch(stuck.producerId, 0, ['open'], stuck.producerEpoch), 'stuck')).errorCode, ErrorCode.NONE);

  const hanging = async (maxAge: number) => {
    const found = await runKb(['txn', 'find-hanging', '--topic', topic, '--max-age', String(maxAge), '-b', broker.address, '--json']);
    assert.equal(found.code, 0, found.stderr);
    return JSON.parse(found.stdout).hanging.map((h: any) => [h.topic, h.partition, h.producerId, h.producerEpoch, h.startOffset]);
  };
  assert.deepEqual(await hanging(0), [[topic, 0, Number(stuck.producerId), 0, 1]]);
  assert.deepEqual(await hanging(600_000), [], 'younger than --max-age');

  const unconfirmed = await runKb(['txn', 'abort', 'stuck', '-b', broker.address]);
  assert.equal(unconfirmed.code, 2);
  assert.match(unconfirmed.stderr, /add --yes to confirm/);
  const idle = await runKb(['txn', 'abort', 'idle', '--yes', '-b', broker.address]);
  assert.equal(idle.code, 1);
  assert.match(idle.stderr, /transactional id 'idle' has no open transaction \(state Empty\)/);

  const aborted = await runKb(['txn', 'abort', 'stuck', '--yes', '-b', broker.address, '--json']);
  assert.equal(aborted.code, 0, aborted.stderr);
  const json = JSON.parse(aborted.stdout);
  assert.deepEqual([json.producerId, json.producerEpoch], [Number(stuck.producerId), 1]);
  assert.ok(['PrepareAbort', 'CompleteAbort'].includes(json.state), json.state);
  assert.deepEqual(await addPartitions(client, 'stuck', stuck.producerId, stuck.producerEpoch, [{ name: topic, partitions: [0] }]), [[topic, 0, ErrorCode.PRODUCER_FENCED]]);
  const deadline = Date.now() + 30_000;
  while ((await hanging(0)).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(await hanging(0), [], 'the abort marker closed it');

  // A transaction its coordinator does not know (its state is gone): only its partition can end it.
  const ghost = 987_654n;
  const opened = await produce(client, topic, txnBatch(ghost, 0, ['hanging'], 2), 'ghost');
  assert.equal(opened.errorCode, ErrorCode.NONE);
  assert.deepEqual(await hanging(0), [[topic, 0, Number(ghost), 2, Number(opened.baseOffset)]]);
  assert.equal(await stableOffset(client, topic), opened.baseOffset, 'the hanging transaction holds the last stable offset');
  const unknown = await runKb(['txn', 'abort', 'ghost', '--yes', '-b', broker.address]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /transactional id 'ghost' is not known/);
  const nowhere = await runKb(['txn', 'abort', '--topic', topic, '--partition', '0', '--start-offset', String(opened.baseOffset + 1n), '--yes', '-b', broker.address]);
  assert.equal(nowhere.code, 1);
  assert.match(nowhere.stderr, new RegExp(`no open transaction starts at offset ${opened.baseOffset + 1n} of ${topic}-0`));
  const both = await runKb(['txn', 'abort', 'ghost', '--topic', topic, '--partition', '0', '--start-offset', '0', '--yes', '-b', broker.address]);
  assert.equal(both.code, 2, both.stderr);
  const atPartition = await runKb(['txn', 'abort', '--topic', topic, '--partition', '0', '--start-offset', String(opened.baseOffset), '--yes', '-b', broker.address, '--json']);
  assert.equal(atPartition.code, 0, atPartition.stderr);
  assert.deepEqual(JSON.parse(atPartition.stdout), { topic, partition: 0, producerId: Number(ghost), producerEpoch: 2, startOffset: Number(opened.baseOffset) });
  assert.deepEqual(await hanging(0), [], 'the abort marker closed it');
  assert.equal(await stableOffset(client, topic), opened.baseOffset + 2n, 'the last stable offset moved past the marker');
});

/** ListOffsets latest in read_committed: the last stable offset of partition 0. */
async function stableOffset(client: RawClient, topic: string): Promise<bigint> {
  const response = await client.request(ApiKeys.ListOffsets, 5, { replicaId: -1, isolationLevel: 1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
  return response.topics[0].partitions[0].offset;
}
