/**
 * Users on a 3-node cluster: every node started with --bootstrap-user ends
 * with the one bootstrap user; AlterUserScramCredentials sent to any node
 * (the non-controllers forward it) is replayed on every node, whose own
 * DescribeUserScramCredentials (served from its image) then lists it; a node
 * killed with -9 and restarted still knows every user.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { saltedPassword, scramMechanismNamed } from '../../src/protocol/scram.ts';

/** The users node `address` itself knows (its own image), with their mechanism types. */
async function usersAt(address: string): Promise<Record<string, number[]>> {
  const [host, port] = address.split(':');
  const cluster = new Cluster({ bootstrap: [{ host, port: Number(port) }], clientId: 'users-test', requestTimeoutMs: 15_000 });
  try {
    const response = await (await cluster.connection(host, Number(port))).request(ApiKeys.DescribeUserScramCredentials, 0, { users: null });
    return Object.fromEntries(response.results.map((r) => [r.user, r.credentialInfos.map((c) => c.mechanism)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  } finally {
    cluster.close();
  }
}

async function createUserAt(address: string, name: string): Promise<number> {
  const [host, port] = address.split(':');
  const cluster = new Cluster({ bootstrap: [{ host, port: Number(port) }], clientId: 'users-test', requestTimeoutMs: 15_000 });
  try {
    const salt = randomBytes(32);
    const salted = await saltedPassword(scramMechanismNamed('SCRAM-SHA-256')!, `${name}-pw`, salt, 4096, { stored: true });
    const response = await (await cluster.connection(host, Number(port))).request(ApiKeys.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [{ name, mechanism: 1, iterations: 4096, salt, saltedPassword: salted }],
    });
    return response.results[0].errorCode;
  } finally {
    cluster.close();
  }
}

test('users are replayed on every node, through restarts, and the bootstrap user is created once', async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: fastFailover, args: ['--bootstrap-user', 'admin'], env: () => ({ KB_BOOTSTRAP_PASSWORD: 'admin-pw' }) });
  t.after(() => cluster.stop());
  for (const id of cluster.nodeIds) assert.equal(await createUserAt(cluster.address(id), `user${id}`), 0, `via node ${id}`);
  const expected = { admin: [2], user1: [1], user2: [1], user3: [1] };
  for (const id of cluster.nodeIds) {
    // Each node applies the committed records in its own time: wait (generously) until it has.
    const deadline = Date.now() + 30_000;
    let known = await usersAt(cluster.address(id));
    while (JSON.stringify(known) !== JSON.stringify(expected) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      known = await usersAt(cluster.address(id));
    }
    assert.deepEqual(known, expected, `node ${id}`);
  }

  await cluster.kill(2);
  await cluster.restart(2);
  assert.deepEqual(await usersAt(cluster.address(2)), expected, 'replayed from its own log once it has started');
});
