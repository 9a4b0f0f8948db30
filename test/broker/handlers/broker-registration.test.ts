/**
 * BrokerRegistration with a fake controller: every listener is recorded as
 * an endpoint (its security protocol by name); no listener, too many, a
 * name twice or an unknown security protocol is INVALID_REGISTRATION and
 * records nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import brokerRegistration from '../../../src/broker/handlers/62-broker-registration.ts';
import type { ControllerService } from '../../../src/broker/handlers/handler.ts';
import type { BrokerRegistration } from '../../../src/controller/controller.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { defaultBrokerRegistrationRequest } from '../../../src/protocol/generated/broker-registration-request.ts';
import { handle } from './fake-services.ts';

function fakeController(registered: BrokerRegistration[]): ControllerService {
  return {
    registerBroker: async (registration: BrokerRegistration) => {
      registered.push(registration);
      return { errorCode: ErrorCode.NONE, errorMessage: null, brokerEpoch: 7 };
    },
  } as unknown as ControllerService;
}

const listener = (name: string, port: number, securityProtocol = 0) => ({ name, host: '10.0.0.4', port, securityProtocol });
const register = (registered: BrokerRegistration[], listeners: ReturnType<typeof listener>[]) =>
  handle(
    brokerRegistration,
    { ...defaultBrokerRegistrationRequest(), brokerId: 4, clusterId: 'c', incarnationId: Buffer.alloc(16, 1), listeners },
    4,
    { controller: fakeController(registered), peerAuth: { required: true, logRefusal() {} } },
    { peer: 4, clientId: 'kb-broker-4' }, // broker 4's own connection
  );

test('every listener becomes an endpoint', async () => {
  const registered: BrokerRegistration[] = [];
  const response = await register(registered, [listener('CLIENT', 9092), listener('PEER', 9093)]);
  assert.deepEqual([response!.errorCode, response!.brokerEpoch], [ErrorCode.NONE, 7n]);
  assert.deepEqual(registered[0].endpoints, [
    { name: 'CLIENT', host: '10.0.0.4', port: 9092, securityProtocol: 'PLAINTEXT' },
    { name: 'PEER', host: '10.0.0.4', port: 9093, securityProtocol: 'PLAINTEXT' },
  ]);
});

test('no listener, too many, a name twice or an unknown protocol is INVALID_REGISTRATION', async () => {
  const registered: BrokerRegistration[] = [];
  const cases = [[], Array.from({ length: 17 }, (_, i) => listener(`L${i}`, 9000 + i)), [listener('PEER', 1), listener('PEER', 2)], [listener('PEER', 1, 9)]];
  for (const listeners of cases) {
    const response = await register(registered, listeners);
    assert.equal(response!.errorCode, ErrorCode.INVALID_REGISTRATION, JSON.stringify(listeners.slice(0, 2)));
  }
  assert.deepEqual(registered, [], 'nothing reached the controller');
});
