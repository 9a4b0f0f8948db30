/**
 * EndTxn (key 26), v0-3: commits or aborts the producer's transaction at
 * its coordinator (txn/coordinator.ts), answered once the decision is
 * durable; the markers follow. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH
 * before v2. Needs Write on the transactional id
 * (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { EndTxnRequest } from '../../protocol/generated/end-txn-request.ts';
import type { EndTxnResponse } from '../../protocol/generated/end-txn-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { fencedError } from './txn-errors.ts';

const producerFencedVersion = 2;

export default defineHandler<EndTxnRequest, EndTxnResponse>({
  apiKey: ApiKeys.EndTxn,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx) {
    if (!ctx.access.allows(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    const errorCode = await ctx.services.txns.endTxn(request.transactionalId, request.producerId, request.producerEpoch, request.committed);
    return { throttleTimeMs: 0, errorCode: fencedError(errorCode, ctx.apiVersion, producerFencedVersion), producerId: -1n, producerEpoch: -1 };
  },
});
