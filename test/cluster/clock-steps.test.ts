/**
 * Wall-clock steps on a real 3-node cluster: every node runs under
 * libfaketime (LD_PRELOAD, its monotonic clock untouched) with its own
 * offset file, rewritten between rounds to step each node's wall clock
 * back and forth by up to 240 s. After every step an acks=all write to a
 * topic with rf 3 and min.insync.replicas=2 must be acknowledged, and no
 * node may die; at the end every acknowledged record is read back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fastFailover, startCluster, type RunningCluster } from '../helpers/cluster.ts';
import { waitForPartitions } from '../helpers/cluster-metadata.ts';
import { runKb } from '../helpers/cli.ts';
import { libfaketime, requireTool, tools } from '../helpers/tools.ts';

/** Each round's wall-clock offset (libfaketime's relative format) of nodes 1, 2 and 3. */
const rounds = [
  ['-1s', '+0s', '-1s'],
  ['+120s', '-120s', '+60s'],
  ['-120s', '+120s', '-60s'],
  ['+0s', '+0s', '+0s'],
];

function assertAllUp(cluster: RunningCluster, when: string): void {
  for (const id of cluster.nodeIds) {
    const { exitCode, signalCode } = cluster.node(id).process;
    assert.ok(exitCode === null && signalCode === null, `${when}: node ${id} exited (${exitCode ?? signalCode}):\n${cluster.node(id).log().slice(-3000)}`);
  }
}

test('wall-clock steps of up to 240 s on every node crash none, and acks=all writes keep being acknowledged', { timeout: 300_000 }, async (t) => {
  if (!requireTool(t, tools.libfaketime)) return;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'kb-clock-steps-'));
  t.after(() => rm(scratch, { recursive: true, force: true }));
  const offsetFile = (id: number) => path.join(scratch, `node-${id}.faketime`);
  for (const id of [1, 2, 3]) await writeFile(offsetFile(id), '+0s\n');

  const cluster = await startCluster({
    nodes: 3,
    sets: fastFailover,
    env: (id) => ({ LD_PRELOAD: libfaketime, FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_NO_CACHE: '1', FAKETIME_TIMESTAMP_FILE: offsetFile(id) }),
  });
  t.after(() => cluster.stop());
  const created = await runKb(['topic', 'create', 'steps', '--partitions', '3', '--rf', '3', '--config', 'min.insync.replicas=2', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  await waitForPartitions(cluster.bootstrap, 'steps', 'every partition has 3 in-sync replicas', (ps) => ps.length === 3 && ps.every((p) => p.isr.length === 3));

  const acknowledged: string[] = [];
  for (const [round, offsets] of rounds.entries()) {
    for (const [i, offset] of offsets.entries()) await writeFile(offsetFile(i + 1), `${offset}\n`);
    const values = [0, 1, 2, 3, 4, 5].map((n) => `round-${round}-${n}`);
    const produced = await runKb(['produce', 'steps', '-b', cluster.bootstrap], { input: values.join('\n') + '\n', timeoutMs: 60_000 });
    assert.equal(produced.code, 0, `round ${round} (${offsets.join(' ')}): the write is acknowledged: ${produced.stderr}`);
    acknowledged.push(...values);
    assertAllUp(cluster, `after round ${round} (${offsets.join(' ')})`);
  }

  const consumed = await runKb(['consume', 'steps', '-b', cluster.bootstrap, '-e', '-f', '%v\\n'], { timeoutMs: 60_000 });
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.split('\n').filter(Boolean).sort(), [...acknowledged].sort());
  assertAllUp(cluster, 'at the end');
  for (const id of cluster.nodeIds) assert.doesNotMatch(cluster.node(id).log(), /AssertionError/, `node ${id} logged no assertion`);
});
