import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('starts, logs where it listens and its cluster id, stops cleanly on SIGTERM', async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  assert.match(broker.log(), /kb broker started: listening on CLIENT:\/\/127\.0\.0\.1:\d+, node 1, data dir .+, cluster [A-Za-z0-9_-]{22}/);
  const info = await runKb(['cluster', 'info', '--json', '-b', broker.address]);
  assert.equal(info.code, 0, info.stderr);
  const cluster = JSON.parse(info.stdout);
  assert.equal(cluster.brokers.length, 1);
  assert.deepEqual(
    { nodeId: cluster.brokers[0].nodeId, host: cluster.brokers[0].host, port: cluster.brokers[0].port },
    { nodeId: 1, host: '127.0.0.1', port: broker.port },
  );
  assert.equal(cluster.controllerId, 1);
  await broker.stop();
  assert.equal(broker.process.exitCode, 0, broker.log());
  assert.match(broker.log(), /stopped cleanly/);
});

test('refuses a port that is taken, with a clear message and exit 1', async (t) => {
  const first = await startBroker();
  t.after(() => first.stop());
  const dir = await tempDir(t);
  const second = await runKb(['broker', 'start', '--listen', first.address, '--data-dir', dir]);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /cannot listen on 127\.0\.0\.1:\d+: the address is already in use/);
  assert.doesNotMatch(second.stderr, /at .*\.ts:\d+/, 'no stack trace');
  assert.equal(await stat(dir).then(() => true, () => false), true, 'a data dir that existed before is left alone');
  const fresh = path.join(dir, 'new-data');
  const third = await runKb(['broker', 'start', '--listen', first.address, '--data-dir', fresh]);
  assert.equal(third.code, 1, third.stderr);
  await assert.rejects(stat(fresh), { code: 'ENOENT' }, 'the failed start removed the data dir it created');
});

test('keeps the cluster id across restarts and refuses a data dir of another node id', async (t) => {
  const dir = await tempDir(t);
  const first = await startBroker({ dataDir: dir });
  const clusterId = /cluster (\S+)/.exec(first.log())![1];
  await first.stop();
  const again = await startBroker({ dataDir: dir });
  assert.equal(/cluster (\S+)/.exec(again.log())![1], clusterId);
  await again.stop();
  const other = await runKb(['broker', 'start', '--listen', '127.0.0.1:0', '--data-dir', dir, '--node-id', '2']);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /belongs to node 1, not node 2/);
  assert.match(await readFile(path.join(dir, 'meta.properties'), 'utf8'), new RegExp(`cluster.id=${clusterId}`));
});

test('refuses a second broker on the same data dir', async (t) => {
  const dir = await tempDir(t);
  const first = await startBroker({ dataDir: dir });
  t.after(() => first.stop());
  const second = await runKb(['broker', 'start', '--listen', '127.0.0.1:0', '--data-dir', dir]);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /in use by another broker \(pid \d+\)/);
});

test('bad settings are refused before starting: unreadable config file, wrong value type, a bad topic default, bad listen address', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'broker.properties');
  await writeFile(file, 'num.partitions=lots\n');
  const badValue = await runKb(['broker', 'start', '--listen', '127.0.0.1:0', '--data-dir', dir, '--config', file]);
  assert.equal(badValue.code, 1);
  assert.match(badValue.stderr, /num\.partitions=lots: expected an integer/);
  // A broker setting that is every topic's default is checked as that topic config (it used to be taken, and shown as segment.bytes=abc).
  const badTopicDefault = await runKb(['broker', 'start', '--listen', '127.0.0.1:0', '--data-dir', dir, '--set', 'log.segment.bytes=abc']);
  assert.equal(badTopicDefault.code, 1, badTopicDefault.stderr);
  assert.match(badTopicDefault.stderr, /log\.segment\.bytes=abc: must be an integer >= 1048576/);
  // Kafka 4's floor: tiny segments made a file per batch (2,000 one-record batches, 5,999 files).
  const tinySegments = await runKb(['broker', 'start', '--listen', '127.0.0.1:0', '--data-dir', dir, '--set', 'log.segment.bytes=14']);
  assert.equal(tinySegments.code, 1, tinySegments.stderr);
  assert.match(tinySegments.stderr, /log\.segment\.bytes=14: must be an integer >= 1048576/);
  const badListen = await runKb(['broker', 'start', '--listen', 'nowhere:port', '--data-dir', dir]);
  assert.equal(badListen.code, 2);
  assert.match(badListen.stderr, /not host:port/);
});

