/**
 * The local cluster's plan and record (src/local-cluster/record.ts) and the
 * running-node check of its supervisor, against real files and processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clusterFile, newClusterRecord, planCluster, readClusterRecord, removeClusterRecord, writeClusterRecord } from '../../../src/broker/local-cluster/record.ts';
import { nodeRunning } from '../../../src/broker/local-cluster/supervisor.ts';
import { freePorts } from '../../../src/broker/local-cluster/ports.ts';

test('planCluster: ids 1..N, every node a voter, its own data dir and log, the --set settings passed on', () => {
  const plan = planCluster({ dir: 'rel/dir', host: '127.0.0.1', ports: [9092, 9093], sets: ['num.partitions=3'] });
  const dir = path.resolve('rel/dir');
  assert.equal(plan.dir, dir);
  assert.equal(plan.voters, '1@127.0.0.1:9092,2@127.0.0.1:9093');
  assert.equal(plan.bootstrap, '127.0.0.1:9092,127.0.0.1:9093');
  assert.deepEqual(plan.nodes[1], {
    nodeId: 2,
    host: '127.0.0.1',
    port: 9093,
    dataDir: path.join(dir, 'node-2'),
    log: path.join(dir, 'node-2', 'broker.log'),
    args: ['broker', 'start', '--node-id', '2', '--listen', '127.0.0.1:9093', '--voters', plan.voters, '--data-dir', path.join(dir, 'node-2'), '--set', 'num.partitions=3'],
  });
});

test('cluster.json: absent is null, written then read back, removed; a foreign file is an error naming it', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-test-record-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal(await readClusterRecord(dir), null);
  const plan = planCluster({ dir, host: '127.0.0.1', ports: [1234], sets: [] });
  const record = newClusterRecord(plan, [4321]);
  await writeClusterRecord(dir, record);
  assert.deepEqual(await readClusterRecord(dir), record);
  assert.deepEqual(record.nodes, [{ nodeId: 1, host: '127.0.0.1', port: 1234, dataDir: path.join(dir, 'node-1'), log: path.join(dir, 'node-1', 'broker.log'), pid: 4321 }]);
  await removeClusterRecord(dir);
  assert.equal(await readClusterRecord(dir), null);

  await writeFile(clusterFile(dir), '{"nodes": 1}');
  await assert.rejects(readClusterRecord(dir), /cluster\.json is not a kb cluster record/);
  await writeFile(clusterFile(dir), 'not json');
  await assert.rejects(readClusterRecord(dir), /cluster\.json is not valid JSON/);
});

test('nodeRunning: only a live process whose command line names the data dir', async (t) => {
  const dataDir = path.join(os.tmpdir(), `kb-test-node-${process.pid}`);
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', '--data-dir', dataDir], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((resolve) => child.once('spawn', resolve));
  assert.equal(nodeRunning({ pid: child.pid!, dataDir }), true);
  assert.equal(nodeRunning({ pid: child.pid!, dataDir: `${dataDir}-other` }), false, 'a reused pid is not the node');
  assert.equal(nodeRunning({ pid: process.pid, dataDir }), false);
  assert.equal(nodeRunning({ pid: 0, dataDir }), false);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  assert.equal(nodeRunning({ pid: child.pid!, dataDir }), false);
});

test('freePorts: distinct ports that can be listened on', async () => {
  const ports = await freePorts('127.0.0.1', 5);
  assert.equal(new Set(ports).size, 5);
  for (const port of ports) assert.ok(port > 0 && port <= 65535);
});
