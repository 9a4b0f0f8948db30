/**
 * AllocateProducerIds (key 67), v0, served by the active controller: hands
 * the broker (at its current broker epoch, else STALE_BROKER_EPOCH) the
 * next block of producer ids, recorded in the metadata log so no id is
 * handed out twice. A request whose connection is not broker brokerId's
 * own (controller-channel.ts actsAs) is CLUSTER_AUTHORIZATION_FAILED.
 * A peer API: on a client listener the answer is CLUSTER_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { AllocateProducerIdsRequest } from '../../protocol/generated/allocate-producer-ids-request.ts';
import type { AllocateProducerIdsResponse } from '../../protocol/generated/allocate-producer-ids-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { actsAs } from '../controller-channel.ts';

const errorAnswer = (errorCode: number): AllocateProducerIdsResponse => ({ throttleTimeMs: 0, errorCode, producerIdStart: -1n, producerIdLen: 0 });

export default defineHandler<AllocateProducerIdsRequest, AllocateProducerIdsResponse>({
  apiKey: ApiKeys.AllocateProducerIds,
  forwardToController: true,
  peerOnly: true,
  clientRefusal: () => errorAnswer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED),
  errorAnswer,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    if (!actsAs(ctx, request.brokerId, 'AllocateProducerIds')) return errorAnswer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const block = await ctx.services.controller.allocateProducerIds(request.brokerId, Number(request.brokerEpoch));
    return { throttleTimeMs: 0, errorCode: block.errorCode, producerIdStart: BigInt(block.firstProducerId), producerIdLen: block.size };
  },
});
