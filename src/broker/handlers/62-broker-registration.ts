/**
 * BrokerRegistration (key 62), v0-4, served by the active controller (the
 * dispatcher forwards it there): records the broker's listeners (as its
 * endpoints) and rack under a new broker epoch, fenced until a caught-up
 * heartbeat. A request without a listener, with more than `listenersMax`,
 * the same name twice or an unknown security protocol is
 * INVALID_REGISTRATION; another cluster's id
 * INCONSISTENT_CLUSTER_ID; another live process with the same node id
 * DUPLICATE_BROKER_REGISTRATION; a request whose connection is not broker
 * brokerId's own (controller-channel.ts actsAs) CLUSTER_AUTHORIZATION_FAILED.
 * A peer API: on a client listener the answer is CLUSTER_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { BrokerRegistrationRequest } from '../../protocol/generated/broker-registration-request.ts';
import type { BrokerRegistrationResponse } from '../../protocol/generated/broker-registration-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { actsAs, brokerConnection } from '../controller-channel.ts';
import { securityProtocolName } from '../server/listeners-config.ts';

/** Listeners one broker may register at most (a bound on what a registration writes into every node's image). */
const listenersMax = 16;

const errorAnswer = (errorCode: number): BrokerRegistrationResponse => ({ throttleTimeMs: 0, errorCode, brokerEpoch: -1n });

export default defineHandler<BrokerRegistrationRequest, BrokerRegistrationResponse>({
  apiKey: ApiKeys.BrokerRegistration,
  forwardToController: true,
  peerOnly: true,
  clientRefusal: () => errorAnswer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED),
  errorAnswer,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    if (!actsAs(ctx, request.brokerId, 'BrokerRegistration')) return errorAnswer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const endpoints = request.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: securityProtocolName(l.securityProtocol) }));
    const names = new Set(endpoints.map((e) => e.name));
    const valid = endpoints.length > 0 && endpoints.length <= listenersMax && names.size === endpoints.length && endpoints.every((e) => e.securityProtocol !== null);
    if (!valid) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REGISTRATION, brokerEpoch: -1n };
    const result = await ctx.services.controller.registerBroker({
      nodeId: request.brokerId,
      endpoints: endpoints.map((e) => ({ ...e, securityProtocol: e.securityProtocol! })),
      rack: request.rack,
      clusterId: request.clusterId,
      incarnationId: request.incarnationId.toString('hex'),
      connection: brokerConnection(ctx, request.brokerId),
    });
    return { throttleTimeMs: 0, errorCode: result.errorCode, brokerEpoch: BigInt(result.brokerEpoch) };
  },
});
