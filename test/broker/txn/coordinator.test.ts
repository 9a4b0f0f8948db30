/**
 * The transaction coordinator over the wire (a real `kb broker start`, raw
 * requests): FindCoordinator of a transactional id (v3 and v4 batched),
 * InitProducerId's timeout limit, epoch bumps that fence the previous
 * instance (PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH for old versions),
 * KIP-360's check of the named producer (and its retry),
 * AddPartitionsToTxn's per-partition errors, the state surviving a kill -9,
 * a transaction left open past its timeout aborted by the coordinator (its
 * producer fenced), transactional ids expiring and their cap, and
 * DescribeTransactions / ListTransactions (with their filters); with the
 * partition side, a fenced producer's transactional offsets refused, and an
 * abandoned transaction aborted so the LSO moves on.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../helpers/broker.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { addPartitions, createTopic, findCoordinator, initProducerId } from '../../helpers/txn-requests.ts';
import { plainBatch, produce, txnBatch } from '../../helpers/txn.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { ApiKeys } from '../../../src/protocol/generated/api-keys.ts';
import { partitionForGroup } from '../../../src/broker/group/offset-store.ts';

const sets = { 'transaction.state.log.num.partitions': 4, 'transaction.max.timeout.ms': 60_000, 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 200 };

async function connect(t: TestContext, broker: RunningBroker): Promise<RawClient> {
  const client = await RawClient.connect(broker.host, broker.port);
  t.after(() => client.close());
  return client;
}

test('FindCoordinator finds the coordinator of transactional ids, one key (v3) and batched (v4)', async (t) => {
  const broker = await startBroker({ sets });
  t.after(() => broker.stop());
  const client = await connect(t, broker);
  const found = await findCoordinator(client, 'txn-a');
  assert.equal(found.errorCode, ErrorCode.NONE, found.errorMessage);
  assert.deepEqual([found.nodeId, found.host, found.port], [1, broker.host, broker.port]);
  const batched = await client.request(ApiKeys.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: ['txn-a', 'txn-b'] });
  assert.deepEqual(
    batched.coordinators.map((c: any) => [c.key, c.nodeId, c.port, c.errorCode]),
    [
      ['txn-a', 1, broker.port, ErrorCode.NONE],
      ['txn-b', 1, broker.port, ErrorCode.NONE],
    ],
  );
  const unknown = await client.request(ApiKeys.FindCoordinator, 3, { key: 'x', keyType: 2, coordinatorKeys: [] });
  assert.equal(unknown.errorCode, ErrorCode.INVALID_REQUEST);
});

test('InitProducerId: the timeout limit, epoch bumps fence the previous instance, the state survives kill -9', async (t) => {
  const broker = await startBroker({ sets });
  t.after(() => broker.stop());
  let client = await connect(t, broker);
  assert.equal((await findCoordinator(client, 'fenced')).errorCode, ErrorCode.NONE);
  const topic = await createTopic(client, 2);

  const tooLong = await initProducerId(client, 'fenced', { timeoutMs: 60_001 });
  assert.equal(tooLong.errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  assert.equal((await initProducerId(client, '')).errorCode, ErrorCode.INVALID_REQUEST);

  const first = await initProducerId(client, 'fenced');
  assert.equal(first.errorCode, ErrorCode.NONE);
  assert.equal(first.producerEpoch, 0);
  const second = await initProducerId(client, 'fenced');
  assert.deepEqual([second.errorCode, second.producerId, second.producerEpoch], [ErrorCode.NONE, first.producerId, 1]);

  // The first instance is fenced: PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before.
  assert.deepEqual(await addPartitions(client, 'fenced', first.producerId, 0, [{ name: topic, partitions: [0] }]), [[topic, 0, ErrorCode.PRODUCER_FENCED]]);
  assert.deepEqual(await addPartitions(client, 'fenced', first.producerId, 0, [{ name: topic, partitions: [0] }], 1), [[topic, 0, ErrorCode.INVALID_PRODUCER_EPOCH]]);
  assert.deepEqual(await addPartitions(client, 'fenced', first.producerId + 1n, 1, [{ name: topic, partitions: [0] }]), [[topic, 0, ErrorCode.INVALID_PRODUCER_ID_MAPPING]]);
  assert.deepEqual(await addPartitions(client, 'never-initialized', first.producerId, 1, [{ name: topic, partitions: [0] }]), [[topic, 0, ErrorCode.INVALID_PRODUCER_ID_MAPPING]]);
  // KIP-360: a producer naming an id and epoch that are not the current ones is fenced.
  assert.equal((await initProducerId(client, 'fenced', { producerId: first.producerId, producerEpoch: 0 })).errorCode, ErrorCode.PRODUCER_FENCED);
  assert.equal((await initProducerId(client, 'fenced', { version: 3, producerId: first.producerId, producerEpoch: 0 })).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  // KIP-360: naming the current epoch bumps it; naming the epoch just bumped (a retry whose answer was lost) answers the same again.
  const recovered = await initProducerId(client, 'fenced', { producerId: first.producerId, producerEpoch: 1 });
  assert.deepEqual([recovered.errorCode, recovered.producerId, recovered.producerEpoch], [ErrorCode.NONE, first.producerId, 2]);
  const retried = await initProducerId(client, 'fenced', { producerId: first.producerId, producerEpoch: 1 });
  assert.deepEqual([retried.errorCode, retried.producerId, retried.producerEpoch], [ErrorCode.NONE, first.producerId, 2]);

  // A partition that does not exist fails the request: the others are not attempted.
  assert.deepEqual(await addPartitions(client, 'fenced', first.producerId, 2, [{ name: topic, partitions: [0, 7] }]), [
    [topic, 0, ErrorCode.OPERATION_NOT_ATTEMPTED],
    [topic, 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
  ]);

  await broker.kill();
  const restarted = await startBroker({ sets, dataDir: broker.dataDir });
  t.after(() => restarted.stop());
  client = await connect(t, restarted);
  assert.equal((await findCoordinator(client, 'fenced')).errorCode, ErrorCode.NONE);
  const third = await initProducerId(client, 'fenced');
  assert.deepEqual([third.errorCode, third.producerId, third.producerEpoch], [ErrorCode.NONE, first.producerId, 3]);
});

test('DescribeTransactions and ListTransactions show an open transaction; open longer than its timeout, the coordinator aborts it and fences its producer', async (t) => {
  const broker = await startBroker({ sets });
  t.after(() => broker.stop());
  const client = await connect(t, broker);
  assert.equal((await findCoordinator(client, 'slow')).errorCode, ErrorCode.NONE);
  const topic = await createTopic(client, 1);
  const producer = await initProducerId(client, 'slow', { timeoutMs: 3000 });
  assert.equal(producer.errorCode, ErrorCode.NONE);
  assert.deepEqual(await addPartitions(client, 'slow', producer.producerId, producer.producerEpoch, [{ name: topic, partitions: [0] }]), [[topic, 0, ErrorCode.NONE]]);
  // Adding a partition already in the transaction is answered without a change.
  assert.deepEqual(await addPartitions(client, 'slow', producer.producerId, producer.producerEpoch, [{ name: topic, partitions: [0] }]), [[topic, 0, ErrorCode.NONE]]);
  // Before __consumer_offsets exists (nobody asked for a group coordinator yet), the group's partition is placed by its configured count, as Kafka does.
  const offsets = await client.request(ApiKeys.AddOffsetsToTxn, 3, { transactionalId: 'slow', producerId: producer.producerId, producerEpoch: 0, groupId: 'late-group' });
  assert.equal(offsets.errorCode, ErrorCode.NONE);
  const [described, unknown] = (await client.request(ApiKeys.DescribeTransactions, 0, { transactionalIds: ['slow', 'nobody', 'slow'] })).transactionStates;
  assert.deepEqual(
    [described.errorCode, described.transactionState, described.transactionTimeoutMs, described.producerId, described.producerEpoch, described.topics],
    [ErrorCode.NONE, 'Ongoing', 3000, producer.producerId, 0, [{ topic, partitions: [0] }, { topic: '__consumer_offsets', partitions: [partitionForGroup('late-group', 50)] }]],
  );
  assert.ok(described.transactionStartTimeMs > 0n);
  assert.deepEqual([unknown.transactionalId, unknown.errorCode], ['nobody', ErrorCode.TRANSACTIONAL_ID_NOT_FOUND]);
  const listed = await client.request(ApiKeys.ListTransactions, 1, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1n });
  assert.equal(listed.errorCode, ErrorCode.NONE);
  assert.deepEqual(listed.unknownStateFilters, ['Bogus']);
  assert.deepEqual(listed.transactionStates.map((s: any) => [s.transactionalId, s.producerId, s.transactionState]), [['slow', producer.producerId, 'Ongoing']]);
  const longer = await client.request(ApiKeys.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: 600_000n });
  assert.deepEqual(longer.transactionStates, []);

  const deadline = Date.now() + 30_000;
  let errorCode: number = ErrorCode.NONE;
  // NONE while open, CONCURRENT_TRANSACTIONS while the abort is being written.
  while ((errorCode === ErrorCode.NONE || errorCode === ErrorCode.CONCURRENT_TRANSACTIONS) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    [[, , errorCode]] = await addPartitions(client, 'slow', producer.producerId, producer.producerEpoch, [{ name: topic, partitions: [0] }]);
  }
  assert.equal(errorCode, ErrorCode.PRODUCER_FENCED);
  const [aborted] = (await client.request(ApiKeys.DescribeTransactions, 0, { transactionalIds: ['slow'] })).transactionStates;
  assert.ok(['PrepareAbort', 'CompleteAbort'].includes(aborted.transactionState), aborted.transactionState);
  assert.equal(aborted.producerEpoch, 1);
  assert.match(broker.log(), /aborting transaction slow \(producer \d+, epoch 0\): open longer than its timeout of 3000 ms/);
});

test('TxnOffsetCommit: the offsets stay pending (OffsetFetch with require_stable: UNSTABLE_OFFSET_COMMIT), also after kill -9', async (t) => {
  const broker = await startBroker({ sets: { ...sets, 'offsets.topic.num.partitions': 2 } });
  t.after(() => broker.stop());
  let client = await connect(t, broker);
  const topic = await createTopic(client, 2);
  const group = await client.request(ApiKeys.FindCoordinator, 3, { key: 'eos-group', keyType: 0, coordinatorKeys: [] });
  assert.equal(group.errorCode, ErrorCode.NONE);
  assert.equal((await findCoordinator(client, 'eos')).errorCode, ErrorCode.NONE);
  const producer = await initProducerId(client, 'eos');
  const added = await client.request(ApiKeys.AddOffsetsToTxn, 3, { transactionalId: 'eos', producerId: producer.producerId, producerEpoch: producer.producerEpoch, groupId: 'eos-group' });
  assert.equal(added.errorCode, ErrorCode.NONE);
  const committed = await client.request(ApiKeys.TxnOffsetCommit, 3, {
    transactionalId: 'eos',
    groupId: 'eos-group',
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null }, { partitionIndex: 9, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  assert.deepEqual(
    committed.topics[0].partitions.map((p: any) => [p.partitionIndex, p.errorCode]),
    [
      [0, ErrorCode.NONE],
      [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ],
  );
  const fetchOffsets = async (requireStable: boolean) => {
    const fetched = await client.request(ApiKeys.OffsetFetch, 7, { groupId: 'eos-group', topics: [{ name: topic, partitionIndexes: [0, 1] }], requireStable, groups: [] });
    assert.equal(fetched.errorCode, ErrorCode.NONE);
    return fetched.topics[0].partitions.map((p: any) => [p.partitionIndex, p.committedOffset, p.errorCode]);
  };
  const pending = [
    [0, -1n, ErrorCode.UNSTABLE_OFFSET_COMMIT],
    [1, -1n, ErrorCode.NONE],
  ];
  assert.deepEqual(await fetchOffsets(true), pending);
  assert.deepEqual(await fetchOffsets(false), [
    [0, -1n, ErrorCode.NONE],
    [1, -1n, ErrorCode.NONE],
  ]);

  await broker.kill();
  const restarted = await startBroker({ sets: { ...sets, 'offsets.topic.num.partitions': 2 }, dataDir: broker.dataDir });
  t.after(() => restarted.stop());
  client = await connect(t, restarted);
  const deadline = Date.now() + 30_000;
  while ((await client.request(ApiKeys.FindCoordinator, 3, { key: 'eos-group', keyType: 0, coordinatorKeys: [] })).errorCode !== ErrorCode.NONE && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(await fetchOffsets(true), pending);
});

test('a transactional id unused for transactional.id.expiration.ms is forgotten: its next producer gets a new producer id', async (t) => {
  const broker = await startBroker({ sets: { ...sets, 'transactional.id.expiration.ms': 1000, 'transaction.remove.expired.transaction.cleanup.interval.ms': 200 } });
  t.after(() => broker.stop());
  const client = await connect(t, broker);
  assert.equal((await findCoordinator(client, 'idle')).errorCode, ErrorCode.NONE);
  const first = await initProducerId(client, 'idle');
  assert.equal(first.errorCode, ErrorCode.NONE);
  const deadline = Date.now() + 30_000;
  while (!broker.log().includes('transactional id idle expired') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const next = await initProducerId(client, 'idle');
  assert.equal(next.errorCode, ErrorCode.NONE);
  assert.notEqual(next.producerId, first.producerId);
  assert.equal(next.producerEpoch, 0);
});

test('at transaction.max.transactional.ids a new transactional id is refused (COORDINATOR_NOT_AVAILABLE, logged); known ids go on', async (t) => {
  const broker = await startBroker({ sets: { ...sets, 'transaction.max.transactional.ids': 2 } });
  t.after(() => broker.stop());
  const client = await connect(t, broker);
  for (const id of ['cap-a', 'cap-b', 'cap-c']) assert.equal((await findCoordinator(client, id)).errorCode, ErrorCode.NONE);
  assert.equal((await initProducerId(client, 'cap-a')).errorCode, ErrorCode.NONE);
  assert.equal((await initProducerId(client, 'cap-b')).errorCode, ErrorCode.NONE);
  assert.equal((await initProducerId(client, 'cap-c')).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal((await initProducerId(client, 'cap-a')).producerEpoch, 1);
  assert.match(broker.log(), /this coordinator holds 2 transactional ids \(transaction.max.transactional.ids\): new ones get COORDINATOR_NOT_AVAILABLE/);
});

test("a fenced producer's TxnOffsetCommit is refused and never counts: the new producer's commit applies its own offsets only", async (t) => {
  const broker = await startBroker({ sets: { ...sets, 'offsets.topic.num.partitions': 2 } });
  t.after(() => broker.stop());
  const client = await connect(t, broker);
  const topic = await createTopic(client, 2);
  assert.equal((await client.request(ApiKeys.FindCoordinator, 3, { key: 'zgroup', keyType: 0, coordinatorKeys: [] })).errorCode, ErrorCode.NONE);
  assert.equal((await findCoordinator(client, 'zombie')).errorCode, ErrorCode.NONE);
  const addOffsets = (p: { producerId: bigint; producerEpoch: number }) =>
    client.request(ApiKeys.AddOffsetsToTxn, 3, { transactionalId: 'zombie', producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'zgroup' });
  const commitOffset = async (p: { producerId: bigint; producerEpoch: number }, partitionIndex: number, committedOffset: bigint) => {
    const answer = await client.request(ApiKeys.TxnOffsetCommit, 3, {
      transactionalId: 'zombie',
      groupId: 'zgroup',
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: topic, partitions: [{ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    return answer.topics[0].partitions[0].errorCode;
  };
  const old = await initProducerId(client, 'zombie');
  assert.equal((await addOffsets(old)).errorCode, ErrorCode.NONE);
  assert.equal(await commitOffset(old, 0, 10n), ErrorCode.NONE);

  // A new instance: its InitProducerId aborts the open transaction under the next epoch, then answers.
  const deadline = Date.now() + 30_000;
  let fresh = await initProducerId(client, 'zombie');
  while (fresh.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    fresh = await initProducerId(client, 'zombie');
  }
  assert.equal(fresh.errorCode, ErrorCode.NONE);
  assert.equal(await commitOffset(old, 1, 66n), ErrorCode.PRODUCER_FENCED, 'the zombie is fenced at the offsets partition');

  assert.equal((await addOffsets(fresh)).errorCode, ErrorCode.NONE);
  assert.equal(await commitOffset(fresh, 0, 20n), ErrorCode.NONE);
  assert.equal((await client.request(ApiKeys.EndTxn, 3, { transactionalId: 'zombie', producerId: fresh.producerId, producerEpoch: fresh.producerEpoch, committed: true })).errorCode, ErrorCode.NONE);
  const committed = async () => {
    const fetched = await client.request(ApiKeys.OffsetFetch, 7, { groupId: 'zgroup', topics: [{ name: topic, partitionIndexes: [0, 1] }], requireStable: true, groups: [] });
    return fetched.topics[0].partitions.map((p: any) => [p.partitionIndex, p.committedOffset, p.errorCode]);
  };
  const done = Date.now() + 30_000;
  while ((await committed())[0][2] === ErrorCode.UNSTABLE_OFFSET_COMMIT && Date.now() < done) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(await committed(), [
    [0, 20n, ErrorCode.NONE],
    [1, -1n, ErrorCode.NONE],
  ]);
});

test('a transaction its producer left open is aborted at its timeout and the last stable offset moves on', async (t) => {
  const broker = await startBroker({ sets });
  t.after(() => broker.stop());
  const client = await connect(t, broker);
  assert.equal((await findCoordinator(client, 'abandoned')).errorCode, ErrorCode.NONE);
  const topic = await createTopic(client, 1);
  const producer = await initProducerId(client, 'abandoned', { timeoutMs: 2000 });
  assert.deepEqual(await addPartitions(client, 'abandoned', producer.producerId, producer.producerEpoch, [{ name: topic, partitions: [0] }]), [[topic, 0, ErrorCode.NONE]]);
  const produced = await produce(client, topic, txnBatch(producer.producerId, 0, ['open-0', 'open-1'], producer.producerEpoch), 'abandoned');
  assert.equal(produced.errorCode, ErrorCode.NONE);
  assert.equal((await produce(client, topic, plainBatch(['after']), null)).errorCode, ErrorCode.NONE);
  const lastStable = async () => {
    const answer = await client.request(ApiKeys.ListOffsets, 4, { replicaId: -1, isolationLevel: 1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    return answer.topics[0].partitions[0].offset as bigint;
  };
  assert.equal(await lastStable(), 0n, 'the open transaction holds the last stable offset');
  // The producer never ends it: the coordinator aborts it (markers written), the LSO passes the abort marker and the record after it.
  const deadline = Date.now() + 30_000;
  while ((await lastStable()) === 0n && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(await lastStable(), 4n, 'two transactional records, the plain one, the abort marker');
  const [described] = (await client.request(ApiKeys.DescribeTransactions, 0, { transactionalIds: ['abandoned'] })).transactionStates;
  assert.equal(described.transactionState, 'CompleteAbort');
});

test("the next transaction's first AddPartitionsToTxn, right after EndTxn, waits for the previous one to complete instead of CONCURRENT_TRANSACTIONS", async (t) => {
  const broker = await startBroker({ sets });
  t.after(() => broker.stop());
  const client = await connect(t, broker);
  assert.equal((await findCoordinator(client, 'back-to-back')).errorCode, ErrorCode.NONE);
  const topic = await createTopic(client, 1);
  const producer = await initProducerId(client, 'back-to-back');
  const add = () => addPartitions(client, 'back-to-back', producer.producerId, producer.producerEpoch, [{ name: topic, partitions: [0] }]);
  assert.deepEqual(await add(), [[topic, 0, ErrorCode.NONE]]);
  for (let round = 0; round < 5; round++) {
    assert.equal((await produce(client, topic, txnBatch(producer.producerId, round, [`v${round}`], producer.producerEpoch), 'back-to-back')).errorCode, ErrorCode.NONE);
    const ended = await client.request(ApiKeys.EndTxn, 3, { transactionalId: 'back-to-back', producerId: producer.producerId, producerEpoch: producer.producerEpoch, committed: true });
    assert.equal(ended.errorCode, ErrorCode.NONE);
    assert.deepEqual(await add(), [[topic, 0, ErrorCode.NONE]], `round ${round}`);
  }
});
