/**
 * AddOffsetsToTxn (key 25), v0-3: the group's partition of
 * __consumer_offsets joins the producer's transaction at its coordinator
 * (txn/coordinator.ts), so the transaction's offsets (TxnOffsetCommit)
 * get its marker. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v2.
 */
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
    const errorCode = await ctx.services.txns.addOffsets(request.transactionalId, request.producerId, request.producerEpoch, request.groupId);
    return { throttleTimeMs: 0, errorCode: fencedError(errorCode, ctx.apiVersion, producerFencedVersion) };
  },
});