test('an unknown setting is refused with the closest known one; Kafka topic defaults and listener.name.* settings pass', async (t) => {
  const dir = await tempDir(t);
  const dataDir = path.join(dir, 'data');
  const typo = await runKb(['broker', 'start', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--set', 'num.partition=3']);
  assert.equal(typo.code, 1, typo.stderr);
  // kb's one error style: "Error: " and the message unwrapped (not oclif's ` ›   Error:` box).
  assert.match(typo.stderr, /^Error: --set num\.partition=3: unknown broker setting num\.partition \(did you mean num\.partitions\?\); kb takes/);
  await assert.rejects(stat(dataDir), { code: 'ENOENT' }, 'nothing was created');
  const file = path.join(dir, 'server.properties');
  await writeFile(file, 'log.retention.hours=168\nzookeeper.conect=localhost:2181\n');
  const fromFile = await runKb(['broker', 'start', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--config', file]);
  assert.equal(fromFile.code, 1, fromFile.stderr);
  assert.match(fromFile.stderr, /^Error: \S*server\.properties: unknown broker setting zookeeper\.conect/);
  const broker = await startBroker({ dataDir, sets: { 'log.retention.hours': 168, 'log.preallocate': false, 'listener.name.client.max.connections': 10 } });
  t.after(() => broker.stop());
  assert.match(broker.log(), /kb broker started/);
});

test('a new data dir, its metadata and logs directories are created readable by their owner only (0700)', async (t) => {
  const dir = path.join(await tempDir(t), 'fresh', 'kb-data');
  const broker = await startBroker({ dataDir: dir });
  t.after(() => broker.stop());
  for (const sub of ['', 'metadata', 'logs']) assert.equal((await stat(path.join(dir, sub))).mode & 0o777, 0o700, `${sub || 'data dir'} mode`);
});

test('warns at start when the open file limit is below what its partitions and connections may need', async (t) => {
  const dir = await tempDir(t);
  const sets = { 'max.connections': 100 };
  const empty = await startBroker({ dataDir: dir, sets, openFileLimit: 300 });
  t.after(() => empty.stop());
  await empty.stop();
  assert.doesNotMatch(empty.log(), /open file limit/, 'enough for no partitions');
  const roomy = await startBroker({ dataDir: dir, sets });
  t.after(() => roomy.stop());
  const created = await runKb(['topic', 'create', 'wide', '--partitions', '150', '-b', roomy.address]);
  assert.equal(created.code, 0, created.stderr);
  await roomy.stop();

  const full = await startBroker({ dataDir: dir, sets, openFileLimit: 300 });
  t.after(() => full.stop());
  const warning =
    /WARN the open file limit \(ulimit -n\) is 300, below the 314 this broker may need: the active segment file of each of its 150 partition\(s\), 0 of its 0 sealed segment file\(s\) \(log\.segment\.open\.files\.max\), 100 connections \(max\.connections\) and 64 more/;
  // Logged just after the startup line.
  const deadline = Date.now() + 10_000;
  while (!warning.test(full.log()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(full.log(), warning);
});

test('a data dir that cannot be created or written is a clear error at start', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'a-file');
  await writeFile(file, 'not a directory');
  const result = await runKb(['broker', 'start', '--listen', '127.0.0.1:0', '--data-dir', path.join(file, 'data')]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /data dir .* is not usable/);
});
