/**
 * BrokerRegistration (key 62), v0-4, served by the active controller (the
 * dispatcher forwards it there): records the broker's first listener and
 * rack under a new broker epoch, fenced until a caught-up heartbeat. A
 * request without a listener is INVALID_REGISTRATION; another cluster's id
 * INCONSISTENT_CLUSTER_ID; another live process with the same node id
 * DUPLICATE_BROKER_REGISTRATION; a request whose connection is not broker
 * brokerId's own (controller-channel.ts actsAs) CLUSTER_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { BrokerRegistrationRequest } from '../../protocol/generated/broker-registration-request.ts';
import type { BrokerRegistrationResponse } from '../../protocol/generated/broker-registration-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { actsAs, brokerConnection } from '../controller-channel.ts';

export default defineHandler<BrokerRegistrationRequest, BrokerRegistrationResponse>({
  apiKey: ApiKeys.BrokerRegistration,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    if (!actsAs(ctx, request.brokerId, 'BrokerRegistration')) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, brokerEpoch: -1n };
    const listener = request.listeners[0];
    if (!listener) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REGISTRATION, brokerEpoch: -1n };
    const result = await ctx.services.controller.registerBroker({
      nodeId: request.brokerId,
      host: listener.host,
      port: listener.port,
      rack: request.rack,
      clusterId: request.clusterId,
      incarnationId: request.incarnationId.toString('hex'),
      connection: brokerConnection(ctx, request.brokerId),
    });
    return { throttleTimeMs: 0, errorCode: result.errorCode, brokerEpoch: BigInt(result.brokerEpoch) };
  },
});
