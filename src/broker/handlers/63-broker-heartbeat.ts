/**
 * BrokerHeartbeat (key 63), v0-1, served by the active controller: keeps
 * the broker's session alive, unfences it once its applied metadata offset
 * reaches its registration (isCaughtUp), fences it on wantFence, and with
 * wantShutDown moves its leaderships away, answering shouldShutDown once
 * nothing more can move. A broker epoch other than the current
 * registration's is STALE_BROKER_EPOCH; a request whose connection is not
 * broker brokerId's own (controller-channel.ts actsAs)
 * CLUSTER_AUTHORIZATION_FAILED. The controller watches the
 * connection a broker's own heartbeat came over (controller.ts).
 * A peer API: on a client listener the answer is CLUSTER_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { BrokerHeartbeatRequest } from '../../protocol/generated/broker-heartbeat-request.ts';
import type { BrokerHeartbeatResponse } from '../../protocol/generated/broker-heartbeat-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { actsAs, brokerConnection } from '../controller-channel.ts';

const errorAnswer = (errorCode: number): BrokerHeartbeatResponse => ({ throttleTimeMs: 0, errorCode, isCaughtUp: false, isFenced: true, shouldShutDown: false });

export default defineHandler<BrokerHeartbeatRequest, BrokerHeartbeatResponse>({
  apiKey: ApiKeys.BrokerHeartbeat,
  forwardToController: true,
  peerOnly: true,
  clientRefusal: () => errorAnswer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED),
  errorAnswer,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    if (!actsAs(ctx, request.brokerId, 'BrokerHeartbeat')) {
      return errorAnswer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    const result = await ctx.services.controller.brokerHeartbeat({
      nodeId: request.brokerId,
      brokerEpoch: Number(request.brokerEpoch),
      metadataOffset: Number(request.currentMetadataOffset),
      wantFence: request.wantFence,
      wantShutDown: request.wantShutDown,
      connection: brokerConnection(ctx, request.brokerId),
    });
    const { isCaughtUp, isFenced, shouldShutDown } = result;
    return { throttleTimeMs: 0, errorCode: result.errorCode, isCaughtUp, isFenced, shouldShutDown };
  },
});
