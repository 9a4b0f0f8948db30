/**
 * Exactly once through failures: a consume-transform-produce loop
 * (test/interop/scripts/confluent_eos_loop.py: read topic A in a group,
 * write topic B and commit the offsets in one transaction) on a 3-node
 * cluster while the transaction coordinator's node is killed with -9 (and
 * restarted), then the leader of an output partition. B read with
 * read_committed is exactly A, record by record: no loss, no duplicate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { runPythonScript } from '../helpers/python.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { findCoordinator } from '../helpers/txn-requests.ts';
import { requireTool, tools } from '../helpers/tools.ts';

const count = 3000;

async function progress(file: string): Promise<number> {
  return Number(await readFile(file, 'utf8').catch(() => '0')) || 0;
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('a consume-transform-produce loop is exactly once while the coordinator and a partition leader are killed', { timeout: 300_000 }, async (t) => {
  if (!requireTool(t, tools.confluentKafka) || !requireTool(t, tools.kcat)) return;
  const cluster = await startCluster({
    nodes: 3,
    sets: { ...fastFailover, 'transaction.state.log.num.partitions': 3, 'offsets.topic.num.partitions': 3, 'group.initial.rebalance.delay.ms': 0 },
  });
  t.after(() => cluster.stop());
  for (const topic of ['eos-in', 'eos-out']) {
    const created = await runKb(['topic', 'create', topic, '--partitions', '3', '--rf', '3', '-b', cluster.bootstrap]);
    assert.equal(created.code, 0, created.stderr);
    await waitForPartitions(cluster.bootstrap, topic, 'the ISR is full', (ps) => ps.every((p) => p.isr.length === 3));
  }
  const input = Array.from({ length: count }, (_, i) => `r-${i}`);
  await kcatOk(['-b', cluster.bootstrap, '-P', '-t', 'eos-in', '-X', 'acks=all'], { input: `${input.join('\n')}\n` });

  const [host, port] = cluster.address(cluster.nodeIds[0]).split(':');
  const any = await RawClient.connect(host, Number(port));
  const coordinator = (await findCoordinator(any, 'eos-loop')).nodeId as number;
  any.close();
  const progressFile = path.join(os.tmpdir(), `kb-eos-progress-${process.pid}-${Date.now()}`);
  t.after(() => rm(progressFile, { force: true }));
  const loop = runPythonScript<{ commits: number }>(
    'confluent_eos_loop.py',
    { bootstrap: cluster.bootstrap, in_topic: 'eos-in', out_topic: 'eos-out', group: 'eos-loop-group', transactional_id: 'eos-loop', count, progress_file: progressFile },
    200_000,
  );
  loop.catch(() => undefined);

  await until(async () => (await progress(progressFile)) > count / 4, 'a quarter is committed');
  await cluster.kill(coordinator);
  await until(async () => (await progress(progressFile)) > count / 2, 'half is committed after the coordinator died');
  await cluster.restart(coordinator);
  const [out] = await waitForPartitions(cluster.bootstrap, 'eos-out', 'the ISR is full again', (ps) => ps.every((p) => p.isr.length === 3));
  await cluster.kill(out.leader);
  const result = await loop;
  assert.ok(result.commits > 0);

  const survivor = cluster.nodeIds.find((id) => id !== out.leader)!;
  const read = await kcatConsumeAll(cluster.address(survivor), 'eos-out', ['-X', 'isolation.level=read_committed']);
  assert.deepEqual(read.map((r) => String(r.value)).sort(), [...input].sort(), 'every input record exactly once');
});
