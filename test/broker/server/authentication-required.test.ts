/**
 * A listener that requires authentication (a peer listener), over real
 * sockets: until a connection has authenticated (KB-CLUSTER-SECRET through
 * its SaslSession) it is served ApiVersions and SASL only, its frames are
 * small, and it is closed after the authentication timeout; once
 * authenticated it is served, and knows the node it authenticated as.
 * Connections waiting to authenticate have a budget of their own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Listener } from '../../../src/broker/server/listener.ts';
import type { Dispatch } from '../../../src/broker/server/connection.ts';
import { clusterSecretMechanism } from '../../../src/broker/server/sasl-session.ts';
import { decodeRequestBody, decodeRequestHeader, encodeResponseChunks } from '../../../src/protocol/frames.ts';
import { ApiKeys } from '../../../src/protocol/generated/api-keys.ts';
import { defaultApiVersionsResponse } from '../../../src/protocol/generated/api-versions-response.ts';
import { defaultMetadataResponse } from '../../../src/protocol/generated/metadata-response.ts';
import { defaultMetadataRequest } from '../../../src/protocol/generated/metadata-request.ts';
import { BrokerConnection } from '../../../src/net/connection.ts';
import { peerLogin } from '../../../src/net/peer-login.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { listenerOptions } from './listener-options.ts';

const secret = Buffer.from('authentication-required-test-secret-0123');
const timeoutMs = 500;
const frameBytesMax = 1024;
const unauthenticatedMax = 3;

/** Serves ApiVersions, the connection's SASL session, and Metadata answering which node the connection is. */
const dispatch: Dispatch = async (payload, connection) => {
  const { apiKey, apiVersion, correlationId, bodyOffset } = decodeRequestHeader(payload);
  const body = decodeRequestBody(apiKey, apiVersion, payload, bodyOffset) as any;
  const answer =
    apiKey === ApiKeys.ApiVersions
      ? { ...defaultApiVersionsResponse(), apiKeys: [17, 18, 36, 3].map((key) => ({ apiKey: key, minVersion: 0, maxVersion: 12 })) }
      : apiKey === ApiKeys.SaslHandshake
        ? { errorCode: connection.sasl.handshake(body.mechanism), mechanisms: connection.sasl.mechanisms }
        : apiKey === ApiKeys.SaslAuthenticate
          ? await connection.sasl.authenticate(body.authBytes)
          : { ...defaultMetadataResponse(), clusterId: `peer ${connection.sasl.peer}` };
  return encodeResponseChunks(apiKey, apiVersion, correlationId, answer);
};

async function withListener(t: { after(fn: () => Promise<void>): void }, authenticationTimeoutMs = timeoutMs): Promise<number> {
  const listener = new Listener(
    listenerOptions({
      maxFrameBytes: 1024 * 1024,
      firstFrameBytesMax: frameBytesMax,
      authentication: { mechanisms: [clusterSecretMechanism(secret, 1)], required: true, timeoutMs: authenticationTimeoutMs, unauthenticatedMax },
    }),
    dispatch,
    { info() {}, warn() {}, error() {} },
  );
  const { port } = await listener.listen();
  t.after(() => listener.close());
  return port;
}

const metadata = { ...defaultMetadataRequest(), topics: [] };

test('an authenticated node is served and known by its node id', async (t) => {
  const port = await withListener(t);
  const node = new BrokerConnection({ host: '127.0.0.1', port, clientId: 'kb-broker-2', requestTimeoutMs: 5_000, connectTimeoutMs: 5_000, authenticate: peerLogin({ nodeId: 2, secret }, 1) });
  await node.connect();
  t.after(() => node.close());
  assert.equal((await node.requestAt(ApiKeys.Metadata, 12, metadata)).clusterId, 'peer 2');
});

test('before authentication: ApiVersions is served, any other request closes the connection unanswered', async (t) => {
  const port = await withListener(t);
  const client = await RawClient.connect('127.0.0.1', port);
  t.after(() => client.close());
  assert.equal((await client.request(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '0' })).errorCode, 0);
  await assert.rejects(client.request(ApiKeys.Metadata, 12, metadata), /closed before the response/);
});

test('before authentication a frame over sasl.server.max.receive.size closes the connection, even one naming an API served', async (t) => {
  const port = await withListener(t);
  const client = await RawClient.connect('127.0.0.1', port);
  t.after(() => client.close());
  const header = Buffer.alloc(8);
  header.writeInt32BE(frameBytesMax + 1, 0);
  header.writeInt16BE(ApiKeys.ApiVersions, 4);
  header.writeInt16BE(3, 6);
  client.write(header);
  assert.equal(await client.closedByPeer(), true);
});

test('a connection that does not authenticate within the timeout is closed; a wrong secret is refused', async (t) => {
  const port = await withListener(t);
  const idle = await RawClient.connect('127.0.0.1', port);
  t.after(() => idle.close());
  const started = performance.now();
  assert.equal(await idle.closedByPeer(timeoutMs * 20), true);
  assert.ok(performance.now() - started >= timeoutMs - 50, 'not before the timeout');
  const wrong = new BrokerConnection({ host: '127.0.0.1', port, clientId: 'x', requestTimeoutMs: 5_000, connectTimeoutMs: 5_000, authenticate: peerLogin({ nodeId: 2, secret: Buffer.from('x'.repeat(40)) }, 1) });
  await assert.rejects(wrong.connect(), /does not hold the cluster secret/);
});

test('connections waiting to authenticate have a budget: one more closes the oldest, and authenticated ones do not count', async (t) => {
  const port = await withListener(t, 60_000);
  const node = new BrokerConnection({ host: '127.0.0.1', port, clientId: 'kb-broker-2', requestTimeoutMs: 5_000, connectTimeoutMs: 5_000, authenticate: peerLogin({ nodeId: 2, secret }, 1) });
  await node.connect();
  t.after(() => node.close());
  const waiting: RawClient[] = [];
  for (let i = 0; i <= unauthenticatedMax; i++) {
    const client = await RawClient.connect('127.0.0.1', port);
    t.after(() => client.close());
    // Answered: the listener has taken the connection in, in this order.
    assert.equal((await client.request(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '0' })).errorCode, 0);
    waiting.push(client);
  }
  assert.equal(await waiting[0].closedByPeer(), true, 'the oldest waiting connection was closed for the newest');
  for (const client of waiting.slice(1)) assert.equal((await client.request(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '0' })).errorCode, 0);
  assert.equal((await node.requestAt(ApiKeys.Metadata, 12, metadata)).clusterId, 'peer 2', 'the authenticated connection is untouched');
});
