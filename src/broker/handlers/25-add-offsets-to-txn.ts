/**
 * AddOffsetsToTxn (key 25), v0-3: the group's partition of
 * __consumer_offsets joins the producer's transaction at its coordinator
 * (txn/coordinator.ts), so the transaction's offsets (TxnOffsetCommit)
 * get its marker. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v2.
 * Needs Write on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
 * and Read on the group (GROUP_AUTHORIZATION_FAILED).
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { AddOffsetsToTxnRequest } from '../../protocol/generated/add-offsets-to-txn-request.ts';
import type { AddOffsetsToTxnResponse } from '../../protocol/generated/add-offsets-to-txn-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { fencedError } from './txn-errors.ts';

const producerFencedVersion = 2;

export default defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  apiKey: ApiKeys.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx) {
    if (!ctx.access.allows(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!ctx.access.allows(AclOperation.READ, ResourceType.GROUP, request.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const errorCode = await ctx.services.txns.addOffsets(request.transactionalId, request.producerId, request.producerEpoch, request.groupId);
    return { throttleTimeMs: 0, errorCode: fencedError(errorCode, ctx.apiVersion, producerFencedVersion) };
  },
});
