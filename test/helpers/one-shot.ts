/**
 * Single requests straight to one node, for cluster tests that need the
 * broker's own answer (no client retries): produce one record with given
 * acks (optionally retrying retriable answers), create a topic with an
 * explicit replica assignment, or any request as a probe that tells "no
 * answer" (a node down or starting) from an answer.
 */
import { BrokerConnection } from '../../src/net/connection.ts';
import { ApiKeys, type ApiKey, type RequestOf, type ResponseOf } from '../../src/protocol/generated/api-keys.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { ErrorCode, isRetriable } from '../../src/protocol/errors.ts';

async function withConnection<T>(address: string, use: (connection: BrokerConnection) => Promise<T>, requestTimeoutMs = 30_000): Promise<T> {
  const [host, port] = address.split(':');
  const connection = new BrokerConnection({ host, port: Number(port), clientId: 'kb-cluster-test', requestTimeoutMs, connectTimeoutMs: 2_000 });
  try {
    await connection.connect();
    return await use(connection);
  } finally {
    connection.close();
  }
}

/** The error code the node at `address` answers a one-record Produce with (0: acknowledged). */
export function produceOne(address: string, topic: string, partition: number, value: string, acks: number, timeoutMs = 5_000): Promise<number> {
  return withConnection(address, async (connection) => {
    const records = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: [{ value: Buffer.from(value) }] });
    const response = await connection.request(ApiKeys.Produce, 8, {
      transactionalId: null,
      acks,
      timeoutMs,
      topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
    });
    return response.responses[0].partitionResponses[0].errorCode;
  });
}

/** Produces one record, retrying while the node answers a retriable error (a partition still opening, a leader moving) for up to `withinMs`; resolves with the last error code. */
export async function produceRetrying(address: string, topic: string, partition: number, value: string, acks: number, withinMs = 15_000): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const errorCode = await produceOne(address, topic, partition, value, acks);
    if (errorCode === ErrorCode.NONE || !isRetriable(errorCode) || Date.now() > deadline) return errorCode;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Creates a topic with one replica list per partition; resolves with the error code. */
export function createTopicWithAssignment(address: string, topic: string, assignment: number[][], configs: Record<string, string> = {}): Promise<number> {
  return withConnection(address, async (connection) => {
    const response = await connection.request(ApiKeys.CreateTopics, 7, {
      topics: [{
        name: topic,
        numPartitions: -1,
        replicationFactor: -1,
        assignments: assignment.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
        configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
      }],
      timeoutMs: 15_000,
      validateOnly: false,
    });
    return response.topics[0].errorCode;
  });
}

/** The body of the node's answer to one request, or null when it cannot be reached or does not answer within `timeoutMs`. */
export function probe<K extends ApiKey>(address: string, apiKey: K, apiVersion: number, body: RequestOf<K>, timeoutMs = 5_000): Promise<ResponseOf<K> | null> {
  return withConnection(address, (connection) => connection.request(apiKey, apiVersion, body), timeoutMs).catch(() => null);
}
