import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callerOf } from '../../src/broker/controller-channel.ts';
import type { RequestContext } from '../../src/broker/handlers/handler.ts';

const ctx = (clientId: string, peer: number | null, required = true) =>
  ({ clientId, peer, principal: peer === null ? 'User:alice' : `User:kb-node-${peer}`, clientAddress: '10.0.0.5:4000', services: { peerAuth: { required } } }) as unknown as RequestContext;

test("a client's own request carries its quota entity; one a node forwards for a client does not, nor does a forged forwarding client id", () => {
  assert.deepEqual(callerOf(ctx('app', null)), { node: false, client: '10.0.0.5', entity: { principal: 'User:alice', clientId: 'app' } });
  assert.deepEqual(callerOf(ctx('kb-broker-2-forwarding', 2)), { node: false, client: '10.0.0.5', entity: null }, 'forwarded by node 2');
  const forged = { node: false, client: '10.0.0.5', entity: { principal: 'User:alice', clientId: 'kb-broker-2-forwarding' } };
  assert.deepEqual(callerOf(ctx('kb-broker-2-forwarding', null)), forged, 'a client naming itself a forwarder keeps its entity');
  assert.deepEqual(callerOf(ctx('kb-broker-2-forwarding', null, false)), { node: false, client: '10.0.0.5', entity: null }, 'without peer authentication the client id is taken');
  assert.deepEqual(callerOf(ctx('kb-broker-2', 2)), { node: true });
});
