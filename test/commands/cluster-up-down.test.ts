/**
 * `kb cluster up` / `kb cluster down` with real processes on free loopback
 * ports: the nodes run detached after `up` returns, a second `up` on the
 * same directory is refused, `down` stops every pid and keeps the data
 * (`--purge` removes it), a node that cannot start fails `up` with its log
 * and leaves nothing running, and bad flags are usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runKb } from '../helpers/cli.ts';

/** The process exists and is not a zombie (the nodes are reparented when `up` exits, and the new parent may reap them late). */
function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-test-cluster-'));
  t.after(async () => {
    await runKb(['cluster', 'down', '--data-dir', dir, '--timeout', '5000']); // stops whatever a failed assertion left running
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

test('up starts N detached nodes and records them; a second up is refused; down stops them and keeps the data', async (t) => {
  const dir = await tempDir(t);
  const up = await runKb(['cluster', 'up', '--nodes', '2', '--base-port', '0', '--data-dir', dir, '--json'], { timeoutMs: 60_000 });
  assert.equal(up.code, 0, up.stderr);
  const record = JSON.parse(up.stdout);
  assert.deepEqual(record.nodes.map((n: any) => n.nodeId), [1, 2]);
  assert.equal(record.bootstrap, record.nodes.map((n: any) => `127.0.0.1:${n.port}`).join(','));
  for (const n of record.nodes) assert.ok(alive(n.pid), `node ${n.nodeId} runs after up returned`);
  for (const n of record.nodes) assert.ok(n.command.includes('--cluster-secret-file'), `node ${n.nodeId} authenticates to its peers`);
  assert.equal((await stat(path.join(dir, 'cluster.secret'))).mode & 0o777, 0o600);

  const topics = await runKb(['topic', 'list', '--json'], { env: { KB_BROKERS: record.bootstrap } });
  assert.equal(topics.code, 0, `the cluster answers: ${topics.stderr}`);

  const again = await runKb(['cluster', 'up', '--nodes', '2', '--base-port', '0', '--data-dir', dir]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`still running \\(node 1 pid ${record.nodes[0].pid}, node 2 pid ${record.nodes[1].pid}\\)`));
  assert.match(again.stderr, /kb cluster down --data-dir/);

  const down = await runKb(['cluster', 'down', '--data-dir', dir, '--json'], { timeoutMs: 60_000 });
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(JSON.parse(down.stdout), {
    dataDir: dir,
    nodes: record.nodes.map((n: any) => ({ nodeId: n.nodeId, pid: n.pid, outcome: 'stopped' })),
    purged: false,
  });
  for (const n of record.nodes) assert.equal(alive(n.pid), false, `node ${n.nodeId} (pid ${n.pid}) is gone`);
  assert.equal(existsSync(path.join(dir, 'cluster.json')), false);
  assert.deepEqual((await readdir(dir)).sort(), ['cluster.secret', 'node-1', 'node-2'], 'the data, and the secret it belongs to, kept');

  // Up again on the kept data, as text: the bootstrap list and the console command for it.
  const text = await runKb(['cluster', 'up', '--nodes', '2', '--base-port', '0', '--data-dir', dir], { timeoutMs: 60_000 });
  assert.equal(text.code, 0, text.stderr);
  const bootstrap = /\nbootstrap: (\S+)\n/.exec(text.stdout)?.[1];
  assert.ok(bootstrap, text.stdout);
  assert.ok(text.stdout.endsWith(`\nweb console: kb console -b ${bootstrap}\n`), text.stdout);
  assert.equal((await runKb(['cluster', 'down', '--data-dir', dir], { timeoutMs: 60_000 })).code, 0);

  const nothing = await runKb(['cluster', 'down', '--data-dir', dir]);
  assert.equal(nothing.code, 1);
  assert.match(nothing.stderr, /no cluster is recorded/);
  const purged = await runKb(['cluster', 'down', '--data-dir', dir, '--purge']);
  assert.equal(purged.code, 0, purged.stderr);
  assert.equal(existsSync(dir), false, 'the emptied directory is removed');
});

test('a node that cannot start fails up with its log; the nodes that did start are stopped', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'node-2'));
  await writeFile(path.join(dir, 'node-2', 'meta.properties'), 'version=1\nnode.id=7\n'); // node 2's data dir belongs to node 7

  const up = await runKb(['cluster', 'up', '--nodes', '2', '--base-port', '0', '--data-dir', dir], { timeoutMs: 60_000 });
  assert.equal(up.code, 1);
  assert.match(up.stderr, /^Error: node 2 exited \(1\) before it started:\n/);
  assert.match(up.stderr, new RegExp(`--- last lines of ${dir}/node-2/broker\\.log ---\\n[^]*belongs to node 7`));
  const stopped = /\nStopped the others: node 1 \(pid (\d+)\): (stopped|killed)\.\n$/.exec(up.stderr);
  assert.ok(stopped, up.stderr);
  assert.equal(alive(Number(stopped[1])), false, 'node 1 is gone');
  assert.equal(existsSync(path.join(dir, 'cluster.json')), false, 'nothing is recorded');
});

test('usage errors: too few ports above --base-port, --set without =, --nodes out of range', async () => {
  const results = await Promise.all([
    runKb(['cluster', 'up', '--nodes', '2', '--base-port', '65535']),
    runKb(['cluster', 'up', '--set', 'num.partitions']),
    runKb(['cluster', 'up', '--nodes', '0']),
  ]);
  for (const r of results) assert.equal(r.code, 2, r.stderr);
  assert.match(results[0].stderr, /leaves no room for 4 ports \(a client and a peer port per node\)/);
  assert.match(results[1].stderr, /"num.partitions" is not key=value/);
});
