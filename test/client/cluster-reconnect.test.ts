/**
 * A long-lived Cluster client (kb console's) follows a broker that goes
 * away and comes back: the connection that closed is opened again on next
 * use instead of failing every later request with "connection closed".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cluster } from '../../src/client/cluster.ts';
import { startBroker } from '../helpers/broker.ts';
import { freePorts } from '../helpers/cluster.ts';

test('a broker restarted on the same address is reached again by the same Cluster', { timeout: 60_000 }, async (t) => {
  const [port] = await freePorts(1);
  const first = await startBroker({ listen: `127.0.0.1:${port}` });
  t.after(() => first.stop());
  const cluster = new Cluster({ bootstrap: [{ host: '127.0.0.1', port }], requestTimeoutMs: 5000 });
  t.after(() => cluster.close());
  assert.equal((await cluster.refreshMetadata()).brokers.size, 1);

  await first.kill();
  const second = await startBroker({ listen: `127.0.0.1:${port}`, dataDir: first.dataDir });
  t.after(() => second.stop());
  assert.equal((await cluster.refreshMetadata()).brokers.size, 1);
  assert.equal((await cluster.broker(1)).closed, false);
});
