/**
 * The bench's own requests to a single kb node, without a CLI process each:
 * - `createTopic(address, topic, partitions)` asks the node (its own
 *   controller) to create a topic;
 * - `untilServing(address, topic, partitions, timeoutMs)` connects (again
 *   and again while the broker is not yet listening) and sends one Produce
 *   of a one-record batch to every partition of `topic` (acks=1) until
 *   every partition answers without an error, and resolves then; it
 *   rejects after `timeoutMs` with the last error. The scaling curves time
 *   a broker's start-up and recovery by it;
 * - `produceRequest` builds such a request (`records` records of `size`
 *   bytes per partition) and `produce` sends one, throwing on an error
 *   code; busy-client.ts uses them too.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerConnection } from '../../src/net/connection.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';

const produceKey = 0;
const createTopicsKey = 19;
const createTopicsVersionMax = 7;
const produceVersionMax = 8;
const retryMs = 20;

export function connectionTo(address: string, clientId: string): BrokerConnection {
  const [host, port] = address.split(':');
  return new BrokerConnection({ host, port: Number(port), clientId, requestTimeoutMs: 30_000, connectTimeoutMs: 10_000 });
}

export function produceRequest(topic: string, partitions: number, records: number, size: number) {
  const value = Buffer.alloc(size, 0x61);
  const batch = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: records }, () => ({ value })) });
  return { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: Array.from({ length: partitions }, (_, index) => ({ index, records: batch })) }] };
}

/** Sends `request` on `connection`; throws naming the first partition that answered an error. */
export async function produce(connection: BrokerConnection, request: ReturnType<typeof produceRequest>): Promise<void> {
  const response = await connection.request(produceKey, produceVersionMax, request);
  for (const p of response.responses[0].partitionResponses) {
    if (p.errorCode !== ErrorCode.NONE) throw new Error(`produce to partition ${p.index} failed: ${errorName(p.errorCode)}`);
  }
}

export async function createTopic(address: string, topic: string, partitions: number): Promise<void> {
  const connection = connectionTo(address, 'kb-bench-admin');
  try {
    await connection.connect();
    const body = { topics: [{ name: topic, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false };
    const [created] = (await connection.request(createTopicsKey, createTopicsVersionMax, body)).topics;
    if (created.errorCode !== ErrorCode.NONE) throw new Error(`creating ${topic} failed: ${errorName(created.errorCode)} ${created.errorMessage ?? ''}`);
  } finally {
    connection.close();
  }
}

export async function untilServing(address: string, topic: string, partitions: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const request = produceRequest(topic, partitions, 1, 16);
  let lastError: Error | null = null;
  while (performance.now() < deadline) {
    const connection = connectionTo(address, 'kb-bench-serving');
    try {
      await connection.connect();
      await produce(connection, request);
      return;
    } catch (err) {
      lastError = err as Error;
    } finally {
      connection.close();
    }
    await sleep(retryMs);
  }
  throw new Error(`${topic} not served within ${timeoutMs} ms: ${lastError?.message}`);
}
