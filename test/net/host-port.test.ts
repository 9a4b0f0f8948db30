import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHostPort, parseHostPort, parseVoters } from '../../src/net/host-port.ts';

test('host:port, bracketed IPv6 and a default port', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:9092'), { host: '127.0.0.1', port: 9092 });
  assert.deepEqual(parseHostPort('[::1]:9093'), { host: '::1', port: 9093 });
  assert.deepEqual(parseHostPort('kafka.local', 9092), { host: 'kafka.local', port: 9092 });
  assert.equal(formatHostPort({ host: '::1', port: 1 }), '[::1]:1');
  for (const bad of ['nowhere:port', ':9092', 'h:70000', 'h']) assert.throws(() => parseHostPort(bad), /not host:port/, bad);
});

test('voter lists: ID@host:port, distinct ids', () => {
  assert.deepEqual(parseVoters('1@a:1,2@b:2'), [
    { nodeId: 1, host: 'a', port: 1 },
    { nodeId: 2, host: 'b', port: 2 },
  ]);
  assert.throws(() => parseVoters('1@a:1,1@b:2'), /appears twice/);
  assert.throws(() => parseVoters('a:1'), /not ID@host:port/);
});
