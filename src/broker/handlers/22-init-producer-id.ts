/**
 * InitProducerId (key 22), v0-4. With a transactional id: its coordinator
 * (txn/coordinator.ts) answers, fencing the id's previous producer
 * (PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v4). Without, for
 * idempotent producers: a new producer id with epoch 0, or (v3+, an
 * existing id and epoch given) the same id with the epoch bumped, or a new
 * id once the epoch would overflow. While the controller cannot hand out
 * producer ids the answer is the retriable COORDINATOR_LOAD_IN_PROGRESS.
 * A transactional producer needs Write on its transactional id
 * (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an idempotent one IdempotentWrite
 * on the cluster or Write on some topic (KIP-679), else
 * CLUSTER_AUTHORIZATION_FAILED.
 */
import { AclOperation, ResourceType, clusterResourceName } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { InitProducerIdRequest } from '../../protocol/generated/init-producer-id-request.ts';
import type { InitProducerIdResponse } from '../../protocol/generated/init-producer-id-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { fencedError } from './txn-errors.ts';

const producerEpochMax = 32767;
const producerIdVersion = 3;
const producerFencedVersion = 4;

export default defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: ApiKeys.InitProducerId,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const reply = (errorCode: number, producerId: bigint, producerEpoch: number) => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch });
    const existing: bigint = ctx.apiVersion >= producerIdVersion ? request.producerId : -1n;
    if (request.transactionalId !== null) {
      if (!ctx.access.allows(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) return reply(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1n, -1);
      const answer = await ctx.services.txns.initProducerId(request.transactionalId, request.transactionTimeoutMs, existing, request.producerEpoch);
      return reply(fencedError(answer.errorCode, ctx.apiVersion, producerFencedVersion), answer.producerId, answer.producerEpoch);
    }
    // The cluster first (cached), as Kafka; `allows` then logs the denial.
    const idempotent =
      ctx.access.mayList(AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, clusterResourceName) ||
      ctx.access.allowsSomeResource(AclOperation.WRITE, ResourceType.TOPIC) ||
      ctx.access.allows(AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, clusterResourceName);
    if (!idempotent) return reply(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, -1n, -1);
    if (existing >= 0n && request.producerEpoch >= 0 && request.producerEpoch < producerEpochMax) {
      return reply(ErrorCode.NONE, existing, request.producerEpoch + 1);
    }
    const producerId = await ctx.services.node.nextProducerId();
    return producerId === null ? reply(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, -1n, -1) : reply(ErrorCode.NONE, producerId, 0);
  },
});
