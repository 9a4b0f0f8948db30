/**
 * How long a partition goes without acknowledgements when its leader is
 * killed with -9, with the production defaults for liveness
 * (broker.session.timeout.ms 9 s, broker.heartbeat.interval.ms 2 s): a real
 * client (confluent-kafka, librdkafka) produces acks=all to an rf 3,
 * min.insync.replicas=2 topic while the leader of one partition (not the
 * active controller) is killed. The longest gap between two
 * acknowledgements of that partition must stay under 5 s, well below the
 * session timeout: the controller sees the dead broker's connection close
 * instead of waiting for its session to expire. The partitions other
 * nodes lead keep their leaders (nobody else is fenced).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startCluster } from '../helpers/cluster.ts';
import { partitionsOf, waitForPartitions } from '../helpers/cluster-metadata.ts';
import { runKb } from '../helpers/cli.ts';
import { runPythonScript } from '../helpers/python.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Admin } from '../../src/client/admin.ts';

interface ProducerOutput {
  sent: number;
  acked: [string, number, number, number][];
  failed: [string, string][];
  undelivered: number;
  errors: string[];
}

const gapMaxMs = 5_000;

function connect(bootstrap: string): Cluster {
  const addresses = bootstrap.split(',').map((a) => ({ host: a.split(':')[0], port: Number(a.split(':')[1]) }));
  return new Cluster({ bootstrap: addresses, clientId: 'kb-fast-failover-test', requestTimeoutMs: 5_000, connectTimeoutMs: 1_000 });
}

/** The end offset of `topic`/`partition` as its leader reports it; -1 while that cannot be had. */
async function endOffset(bootstrap: string, topic: string, partition: number): Promise<number> {
  const cluster = connect(bootstrap);
  try {
    const admin = new Admin(cluster);
    const offsets = await admin.partitionOffsets(await admin.describeTopic(topic));
    return Number(offsets[partition].logEndOffset ?? -1n);
  } catch {
    return -1;
  } finally {
    cluster.close();
  }
}

/** Polls until the partition's end offset reaches `target`; fails after `timeoutMs`. */
async function waitForEndOffset(bootstrap: string, topic: string, partition: number, target: number, what: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < deadline) {
    last = await endOffset(bootstrap, topic, partition);
    if (last >= target) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting until ${what}; the end offset is ${last}`);
}

async function controllerOf(bootstrap: string): Promise<number> {
  const cluster = connect(bootstrap);
  try {
    return (await cluster.refreshMetadata([])).controllerId;
  } finally {
    cluster.close();
  }
}

/** The longest time between two consecutive acknowledgements of `partition`, with when it began. */
function longestGap(acked: ProducerOutput['acked'], partition: number): { ms: number; after: number } {
  const times = acked.filter(([, p]) => p === partition).map(([, , , ms]) => ms);
  let gap = { ms: 0, after: -1 };
  for (let i = 1; i < times.length; i++) if (times[i] - times[i - 1] > gap.ms) gap = { ms: times[i] - times[i - 1], after: i - 1 };
  return gap;
}

test(`kill -9 of a partition leader leaves its partition without acknowledgements for less than ${gapMaxMs} ms`, { timeout: 180_000 }, async (t) => {
  if (!requireTool(t, tools.confluentKafka)) return;
  const cluster = await startCluster({ nodes: 3 });
  t.after(() => cluster.stop());
  const topic = 'gaps';
  const created = await runKb(['topic', 'create', topic, '--partitions', '3', '--rf', '3', '--config', 'min.insync.replicas=2', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  const before = await waitForPartitions(cluster.bootstrap, topic, 'every partition has 3 in-sync replicas', (ps) => ps.length === 3 && ps.every((p) => p.isr.length === 3));
  const controller = await controllerOf(cluster.bootstrap);
  const watched = before.find((p) => p.leader !== controller);
  assert.ok(watched, `a partition led by a node other than the controller ${controller}: ${JSON.stringify(before)}`);
  const victim = watched.leader;

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'kb-fast-failover-'));
  t.after(() => rm(scratch, { recursive: true, force: true }));
  const stopFile = path.join(scratch, 'stop');
  const producing = runPythonScript<ProducerOutput>('confluent_steady_producer.py', { bootstrap: cluster.bootstrap, topic, rate: 200, stop_file: stopFile }, 150_000);
  producing.catch(() => undefined);
  t.after(() => writeFile(stopFile, ''));

  const flowing = await waitForEndOffset(cluster.bootstrap, topic, watched.partition, 100, `partition ${watched.partition} has taken 100 records`);
  await cluster.kill(victim);
  const survivors = cluster.nodeIds.filter((id) => id !== victim).map((id) => cluster.address(id)).join(',');
  await waitForPartitions(survivors, topic, `partition ${watched.partition} is led by a survivor`, (ps) => ps[watched.partition].leader !== -1 && ps[watched.partition].leader !== victim, 60_000);
  await waitForEndOffset(survivors, topic, watched.partition, flowing + 300, `partition ${watched.partition} takes records again`);
  const after = await partitionsOf(survivors, topic);
  await writeFile(stopFile, '');
  const produced = await producing;

  for (const p of before.filter((p) => p.leader !== victim)) {
    assert.deepEqual([after[p.partition].leader, after[p.partition].leaderEpoch], [p.leader, p.leaderEpoch], `partition ${p.partition} kept its leader: nobody but node ${victim} was fenced`);
  }
  assert.deepEqual(produced.failed, [], 'no record failed');
  const gap = longestGap(produced.acked, watched.partition);
  t.diagnostic(`longest gap in acknowledgements of partition ${watched.partition}: ${Math.round(gap.ms)} ms`);
  assert.ok(gap.ms < gapMaxMs, `partition ${watched.partition} went ${Math.round(gap.ms)} ms without an acknowledgement after its leader (node ${victim}) was killed`);
});
