import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientFinal, clientFirst, serverFirst, serverVerify, type Outcome } from '../../src/net/peer-auth.ts';

const secret = Buffer.from('a-cluster-secret-of-enough-characters-0123');
const otherSecret = Buffer.from('another-cluster-secret-of-enough-chars-4567');

function ok<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) assert.fail(outcome.reason);
  return outcome.value;
}

function refused(outcome: Outcome<unknown>, reason: RegExp): void {
  assert.equal(outcome.ok, false);
  if (!outcome.ok) assert.match(outcome.reason, reason);
}

/** One exchange between client node `clientId` and server node 2, each with its own secret. */
function exchange(clientSecret: Buffer, serverSecret: Buffer, clientId = 1) {
  const client = clientFirst(clientId, 2);
  const server = serverFirst(serverSecret, 2, client.message);
  return { client, server: ok(server), clientSecret, serverSecret };
}

test('both sides holding the secret: the server learns the client node id', () => {
  const { client, server } = exchange(secret, secret, 7);
  const final = ok(clientFinal(secret, client.exchange, server.message));
  assert.equal(ok(serverVerify(secret, server.exchange, final)), 7);
});

test('the secret is not on the wire', () => {
  const { client, server } = exchange(secret, secret);
  const final = ok(clientFinal(secret, client.exchange, server.message));
  for (const message of [client.message, server.message, final]) assert.equal(message.includes(secret), false);
});

test('a server with another secret is found out before the client proves anything', () => {
  const { client, server } = exchange(secret, otherSecret);
  refused(clientFinal(secret, client.exchange, server.message), /does not hold the cluster secret/);
});

test('a client with another secret is refused', () => {
  const { client, server } = exchange(otherSecret, otherSecret);
  const finalWithOtherSecret = ok(clientFinal(otherSecret, client.exchange, server.message));
  const real = ok(serverFirst(secret, 2, client.message));
  refused(serverVerify(secret, real.exchange, finalWithOtherSecret), /did not prove/);
});

test('a final message replayed into another exchange is refused (fresh server nonce)', () => {
  const first = exchange(secret, secret);
  const final = ok(clientFinal(secret, first.client.exchange, first.server.message));
  const replay = ok(serverFirst(secret, 2, first.client.message)); // the same client-first, replayed
  refused(serverVerify(secret, replay.exchange, final), /did not prove/);
});

test("the server's proof reflected back as the client's is refused", () => {
  const { server } = exchange(secret, secret);
  const reflected = Buffer.concat([Buffer.of(1), server.message.subarray(33)]);
  refused(serverVerify(secret, server.exchange, reflected), /did not prove/);
});

test('a proof for another client id is refused', () => {
  const honest = clientFirst(1, 2);
  const claimed = Buffer.from(honest.message);
  claimed.writeInt32BE(3, 1); // a relay rewrites the claimed id
  const server = ok(serverFirst(secret, 2, claimed));
  refused(clientFinal(secret, honest.exchange, server.message), /does not hold/);
  const final = ok(clientFinal(secret, { ...honest.exchange, clientId: 3 }, server.message));
  assert.equal(ok(serverVerify(secret, server.exchange, final)), 3); // only with the secret
});

test('a server refuses a first message meant for another node or claiming a negative id', () => {
  refused(serverFirst(secret, 3, clientFirst(1, 2).message), /meant to reach node 2, this is node 3/);
  refused(serverFirst(secret, 2, clientFirst(-1, 2).message), /node id -1/);
});

test('truncated, oversized and wrong-version messages are refused', () => {
  const { client, server } = exchange(secret, secret);
  const final = ok(clientFinal(secret, client.exchange, server.message));
  for (const [message, check] of [
    [client.message, (m: Buffer): Outcome<unknown> => serverFirst(secret, 2, m)],
    [server.message, (m: Buffer): Outcome<unknown> => clientFinal(secret, client.exchange, m)],
    [final, (m: Buffer): Outcome<unknown> => serverVerify(secret, server.exchange, m)],
  ] as const) {
    refused(check(message.subarray(0, message.length - 1)), /bytes, expected/);
    refused(check(Buffer.concat([message, Buffer.alloc(1)])), /bytes, expected/);
    refused(check(Buffer.alloc(1024 * 1024)), /bytes, expected/);
    refused(check(Buffer.alloc(0)), /0 bytes/);
    const versioned = Buffer.from(message);
    versioned[0] = 2;
    refused(check(versioned), /version 2/);
  }
});
