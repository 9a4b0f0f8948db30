/** SaslSession: the order of SaslHandshake and SaslAuthenticate, each way out of turn failing the session once, and a user mechanism's outcomes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterSecretMechanism, SaslSession, type SaslMechanism } from '../../../src/broker/server/sasl-session.ts';
import { userMechanism } from '../../../src/broker/server/sasl-mechanisms.ts';
import type { CredentialLookup } from '../../../src/broker/auth/mechanism.ts';
import { saltedPassword, scramIterationsMin, scramKeys, scramMechanismNamed } from '../../../src/protocol/scram.ts';
import { clientFinal, clientFirst, peerMechanism } from '../../../src/net/peer-auth.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const secret = Buffer.from('sasl-session-test-secret-0123456789abcdef');

function session() {
  const failures: string[] = [];
  return { sasl: new SaslSession([clusterSecretMechanism(secret, 1)], { onFailure: (reason) => failures.push(reason) }), failures };
}

test('handshake, then the two messages of the exchange: the session knows the node', async () => {
  const { sasl, failures } = session();
  assert.deepEqual(sasl.mechanisms, [peerMechanism]);
  assert.equal(sasl.handshake(peerMechanism), ErrorCode.NONE);
  const first = clientFirst(2, 1);
  const challenge = await sasl.authenticate(first.message);
  assert.equal(challenge.errorCode, ErrorCode.NONE);
  assert.equal(sasl.peer, null, 'not before the final message');
  const final = clientFinal(secret, first.exchange, challenge.authBytes);
  assert.ok(final.ok);
  assert.equal((await sasl.authenticate(final.value)).errorCode, ErrorCode.NONE);
  assert.equal(sasl.peer, 2);
  assert.deepEqual(failures, []);
  assert.equal((await sasl.authenticate(final.value)).errorCode, ErrorCode.ILLEGAL_SASL_STATE, 'nothing after the exchange ended');
  assert.equal(sasl.peer, 2, 'a message out of turn does not undo the authentication');
});

test('out of turn, an unknown mechanism or a refused message fail the session, each once, and never authenticate', async () => {
  const early = session();
  assert.equal((await early.sasl.authenticate(Buffer.alloc(41))).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
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
  const answer = await garbage.sasl.authenticate(Buffer.alloc(7));
  assert.equal(answer.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.equal(answer.errorMessage, 'authentication failed', 'no detail for the client: the reason goes to the log');
  assert.match(garbage.failures[0], /a first message of 7 bytes, expected 41/);
  assert.equal(garbage.sasl.peer, null);
});

test('a user mechanism: PLAIN authenticates the user; a wrong password is answered with the reason and counted; a refused address is not even checked', async () => {
  const mechanism = scramMechanismNamed('SCRAM-SHA-512')!;
  const salt = Buffer.alloc(32, 7);
  const keys = scramKeys(mechanism, await saltedPassword(mechanism, 'secret-pw', salt, scramIterationsMin, { stored: true }));
  const lookup: CredentialLookup = (user, m) => (user === 'alice' && m === mechanism ? { salt, iterations: scramIterationsMin, ...keys } : undefined);
  let steps = 0;
  const counted: SaslMechanism = { name: 'PLAIN', start: () => { const step = userMechanism('PLAIN', lookup, { unknownUserKey: Buffer.alloc(32) }).start(); return (m) => (steps++, step(m)); } };
  const refused: string[] = [];
  const open = (admit: () => string | null) => {
    const failures: string[] = [];
    const sasl = new SaslSession([counted], { onFailure: (reason) => failures.push(reason), admit, onRefused: () => refused.push('x') });
    assert.equal(sasl.handshake('PLAIN', 0), ErrorCode.NONE);
    assert.equal(sasl.rawTokens, true, 'a v0 handshake: the messages come as bare frames');
    return { sasl, failures };
  };

  const good = open(() => null);
  assert.equal((await good.sasl.authenticate(Buffer.from('\0alice\0secret-pw'))).errorCode, ErrorCode.NONE);
  assert.equal(good.sasl.user, 'alice');
  assert.equal(good.sasl.authenticated, true);
  assert.equal(good.sasl.rawTokens, false);

  const bad = open(() => null);
  const answer = await bad.sasl.authenticate(Buffer.from('\0alice\0wrong'));
  assert.equal(answer.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.match(answer.errorMessage!, /invalid credentials with SASL mechanism PLAIN/);
  assert.match(bad.failures[0], /User:alice, PLAIN: .*invalid credentials/);
  assert.doesNotMatch(bad.failures[0], /wrong/, 'never the password');
  assert.deepEqual(refused, ['x']);

  const blocked = open(() => 'too many failed authentications from 10.0.0.1');
  const before = steps;
  const refusal = await blocked.sasl.authenticate(Buffer.from('\0alice\0secret-pw'));
  assert.equal(refusal.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.equal(refusal.errorMessage, 'too many failed authentications from 10.0.0.1');
  assert.equal(steps, before, 'the mechanism did no work');
  assert.equal(blocked.sasl.authenticated, false);
});

test('re-authentication (a lifetime set): the login expires after it, a new handshake and login as the same user renews it, anyone else fails the session', async () => {
  let now = 0;
  const accept: SaslMechanism = { name: 'TEST', start: () => (message) => ({ ok: true, reply: Buffer.alloc(0), authenticated: { user: message.toString() } }) };
  const failures: string[] = [];
  const sasl = new SaslSession([accept], { onFailure: (reason) => failures.push(reason), lifetimeMs: 1000, now: () => now });
  assert.equal(sasl.handshake('TEST'), ErrorCode.NONE);
  assert.equal((await sasl.authenticate(Buffer.from('alice'))).sessionLifetimeMs, 1000n);
  now = 999;
  assert.equal(sasl.expired, false);
  now = 1000;
  assert.equal(sasl.expired, true);
  assert.equal(sasl.handshake('TEST'), ErrorCode.NONE, 'an authenticated session may log in again');
  assert.equal(sasl.user, 'alice', 'still alice meanwhile');
  assert.equal((await sasl.authenticate(Buffer.from('alice'))).errorCode, ErrorCode.NONE);
  assert.equal(sasl.expired, false, 'a new lifetime from the new login');
  now = 1999;
  assert.equal(sasl.expired, false);
  assert.equal(sasl.handshake('TEST'), ErrorCode.NONE);
  const other = await sasl.authenticate(Buffer.from('mallory'));
  assert.equal(other.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.equal(other.errorMessage, 'a re-authentication must log in as the same user');
  assert.deepEqual(failures, ['re-authenticated as User:mallory, not User:alice']);
  assert.equal(sasl.user, 'alice');

  const forever = new SaslSession([accept], { onFailure: () => {} });
  forever.handshake('TEST');
  assert.equal((await forever.authenticate(Buffer.from('alice'))).sessionLifetimeMs, 0n);
  assert.equal(forever.expired, false);
  assert.equal(forever.handshake('TEST'), ErrorCode.ILLEGAL_SASL_STATE, 'no lifetime: no second handshake');
});
