/**
 * queued.max.response.bytes (issue #22), over the wire to a real broker:
 * Fetch responses that clients do not read hold their memory until the
 * socket takes them, and the broker bounds that memory across connections.
 * A client that stops reading its answer to a fetch of everything (24 MB
 * here) gets at most the 16 MiB bound and holds it; meanwhile other
 * consumers' fetches wait up to their max_wait_ms and answer empty, a
 * further slow reader adds nothing, kcat still produces; once the slow
 * reader reads, a waiting fetch gets its records. Messages converted for
 * a Fetch v0-3 count as stored batches do.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { RawConnection } from '../helpers/raw-kafka.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { uniqueTopic } from '../helpers/records.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { encodeRequest } from '../../src/protocol/frames.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';

const mib = 1024 * 1024;
const budgetBytes = 16 * mib;
const batches = 24;

function fetchBody(topic: string, maxBytes: number, maxWaitMs: number) {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs,
    minBytes: 1,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes, replicaDirectoryId: Buffer.alloc(16) }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** The partition's answer to a Fetch v11 from offset 0. */
async function fetchRecords(c: RawConnection, topic: string, maxBytes: number, maxWaitMs: number): Promise<{ errorCode: number; highWatermark: bigint; records: Buffer }> {
  const { body } = await c.request<any>(ApiKeys.Fetch, 11, fetchBody(topic, maxBytes, maxWaitMs), maxWaitMs + 20_000);
  return body.responses[0].partitions[0];
}

/** A client that sends one Fetch (of `version`) for everything, reads the first bytes of the answer (with the answer's size), then stops reading. */
async function slowReader(broker: RunningBroker, topic: string, version: number): Promise<{ socket: net.Socket; answerBytes: number }> {
  const socket = net.connect({ host: broker.host, port: broker.port });
  await once(socket, 'connect');
  socket.write(encodeRequest(ApiKeys.Fetch, version, 1, 'slow-reader', fetchBody(topic, 64 * mib, 0)));
  const [first] = (await once(socket, 'data')) as [Buffer];
  socket.pause();
  return { socket, answerBytes: first.readInt32BE(0) };
}

/** A broker with the bound set low, and a topic of `batches` batches of 1 MB; a connection to it. */
async function brokerWithTopic(t: TestContext): Promise<{ broker: RunningBroker; c: RawConnection; topic: string }> {
  const broker = await startBroker({ sets: { 'queued.max.response.bytes': budgetBytes } });
  t.after(() => broker.stop());
  const c = await RawConnection.open(broker.host, broker.port);
  t.after(() => c.destroy());
  const topic = uniqueTopic('unread');
  const { body: created } = await c.request<any>(ApiKeys.CreateTopics, 4, {
    topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
  for (let i = 0; i < batches; i++) {
    const batch = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: [{ value: Buffer.alloc(1_000_000, i) }] });
    const { body } = await c.request<any>(ApiKeys.Produce, 8, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
    assert.equal(body.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
  }
  return { broker, c, topic };
}

test('fetched responses nobody reads are bounded across connections: other fetches wait, then answer empty; freed memory serves them', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const { broker, c, topic } = await brokerWithTopic(t);
  // One fetch reads at most the bound, and the memory it reads into (the bound and a little) fills it. 16 MB
  // of answer is more than loopback's socket buffers take, so it stays in the broker until the client reads.
  const { socket: slow, answerBytes } = await slowReader(broker, topic, 11);
  t.after(() => slow.destroy());
  assert.ok(answerBytes > 12 * mib && answerBytes <= budgetBytes, `the slow reader's answer: ${answerBytes} bytes (the topic holds ${batches} MB)`);

  const whileFull = await fetchRecords(c, topic, mib, 500);
  assert.equal(whileFull.errorCode, ErrorCode.NONE);
  assert.equal(whileFull.highWatermark, BigInt(batches));
  assert.equal(whileFull.records.length, 0, 'a fetch waits while the unread answer fills the response memory, then answers empty');
  const slower = await slowReader(broker, topic, 11);
  t.after(() => slower.socket.destroy());
  assert.ok(slower.answerBytes < 1024, `a second slow reader's answer is empty (max_wait_ms 0), so it holds nothing (${slower.answerBytes} bytes)`);
  await kcatOk(['-b', broker.address, '-P', '-t', uniqueTopic('served')], { input: 'a\nb\n' });

  const waiting = fetchRecords(c, topic, mib, 20_000);
  slow.on('data', () => undefined); // drop what it reads
  slow.resume();
  const served = await waiting;
  assert.equal(served.errorCode, ErrorCode.NONE);
  assert.ok(served.records.length > 0, 'once the slow reader reads, the waiting fetch gets records');
  assert.equal(served.records.readBigInt64BE(0), 0n, 'from offset 0');
});

test('messages converted for Fetch v0-3 count into the bound too', async (t) => {
  const { broker, c, topic } = await brokerWithTopic(t);
  const { socket: slow, answerBytes } = await slowReader(broker, topic, 2);
  t.after(() => slow.destroy());
  assert.ok(answerBytes > 12 * mib && answerBytes <= budgetBytes, `the slow reader's answer: ${answerBytes} bytes (the topic holds ${batches} MB)`);
  // What is left of the bound is less than a batch; a fetch gets at most that, and one batch at least.
  const whileHeld = await fetchRecords(c, topic, 64 * mib, 500);
  assert.ok(whileHeld.records.length <= 1_100_000, `a fetch while the converted answer is held: ${whileHeld.records.length} bytes`);
});
