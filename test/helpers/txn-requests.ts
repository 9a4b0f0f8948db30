/**
 * Raw requests of the transaction protocol for tests (RawClient, answers
 * untyped): create a topic, find a transactional id's coordinator (waiting
 * while __transaction_state is created and loaded), InitProducerId,
 * AddPartitionsToTxn (v0-3 form; per-partition results flattened).
 */
import assert from 'node:assert/strict';
import type { RawClient } from './raw-client.ts';
import { uniqueTopic } from './records.ts';
import { createTopic as createNamedTopic } from './txn.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';

/** Creates a topic of a new name with `partitions` partitions; its name. */
export async function createTopic(client: RawClient, partitions: number): Promise<string> {
  const name = uniqueTopic('txn');
  assert.equal(await createNamedTopic(client, name, partitions), ErrorCode.NONE);
  return name;
}

/** FindCoordinator until the coordinator has loaded (COORDINATOR_NOT_AVAILABLE while __transaction_state is created and loaded). */
export async function findCoordinator(client: RawClient, transactionalId: string): Promise<any> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = await client.request(ApiKeys.FindCoordinator, 3, { key: transactionalId, keyType: 1, coordinatorKeys: [] });
    if (found.errorCode !== ErrorCode.COORDINATOR_NOT_AVAILABLE || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function initProducerId(client: RawClient, transactionalId: string, options: { timeoutMs?: number; version?: number; producerId?: bigint; producerEpoch?: number } = {}): Promise<any> {
  return client.request(ApiKeys.InitProducerId, options.version ?? 4, {
    transactionalId,
    transactionTimeoutMs: options.timeoutMs ?? 30_000,
    producerId: options.producerId ?? -1n,
    producerEpoch: options.producerEpoch ?? -1,
  });
}

export async function addPartitions(client: RawClient, transactionalId: string, producerId: bigint, producerEpoch: number, topics: { name: string; partitions: number[] }[], version = 3): Promise<[string, number, number][]> {
  const answer = await client.request(ApiKeys.AddPartitionsToTxn, version, {
    transactions: [],
    v3AndBelowTransactionalId: transactionalId,
    v3AndBelowProducerId: producerId,
    v3AndBelowProducerEpoch: producerEpoch,
    v3AndBelowTopics: topics,
  });
  return answer.resultsByTopicV3AndBelow.flatMap((t: any) => t.resultsByPartition.map((p: any) => [t.name, p.partitionIndex, p.partitionErrorCode]));
}
