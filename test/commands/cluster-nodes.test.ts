/**
 * `kb cluster stop|start|restart --node N | --all` on a real 3-node local
 * cluster: cluster.json records each node's command line; one node stops
 * and starts again (its new pid recorded) while the others run; restart
 * replaces a node's process; --all stops and starts the whole cluster,
 * which forms its quorum again; a node restarted by hand from its recorded
 * command line is still stopped by `kb cluster down` (found through its
 * data dir, the stale recorded pid left alone). Clear errors for a node
 * already running or stopped (1) and a bad node id or flags (2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runKb } from '../helpers/cli.ts';

const fastQuorum = ['--set', 'controller.quorum.election.timeout.ms=300', '--set', 'controller.quorum.fetch.timeout.ms=1000'];

/** The process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface RecordedNode {
  nodeId: number;
  pid: number;
  dataDir: string;
  log: string;
  command: string[];
}

test('cluster stop/start/restart one node or all; down stops a node restarted by hand', { timeout: 240_000 }, async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-test-cluster-nodes-'));
  t.after(async () => {
    await runKb(['cluster', 'down', '--data-dir', dir, '--timeout', '5000']);
    await rm(dir, { recursive: true, force: true });
  });
  const kb = (args: string[]) => runKb([...args, '--data-dir', dir], { timeoutMs: 90_000 });
  const recorded = async (): Promise<RecordedNode[]> => JSON.parse(await readFile(path.join(dir, 'cluster.json'), 'utf8')).nodes;
  const pidOf = async (nodeId: number) => (await recorded()).find((n) => n.nodeId === nodeId)!.pid;

  const up = await kb(['cluster', 'up', '--nodes', '3', '--base-port', '0', '--json', ...fastQuorum]);
  assert.equal(up.code, 0, up.stderr);
  const bootstrap = JSON.parse(up.stdout).bootstrap as string;
  const first = await recorded();
  for (const n of first) {
    assert.deepEqual(n.command.slice(0, 6), [process.execPath, path.resolve('bin/run.js'), 'broker', 'start', '--node-id', String(n.nodeId)]);
    assert.deepEqual(n.command.slice(-6), ['--data-dir', n.dataDir, ...fastQuorum]);
  }

  // One node: stop, refused twice, start (new pid recorded), refused while it runs.
  const stopped = await kb(['cluster', 'stop', '--node', '3', '--json']);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.deepEqual(JSON.parse(stopped.stdout), { dataDir: dir, nodes: [{ nodeId: 3, pid: first[2].pid, outcome: 'stopped' }] });
  assert.equal(alive(first[2].pid), false);
  const stopAgain = await kb(['cluster', 'stop', '--node', '3']);
  assert.equal(stopAgain.code, 1);
  assert.match(stopAgain.stderr, /node 3 is not running/);

  const started = await kb(['cluster', 'start', '--node', '3', '--json']);
  assert.equal(started.code, 0, started.stderr);
  const [again] = JSON.parse(started.stdout).nodes;
  assert.deepEqual([again.nodeId, again.outcome], [3, 'started']);
  assert.ok(alive(again.pid) && again.pid !== first[2].pid);
  assert.equal(await pidOf(3), again.pid, 'cluster.json records the new pid');
  const startAgain = await kb(['cluster', 'start', '--node', '3']);
  assert.equal(startAgain.code, 1);
  assert.match(startAgain.stderr, new RegExp(`node 3 is already running \\(pid ${again.pid}\\)`));

  const usage = await Promise.all([kb(['cluster', 'stop', '--node', '9']), kb(['cluster', 'start']), kb(['cluster', 'restart', '--node', '1', '--all'])]);
  for (const r of usage) assert.equal(r.code, 2, r.stderr);
  assert.match(usage[0].stderr, /--node 9: the cluster in .* has nodes 1, 2, 3/);

  // Restart replaces the process.
  const restarted = await kb(['cluster', 'restart', '--node', '2', '--json']);
  assert.equal(restarted.code, 0, restarted.stderr);
  const [down2, up2] = JSON.parse(restarted.stdout).nodes;
  assert.deepEqual([down2.nodeId, down2.pid, down2.outcome, up2.nodeId, up2.outcome], [2, first[1].pid, 'stopped', 2, 'started']);
  assert.equal(alive(first[1].pid), false);
  assert.ok(alive(up2.pid));

  // --all: every node stops, then all start together and form the quorum again.
  const allStopped = await kb(['cluster', 'stop', '--all', '--json']);
  assert.equal(allStopped.code, 0, allStopped.stderr);
  assert.deepEqual(JSON.parse(allStopped.stdout).nodes.map((n: any) => n.outcome), ['stopped', 'stopped', 'stopped']);
  const allStarted = await kb(['cluster', 'start', '--all', '--json']);
  assert.equal(allStarted.code, 0, allStarted.stderr);
  assert.deepEqual(JSON.parse(allStarted.stdout).nodes.map((n: any) => [n.nodeId, n.outcome]), [[1, 'started'], [2, 'started'], [3, 'started']]);
  const created = await runKb(['topic', 'create', 'after-restart', '--partitions', '1', '--rf', '3', '-b', bootstrap]);
  assert.equal(created.code, 0, created.stderr);

  // Node 3 restarted by hand from its recorded command line: down finds and stops it, not the recorded (dead) pid.
  const node3 = (await recorded()).find((n) => n.nodeId === 3)!;
  process.kill(node3.pid, 'SIGTERM');
  await until('node 3 to stop', () => !alive(node3.pid));
  const log = openSync(node3.log, 'a');
  const byHand = spawn(node3.command[0], node3.command.slice(1), { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  t.after(() => byHand.kill('SIGKILL'));
  await until('node 3 started by hand to lock its data dir', async () => (await readFile(path.join(node3.dataDir, '.lock'), 'utf8').catch(() => '')).trim() === String(byHand.pid));

  const down = await kb(['cluster', 'down', '--json']);
  assert.equal(down.code, 0, down.stderr);
  const outcomes = JSON.parse(down.stdout).nodes;
  assert.deepEqual(outcomes.find((n: any) => n.nodeId === 3), { nodeId: 3, pid: byHand.pid, outcome: 'stopped' });
  assert.ok(outcomes.every((n: any) => n.outcome === 'stopped'), down.stdout);
  await until('the node started by hand to be gone', () => !alive(byHand.pid!), 10_000);
});
