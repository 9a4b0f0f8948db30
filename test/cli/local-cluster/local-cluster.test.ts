/**
 * The local cluster's plan and record (src/cli/local-cluster/record.ts)
 * and how its supervisor finds the process running a node, against real
 * files and processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clusterFile, ensureClusterSecret, newClusterRecord, planCluster, readClusterRecord, removeClusterRecord, writeClusterRecord } from '../../../src/cli/local-cluster/record.ts';
import { runningPid } from '../../../src/cli/local-cluster/supervisor.ts';
import { freePorts } from '../../../src/cli/local-cluster/ports.ts';

test('planCluster: ids 1..N, every node a voter, the cluster secret file, its own data dir and log, the --set settings passed on', () => {
  const plan = planCluster({ dir: 'rel/dir', host: '127.0.0.1', ports: [9092, 9093], peerPorts: [9094, 9095], sets: ['num.partitions=3'], kb: (args) => ['/bin/kb', ...args] });
  const dir = path.resolve('rel/dir');
  assert.equal(plan.dir, dir);
  assert.equal(plan.voters, '1@127.0.0.1:9094,2@127.0.0.1:9095', 'the voters are the peer listeners');
  assert.equal(plan.bootstrap, '127.0.0.1:9092,127.0.0.1:9093');
  assert.deepEqual(plan.nodes[1], {
    nodeId: 2,
    host: '127.0.0.1',
    port: 9093,
    peerPort: 9095,
    dataDir: path.join(dir, 'node-2'),
    log: path.join(dir, 'node-2', 'broker.log'),
    command: ['/bin/kb', 'broker', 'start', '--node-id', '2', '--listen', '127.0.0.1:9093', '--voters', plan.voters, '--cluster-secret-file', path.join(dir, 'cluster.secret'), '--data-dir', path.join(dir, 'node-2'), '--set', 'num.partitions=3'],
  });
});

test('cluster.json: absent is null, written then read back, removed; a foreign file is an error naming it', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-test-record-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal(await readClusterRecord(dir), null);
  const plan = planCluster({ dir, host: '127.0.0.1', ports: [1234], peerPorts: [1235], sets: [], kb: (args) => ['kb', ...args] });
  const record = newClusterRecord(plan, [4321]);
  await writeClusterRecord(dir, record);
  assert.deepEqual(await readClusterRecord(dir), record);
  const dataDir = path.join(dir, 'node-1');
  const command = ['kb', 'broker', 'start', '--node-id', '1', '--listen', '127.0.0.1:1234', '--voters', '1@127.0.0.1:1235', '--cluster-secret-file', path.join(dir, 'cluster.secret'), '--data-dir', dataDir];
  assert.deepEqual(record.nodes, [{ nodeId: 1, host: '127.0.0.1', port: 1234, peerPort: 1235, dataDir, log: path.join(dataDir, 'broker.log'), command, pid: 4321 }]);
  await removeClusterRecord(dir);
  assert.equal(await readClusterRecord(dir), null);

  await writeFile(clusterFile(dir), '{"nodes": 1}');
  await assert.rejects(readClusterRecord(dir), /cluster\.json is not a kb cluster record/);
  await writeFile(clusterFile(dir), 'not json');
  await assert.rejects(readClusterRecord(dir), /cluster\.json is not valid JSON/);
});

test('ensureClusterSecret: a new secret of 43 base64url characters, mode 0600, kept by the next call', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-test-record-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await ensureClusterSecret(dir);
  const file = path.join(dir, 'cluster.secret');
  const secret = await readFile(file, 'utf8');
  assert.match(secret, /^[A-Za-z0-9_-]{43}\n$/);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  await ensureClusterSecret(dir);
  assert.equal(await readFile(file, 'utf8'), secret);
});

/** A process whose command line has `--data-dir given`, run in `cwd`. */
async function fakeNode(t: { after(fn: () => unknown): void }, given: string, cwd = os.tmpdir()) {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', '--data-dir', given], { stdio: 'ignore', cwd });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((resolve) => child.once('spawn', resolve));
  return child;
}

test('runningPid: the recorded pid only while its command line names the data dir (relative to its cwd too)', async (t) => {
  const dataDir = path.join(os.tmpdir(), `kb-test-node-${process.pid}`);
  const child = await fakeNode(t, dataDir);
  assert.equal(runningPid({ pid: child.pid!, dataDir }), child.pid);
  assert.equal(runningPid({ pid: child.pid!, dataDir: `${dataDir}-other` }), null, 'a reused pid is not the node');
  assert.equal(runningPid({ pid: process.pid, dataDir }), null);
  assert.equal(runningPid({ pid: 0, dataDir }), null);
  const relative = await fakeNode(t, path.basename(dataDir), path.dirname(dataDir));
  assert.equal(runningPid({ pid: relative.pid!, dataDir }), relative.pid, '--data-dir relative to the process\'s cwd');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  assert.equal(runningPid({ pid: child.pid!, dataDir }), null);
});

test('runningPid: a node started by hand is found by the pid in its data dir\'s lock file, if that process runs on the dir', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'kb-test-node-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const byHand = await fakeNode(t, dataDir);
  await writeFile(path.join(dataDir, '.lock'), String(byHand.pid));
  assert.equal(runningPid({ pid: 0, dataDir }), byHand.pid, 'a stale recorded pid: the lock names the node');
  const stranger = await fakeNode(t, `${dataDir}-other`);
  await writeFile(path.join(dataDir, '.lock'), String(stranger.pid));
  assert.equal(runningPid({ pid: 0, dataDir }), null, 'a stale lock whose pid runs something else');
});

test('freePorts: distinct ports that can be listened on', async () => {
  const ports = await freePorts('127.0.0.1', 5);
  assert.equal(new Set(ports).size, 5);
  for (const port of ports) assert.ok(port > 0 && port <= 65535);
});
