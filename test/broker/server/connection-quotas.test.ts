import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionQuotas, parsePerIpOverrides, type ConnectionQuotaLimits } from '../../../src/broker/server/connection-quotas.ts';

const limits: ConnectionQuotaLimits = { maxConnections: 100, maxConnectionsPerIp: 2, maxConnectionsPerIpOverrides: '10.0.0.9:0,10.0.0.8:3', maxConnectionCreationRate: 1000 };

function quotas(overrides: Partial<ConnectionQuotaLimits> = {}, peers: string[] = [], clock = { now: 0 }) {
  return new ConnectionQuotas({ ...limits, ...overrides }, (ip) => peers.includes(ip), () => clock.now);
}

test('an address gets max.connections.per.ip connections, or its override; a released one frees a slot', () => {
  const q = quotas();
  assert.equal(q.admit('10.0.0.1'), null);
  assert.equal(q.admit('10.0.0.1'), null);
  assert.equal(q.admit('10.0.0.1'), '2 connections open from 10.0.0.1 (max.connections.per.ip 2)');
  assert.equal(q.admit('10.0.0.2'), null, 'other addresses are not affected');
  q.release('10.0.0.1');
  assert.equal(q.admit('10.0.0.1'), null);
  assert.equal(q.admit('10.0.0.9'), '0 connections open from 10.0.0.9 (max.connections.per.ip.overrides 0)');
  for (let i = 0; i < 3; i++) assert.equal(q.admit('10.0.0.8'), null);
  assert.match(q.admit('10.0.0.8')!, /max\.connections\.per\.ip\.overrides 3/);
});

test('an IPv4-mapped IPv6 address counts as its IPv4 address', () => {
  const q = quotas();
  assert.equal(q.admit('::ffff:10.0.0.1'), null);
  assert.equal(q.admit('10.0.0.1'), null);
  assert.match(q.admit('::ffff:10.0.0.1')!, /from 10\.0\.0\.1/);
});

test('max.connections bounds every address but peers, whose connections count towards it', () => {
  const q = quotas({ maxConnections: 3, maxConnectionsPerIp: 10 }, ['10.0.0.5']);
  for (const ip of ['10.0.0.1', '10.0.0.5', '10.0.0.2']) assert.equal(q.admit(ip), null);
  assert.equal(q.admit('10.0.0.3'), '3 connections open (max.connections)');
  assert.equal(q.admit('10.0.0.5'), null, 'a peer gets in past max.connections');
  q.release('10.0.0.1');
  assert.equal(q.admit('10.0.0.3'), '3 connections open (max.connections)', 'the peer counts');
});

test('peers are exempt from the per-address and creation-rate limits', () => {
  const q = quotas({ maxConnectionCreationRate: 1 }, ['10.0.0.5']);
  for (let i = 0; i < 10; i++) assert.equal(q.admit('10.0.0.5'), null);
  assert.equal(q.admit('10.0.0.1'), null);
});

test('max.connection.creation.rate refuses connections past the rate within a second, and admits again in the next', () => {
  const clock = { now: 0 };
  const q = quotas({ maxConnectionCreationRate: 2, maxConnectionsPerIp: 100 }, [], clock);
  assert.equal(q.admit('10.0.0.1'), null);
  clock.now = 500;
  assert.equal(q.admit('10.0.0.2'), null);
  assert.equal(q.admit('10.0.0.3'), 'more than 2 new connections this second (max.connection.creation.rate)');
  clock.now = 1000;
  assert.equal(q.admit('10.0.0.3'), null);
});

test('max.connections.per.ip.overrides is read as host:count pairs, and anything else is an error naming the entry', () => {
  assert.deepEqual([...parsePerIpOverrides(' 10.0.0.1:5, ::ffff:10.0.0.2:7,')], [['10.0.0.1', 5], ['10.0.0.2', 7]]);
  assert.deepEqual([...parsePerIpOverrides('')], []);
  for (const bad of ['10.0.0.1', '10.0.0.1:x', ':5', '10.0.0.1:-1']) {
    assert.throws(() => parsePerIpOverrides(bad), new RegExp(`"${bad.replace(/[.]/g, '\\.')}" is not host:count`));
  }
});
