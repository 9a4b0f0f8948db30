/**
 * Client quotas on a 3-node cluster: a quota set through a node that is
 * not necessarily the controller (AlterClientQuotas forwarded) is applied
 * by every node, each of which then throttles a client over it on its
 * own: the Produce answer carries throttle_time_ms, and the connection is
 * muted for that long (the next request on it is answered no sooner).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, fastFailover } from '../helpers/cluster.ts';
import { runKb } from '../helpers/cli.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';

const clientId = 'quota-test';
/** About 3 KB a request over a 1 KB/s quota measured over at least 1 s: a delay of about 2 s. */
const produce = { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'no-such-topic', partitionData: [{ index: 0, records: Buffer.alloc(3000) }] }] };

test('a quota set through one node throttles and mutes clients on every node', async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: { ...fastFailover, 'quota.window.num': 2, 'quota.window.size.seconds': 1, 'auto.create.topics.enable': false } });
  t.after(() => cluster.stop());
  const set = await runKb(['quota', 'set', '--client-id', clientId, '--producer-byte-rate', '1KB'], { env: { KB_BROKERS: cluster.address(2) } });
  assert.equal(set.code, 0, set.stderr);

  for (const id of cluster.nodeIds) {
    const [host, port] = cluster.address(id).split(':');
    const client = new Cluster({ bootstrap: [{ host, port: Number(port) }], clientId, requestTimeoutMs: 15_000 });
    try {
      const connection = await client.connection(host, Number(port));
      // Each node applies the committed quota in its own time: wait (generously) until it throttles.
      const deadline = Date.now() + 30_000;
      let throttleMs = 0;
      while (throttleMs === 0) {
        assert.ok(Date.now() < deadline, `node ${id} never throttled`);
        throttleMs = (await connection.request(ApiKeys.Produce, 8, produce)).throttleTimeMs;
      }
      assert.ok(throttleMs > 1000 && throttleMs < 5000, `node ${id}: throttle ${throttleMs} ms`);
      const sent = performance.now();
      await connection.request(ApiKeys.Produce, 8, produce);
      const answeredMs = performance.now() - sent;
      assert.ok(answeredMs >= throttleMs - 500, `node ${id}: answered after ${answeredMs} ms while muted for ${throttleMs} ms`);
    } finally {
      client.close();
    }
  }
});
