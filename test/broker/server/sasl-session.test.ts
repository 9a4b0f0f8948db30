/** SaslSession: the order of SaslHandshake and SaslAuthenticate, and each way out of turn failing the session once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterSecretMechanism, SaslSession } from '../../../src/broker/server/sasl-session.ts';
import { clientFinal, clientFirst, peerMechanism } from '../../../src/net/peer-auth.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const secret = Buffer.from('sasl-session-test-secret-0123456789abcdef');

function session() {
  const failures: string[] = [];
  return { sasl: new SaslSession([clusterSecretMechanism(secret, 1)], (reason) => failures.push(reason)), failures };
}

test('handshake, then the two messages of the exchange: the session knows the node', () => {
  const { sasl, failures } = session();
  assert.deepEqual(sasl.mechanisms, [peerMechanism]);
  assert.equal(sasl.handshake(peerMechanism), ErrorCode.NONE);
  const first = clientFirst(2, 1);
  const challenge = sasl.authenticate(first.message);
  assert.equal(challenge.errorCode, ErrorCode.NONE);
  assert.equal(sasl.peer, null, 'not before the final message');
  const final = clientFinal(secret, first.exchange, challenge.authBytes);
  assert.ok(final.ok);
  assert.equal(sasl.authenticate(final.value).errorCode, ErrorCode.NONE);
  assert.equal(sasl.peer, 2);
  assert.deepEqual(failures, []);
  assert.equal(sasl.authenticate(final.value).errorCode, ErrorCode.ILLEGAL_SASL_STATE, 'nothing after the exchange ended');
  assert.equal(sasl.peer, 2, 'a message out of turn does not undo the authentication');
});

test('out of turn, an unknown mechanism or a refused message fail the session, each once, and never authenticate', () => {
  const early = session();
  assert.equal(early.sasl.authenticate(Buffer.alloc(41)).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  assert.equal(early.sasl.handshake(peerMechanism), ErrorCode.ILLEGAL_SASL_STATE, 'a failed session stays failed');
  assert.deepEqual(early.failures, ['SaslAuthenticate before SaslHandshake', 'a second SaslHandshake']);

  const twice = session();
  assert.equal(twice.sasl.handshake(peerMechanism), ErrorCode.NONE);
  assert.equal(twice.sasl.handshake(peerMechanism), ErrorCode.ILLEGAL_SASL_STATE);

  const unknown = session();
  assert.equal(unknown.sasl.handshake('PLAIN'), ErrorCode.UNSUPPORTED_SASL_MECHANISM);
  assert.match(unknown.failures[0], /"PLAIN" is not offered/);

  const garbage = session();
  garbage.sasl.handshake(peerMechanism);
  const answer = garbage.sasl.authenticate(Buffer.alloc(7));
  assert.equal(answer.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.equal(answer.errorMessage, 'authentication failed', 'no detail for the client: the reason goes to the log');
  assert.match(garbage.failures[0], /a first message of 7 bytes, expected 41/);
  assert.equal(garbage.sasl.peer, null);
});
