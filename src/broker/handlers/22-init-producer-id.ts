/**
 * InitProducerId (key 22), v0-4, for idempotent producers: a new producer
 * id with epoch 0, or (v3+, an existing id and epoch given) the same id with
 * the epoch bumped, or a new id once the epoch would overflow. Transactions
 * are not supported: a transactional id is answered with
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients report clearly.
 * While the controller cannot hand out producer ids the answer is the
 * retriable COORDINATOR_LOAD_IN_PROGRESS.
 * An idempotent producer needs IdempotentWrite on the cluster or Write on
 * some topic (KIP-679), else CLUSTER_AUTHORIZATION_FAILED.
 */
import { AclOperation, ResourceType, clusterResourceName } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { InitProducerIdRequest } from '../../protocol/generated/init-producer-id-request.ts';
import type { InitProducerIdResponse } from '../../protocol/generated/init-producer-id-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

const producerEpochMax = 32767;

export default defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: ApiKeys.InitProducerId,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const reply = (errorCode: number, producerId: bigint, producerEpoch: number) => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch });
    if (request.transactionalId !== null) return reply(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1n, -1);
    // The cluster first (cached), as Kafka; `allows` then logs the denial.
    const idempotent =
      ctx.access.mayList(AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, clusterResourceName) ||
      ctx.access.allowsSomeResource(AclOperation.WRITE, ResourceType.TOPIC) ||
      ctx.access.allows(AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, clusterResourceName);
    if (!idempotent) return reply(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, -1n, -1);
    const existing: bigint = ctx.apiVersion >= 3 ? request.producerId : -1n;
    if (existing >= 0n && request.producerEpoch >= 0 && request.producerEpoch < producerEpochMax) {
      return reply(ErrorCode.NONE, existing, request.producerEpoch + 1);
    }
    const producerId = await ctx.services.node.nextProducerId();
    return producerId === null ? reply(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, -1n, -1) : reply(ErrorCode.NONE, producerId, 0);
  },
});
