/**
 * A 3-node cluster whose peer listeners are SSL with ssl.client.auth=required
 * (mTLS), each node with its own certificate from a test CA (#24): Raft,
 * registration, the controller channel and replication all run over TLS,
 * the node presenting its certificate. Nothing without a trusted client
 * certificate gets past a peer listener's handshake (a plaintext client, a
 * TLS client without a certificate, one with a certificate of another CA),
 * each logged. acks=all records on an rf=3, min.insync.replicas=2 topic
 * reach every replica, survive a kill -9 of the partition leader, and the
 * restarted node catches up over TLS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { partitionsOf, waitForPartitions } from '../helpers/cluster-metadata.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { RawConnection } from '../helpers/raw-kafka.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { makeClusterCa, makeTestCa, openssl, sslListenerSets } from '../helpers/tls.ts';
import { parseHostPort } from '../../src/net/host-port.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';

/** Whether a TLS client with `options` gets through the handshake at `address` and a first read (TLS 1.3 reports a refused client certificate after the client's handshake). */
function tlsAnswers(address: string, options: tls.ConnectionOptions): Promise<boolean> {
  const { host, port } = parseHostPort(address);
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, ...options });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    // An ApiVersions v0 request: a peer listener answers it once the handshake holds.
    socket.once('secureConnect', () => socket.write(Buffer.from('0000000a00120000000000010000', 'hex')));
    socket.once('data', () => done(true));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

test('SSL peer listeners with mTLS: the cluster forms and replicates acks=all over TLS, survives a leader kill -9, and refuses peers without a trusted certificate', { timeout: 240_000 }, async (t) => {
  if (!requireTool(t, openssl) || !requireTool(t, tools.kcat)) return;
  const { ca, certificates } = await makeClusterCa(t, 3);
  const rogueCa = await makeTestCa('rogue CA');
  t.after(() => rogueCa.remove());
  const cluster = await startCluster({
    nodes: 3,
    sets: (id) => ({
      ...fastFailover,
      'listener.security.protocol.map': 'CLIENT:PLAINTEXT,PEER:SSL',
      ...sslListenerSets('PEER', certificates.get(id)!.keystore, ca.caPem, 'required'),
    }),
  });
  t.after(() => cluster.stop());
  for (const id of cluster.nodeIds) assert.match(cluster.node(id).log(), new RegExp(`listener PEER \\(SSL\\): certificate CN=kb-node-${id},O=kb, expires`));

  const topic = 'tls-peers';
  const created = await runKb(['topic', 'create', topic, '--partitions', '3', '--rf', '3', '--config', 'min.insync.replicas=2', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  const allInSync = (partitions: { isr: number[] }[]) => partitions.length === 3 && partitions.every((p) => p.isr.length === 3);
  await waitForPartitions(cluster.bootstrap, topic, 'every partition has 3 in-sync replicas', allInSync);
  const first = Array.from({ length: 100 }, (_, i) => `before ${i}`);
  await kcatOk(['-b', cluster.bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { input: `${first.join('\n')}\n` });

  // Nothing without a certificate of the cluster's CA gets through a peer listener.
  const peer = cluster.peerAddress(1);
  const plain = await RawConnection.open(parseHostPort(peer).host, parseHostPort(peer).port);
  t.after(() => plain.destroy());
  await assert.rejects(plain.request(ApiKeys.ApiVersions, 0, {}), 'a plaintext client gets no answer on the SSL peer listener');
  const trust = { ca: await readFile(ca.caPem, 'utf8') };
  assert.equal(await tlsAnswers(peer, trust), false, 'a TLS client without a certificate is refused');
  const rogue = await rogueCa.issue('kb-node-2');
  assert.equal(await tlsAnswers(peer, { ...trust, cert: await readFile(rogue.cert, 'utf8'), key: await readFile(rogue.key, 'utf8') }), false, 'a certificate of another CA is refused');
  const own = certificates.get(2)!;
  assert.equal(await tlsAnswers(peer, { ...trust, cert: await readFile(own.cert, 'utf8'), key: await readFile(own.key, 'utf8') }), true, "a node's certificate is let through");
  assert.match(cluster.node(1).log(), /TLS handshake with 127\.0\.0\.1 on SSL listener PEER failed/);

  // kill -9 of partition 0's leader: acks=all records survive, and the restarted node catches up over TLS.
  const [p0] = await partitionsOf(cluster.bootstrap, topic);
  await cluster.kill(p0.leader);
  const survivors = cluster.nodeIds.filter((id) => id !== p0.leader).map((id) => cluster.address(id)).join(',');
  await waitForPartitions(survivors, topic, 'partition 0 is led by another node', (ps) => ps[0].leader !== -1 && ps[0].leader !== p0.leader);
  const second = Array.from({ length: 100 }, (_, i) => `after ${i}`);
  await kcatOk(['-b', survivors, '-P', '-t', topic, '-X', 'acks=all'], { input: `${second.join('\n')}\n` });
  await cluster.restart(p0.leader);
  await waitForPartitions(cluster.bootstrap, topic, `node ${p0.leader} is back in every ISR`, allInSync, 60_000);
  const consumed = await kcatConsumeAll(cluster.address(p0.leader), topic);
  assert.deepEqual(consumed.map((r) => r.value).sort(), [...first, ...second].sort());
});
