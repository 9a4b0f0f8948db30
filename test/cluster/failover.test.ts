/**
 * Leader failover on a real 3-node cluster with a real client: confluent-kafka
 * (librdkafka) produces steadily with enable.idempotence=true and acks=all
 * to a topic with 6 partitions, rf 3 and min.insync.replicas=2 while the
 * leader of partition 0 is killed with -9 and restarted, three times in a
 * row. Afterwards every acknowledged record is read back exactly once, at
 * the partition and offset it was acknowledged at, in offset order, and
 * every restarted node is back in every ISR.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { partitionsOf, waitForPartitions } from '../helpers/cluster-metadata.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { runPythonScript, type SteadyProducerOutput } from '../helpers/python.ts';
import { requireTool, tools } from '../helpers/tools.ts';



test('kill -9 of a partition leader three times under an idempotent acks=all producer loses and duplicates nothing', { timeout: 240_000 }, async (t) => {
  if (!requireTool(t, tools.confluentKafka) || !requireTool(t, tools.kcat)) return;
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  const created = await runKb(['topic', 'create', 'orders', '--partitions', '6', '--rf', '3', '--config', 'min.insync.replicas=2', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  const allInSync = (partitions: { isr: number[] }[]) => partitions.length === 6 && partitions.every((p) => p.isr.length === 3);
  await waitForPartitions(cluster.bootstrap, 'orders', 'every partition has 3 in-sync replicas', allInSync);

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'kb-failover-'));
  t.after(() => rm(scratch, { recursive: true, force: true }));
  const stopFile = path.join(scratch, 'stop');
  const producing = runPythonScript<SteadyProducerOutput>('confluent_steady_producer.py', { bootstrap: cluster.bootstrap, topic: 'orders', rate: 200, stop_file: stopFile }, 200_000);
  producing.catch(() => undefined);

  for (let round = 1; round <= 3; round++) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const [p0] = await partitionsOf(cluster.bootstrap, 'orders');
    const leader = p0.leader;
    assert.ok(cluster.nodeIds.includes(leader), `round ${round}: partition 0 has a leader (${JSON.stringify(p0)})`);
    await cluster.kill(leader);
    const survivors = cluster.nodeIds.filter((id) => id !== leader).map((id) => cluster.address(id)).join(',');
    await waitForPartitions(survivors, 'orders', `round ${round}: partition 0 is led by another node`, (ps) => ps[0].leader !== -1 && ps[0].leader !== leader);
    await cluster.restart(leader);
    await waitForPartitions(cluster.bootstrap, 'orders', `round ${round}: node ${leader} is back in every ISR`, allInSync, 60_000);
  }

  await new Promise((resolve) => setTimeout(resolve, 1000));
  await writeFile(stopFile, '');
  const produced = await producing;
  assert.deepEqual(produced.failed, [], 'no record failed');
  assert.equal(produced.undelivered, 0, 'every record was delivered');
  assert.equal(produced.acked.length, produced.sent);
  assert.ok(produced.acked.length > 500, `the producer kept producing (${produced.acked.length} acknowledged)`);

  const consumed = await kcatConsumeAll(cluster.bootstrap, 'orders');
  const seen = new Map<string, { partition: number; offset: number }>();
  for (const record of consumed) {
    assert.ok(!seen.has(record.value!), `${record.value} is stored once, but found at ${JSON.stringify(seen.get(record.value!))} and ${record.partition}/${record.offset}`);
    seen.set(record.value!, { partition: record.partition, offset: record.offset });
  }
  for (const [value, partition, offset] of produced.acked) {
    assert.deepEqual(seen.get(value), { partition, offset }, `acknowledged ${value} is read back where it was acknowledged`);
  }
  for (let partition = 0; partition < 6; partition++) {
    const offsets = consumed.filter((r) => r.partition === partition).map((r) => r.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), `partition ${partition} reads in offset order`);
  }
});
