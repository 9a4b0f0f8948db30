/**
 * A 3-node cluster secured as the README shows (#24): peer listeners SSL
 * with mTLS, client listeners SASL_SSL with SCRAM, the first user from
 * --bootstrap-user. Clients (kcat, kafkajs) log in on any node; acks=all
 * records on an rf=3, min.insync.replicas=2 topic survive a kill -9 of the
 * partition's leader (nothing acknowledged is lost), and the restarted
 * node serves them all once it has caught up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Kafka, logLevel } from 'kafkajs';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { makeClusterCa, openssl, sslListenerSets } from '../helpers/tls.ts';

const user = 'admin';
const password = 'admin-password';

test('SSL peers (mTLS) and SASL_SSL clients: acks=all records survive a leader kill -9, and every node serves them', { timeout: 240_000 }, async (t) => {
  if (!requireTool(t, openssl) || !requireTool(t, tools.kcat)) return;
  const { ca, certificates } = await makeClusterCa(t, 3);
  const cluster = await startCluster({
    nodes: 3,
    sets: (id) => ({
      ...fastFailover,
      'listener.security.protocol.map': 'CLIENT:SASL_SSL,PEER:SSL',
      ...sslListenerSets('PEER', certificates.get(id)!.keystore, ca.caPem, 'required'),
      'listener.name.client.ssl.keystore.type': 'PEM',
      'listener.name.client.ssl.keystore.location': certificates.get(id)!.keystore,
    }),
    args: ['--bootstrap-user', user],
    env: () => ({ KB_BOOTSTRAP_PASSWORD: password }),
  });
  t.after(() => cluster.stop());

  const sasl = ['-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${ca.caPem}`, '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`];
  const trust = { ca: await readFile(ca.caPem, 'utf8') };
  const kafka = (brokers: string) =>
    new Kafka({ clientId: 'kb-sasl-cluster', brokers: brokers.split(','), ssl: trust, sasl: { mechanism: 'scram-sha-512', username: user, password }, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  /** Partition 0 of `topic` as the nodes at `brokers` see it (a fresh client each time: no cached metadata). */
  const partition0 = async (brokers: string) => {
    const admin = kafka(brokers).admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      return metadata.topics[0].partitions.find((p) => p.partitionId === 0)!;
    } finally {
      await admin.disconnect();
    }
  };
  const waitFor = async (brokers: string, what: string, ok: (p: Awaited<ReturnType<typeof partition0>>) => boolean, timeoutMs = 60_000) => {
    let last: unknown;
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      try {
        last = await partition0(brokers);
        if (ok(last as Awaited<ReturnType<typeof partition0>>)) return last as Awaited<ReturnType<typeof partition0>>;
      } catch (err) {
        last = err;
      }
    }
    assert.fail(`${what} within ${timeoutMs} ms; last seen: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
  };

  const topic = 'sasl-cluster';
  const admin = kafka(cluster.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  await admin.disconnect();
  const before = await waitFor(cluster.bootstrap, 'partition 0 has 3 in-sync replicas', (p) => p.leader > 0 && p.isr.length === 3);

  const first = Array.from({ length: 100 }, (_, i) => `before ${i}`);
  await kcatOk(['-b', cluster.bootstrap, ...sasl, '-P', '-t', topic, '-p', '0', '-X', 'acks=all'], { input: `${first.join('\n')}\n` });

  await cluster.kill(before.leader);
  const survivors = cluster.nodeIds.filter((id) => id !== before.leader).map((id) => cluster.address(id)).join(',');
  await waitFor(survivors, 'partition 0 is led by another node', (p) => p.leader > 0 && p.leader !== before.leader);
  const second = Array.from({ length: 100 }, (_, i) => `after ${i}`);
  await kcatOk(['-b', survivors, ...sasl, '-P', '-t', topic, '-p', '0', '-X', 'acks=all'], { input: `${second.join('\n')}\n` });

  await cluster.restart(before.leader);
  await waitFor(cluster.bootstrap, `node ${before.leader} is back in the ISR`, (p) => p.isr.length === 3);
  for (const id of cluster.nodeIds) {
    const consumed = await kcatConsumeAll(cluster.address(id), topic, sasl);
    assert.deepEqual(consumed.map((r) => r.value), [...first, ...second], `bootstrapped through node ${id}`);
  }
});
