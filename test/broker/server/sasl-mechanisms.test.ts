/** A SASL listener's settings (sasl.enabled.mechanisms, connections.max.reauth.ms, per listener), the unknown-user key, and the listeners-config side: SASL protocols are served. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig, ConfigError } from '../../../src/broker/config.ts';
import { readReauthMs, readSaslMechanisms, unknownUserKey } from '../../../src/broker/server/sasl-mechanisms.ts';
import { resolveListeners } from '../../../src/broker/server/listeners-config.ts';

const config = (sets: Record<string, string>) => new BrokerConfig(Object.entries(sets));

test('sasl.enabled.mechanisms: SCRAM by default, per listener first, anything kb lacks refused naming the key', () => {
  assert.deepEqual(readSaslMechanisms(config({}), 'CLIENT'), ['SCRAM-SHA-512', 'SCRAM-SHA-256']);
  assert.deepEqual(readSaslMechanisms(config({ 'sasl.enabled.mechanisms': 'plain, scram-sha-256' }), 'CLIENT'), ['PLAIN', 'SCRAM-SHA-256']);
  const both = config({ 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.client.sasl.enabled.mechanisms': 'SCRAM-SHA-512' });
  assert.deepEqual(readSaslMechanisms(both, 'CLIENT'), ['SCRAM-SHA-512']);
  assert.deepEqual(readSaslMechanisms(both, 'OTHER'), ['PLAIN']);
  assert.throws(
    () => readSaslMechanisms(config({ 'listener.name.client.sasl.enabled.mechanisms': 'GSSAPI,PLAIN' }), 'CLIENT'),
    (err: Error) => err instanceof ConfigError && /listener CLIENT \(SASL\): listener\.name\.client\.sasl\.enabled\.mechanisms=GSSAPI,PLAIN: kb offers PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/.test(err.message),
  );
  assert.throws(() => readSaslMechanisms(config({ 'sasl.enabled.mechanisms': ' , ' }), 'CLIENT'), ConfigError);
});

test('connections.max.reauth.ms: 0 by default, per listener first, a bad value refused', () => {
  assert.equal(readReauthMs(config({}), 'CLIENT'), 0);
  assert.equal(readReauthMs(config({ 'connections.max.reauth.ms': '3600000', 'listener.name.client.connections.max.reauth.ms': '60000' }), 'CLIENT'), 60_000);
  assert.throws(() => readReauthMs(config({ 'listener.name.client.connections.max.reauth.ms': '-1' }), 'CLIENT'), /listener\.name\.client\.connections\.max\.reauth\.ms=-1: expected 0/);
});

test('the unknown-user key: the same on every node of a cluster (from its secret), another for another secret, random without one', () => {
  const secret = Buffer.from('a-cluster-secret-0123456789abcdef');
  assert.deepEqual(unknownUserKey(secret), unknownUserKey(Buffer.from(secret)));
  assert.notDeepEqual(unknownUserKey(secret), unknownUserKey(Buffer.from('another-cluster-secret-0123456789')));
  assert.notDeepEqual(unknownUserKey(secret), secret, 'not the secret itself');
  assert.notDeepEqual(unknownUserKey(null), unknownUserKey(null));
});

test('SASL_PLAINTEXT and SASL_SSL listeners are served, client and peer alike', () => {
  const specs = resolveListeners(config({ listeners: 'CLIENT://:9092,SECURE://:9094', 'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT,SECURE:SASL_SSL' }), { nodeId: 1 });
  assert.deepEqual(specs.map((s) => [s.name, s.securityProtocol, s.peer]), [['CLIENT', 'SASL_PLAINTEXT', false], ['SECURE', 'SASL_SSL', false]]);
});

test('the SASL settings are known broker settings (a start takes them, plain or per listener)', async () => {
  const loaded = await BrokerConfig.load({ sets: ['sasl.enabled.mechanisms=PLAIN', 'connections.max.reauth.ms=60000', 'listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-256'] });
  assert.deepEqual(readSaslMechanisms(loaded, 'CLIENT'), ['SCRAM-SHA-256']);
  assert.equal(readReauthMs(loaded, 'CLIENT'), 60_000);
});
