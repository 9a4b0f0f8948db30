/**
 * `kb partitions reassign` on one real broker: usage errors exit 2 before
 * anything changes (nothing to move, --to without --topic, bad --to,
 * conflicting modes; no TTY without --yes is in test/cluster/reassignment),
 * user errors exit 1 (unknown
 * topic, bad plan file, a broker that is not live), and a dry run prints
 * and saves a plan that --plan reads back; --status clears a throttle left
 * behind, and says so only then.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { Admin } from '../../src/client/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { runKb } from '../helpers/cli.ts';

let broker: RunningBroker;
let scratch: string;
const kb = (...args: string[]) => runKb([...args, '-b', broker.address]);

before(async () => {
  broker = await startBroker();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'kb-reassign-cli-'));
  const created = await kb('topic', 'create', 'r', '--partitions', '2', '--rf', '1');
  assert.equal(created.code, 0, created.stderr);
});

after(async () => {
  await broker.stop();
  await rm(scratch, { recursive: true, force: true });
});

test('usage errors exit 2 and name the fix', async () => {
  const cases: [string[], RegExp][] = [
    [['partitions', 'reassign'], /--topic T --to IDS, or --plan FILE/],
    [['partitions', 'reassign', '--to', '1'], /--to needs at least one --topic/],
    [['partitions', 'reassign', '--topic', 'r', '--to', '1,x'], /expected broker ids/],
    [['partitions', 'reassign', '--topic', 'r', '--to', '1,1'], /named twice/],
    [['partitions', 'reassign', '--status', '--cancel'], /cannot also be provided/],
    [['partitions', 'reassign', '--plan', 'p.json', '--to', '1'], /cannot also be provided/],
  ];
  for (const [args, message] of cases) {
    const result = await kb(...args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
  }
});

test('user errors exit 1: unknown topic, broker not live, unreadable or invalid plan', async () => {
  const bad = path.join(scratch, 'bad.json');
  await writeFile(bad, '{"version":1,"partitions":[{"topic":"r","partition":0,"replicas":[]}]}');
  const missing = path.join(scratch, 'r-9.json');
  await writeFile(missing, '{"version":1,"partitions":[{"topic":"r","partition":9,"replicas":[1]}]}');
  const cases: [string[], RegExp][] = [
    [['partitions', 'reassign', '--topic', 'nope', '--to', '1', '--dry-run'], /'nope' does not exist/],
    [['partitions', 'reassign', '--topic', 'r', '--to', '7', '--dry-run'], /broker\(s\) 7 are not live/],
    [['partitions', 'reassign', '--plan', path.join(scratch, 'absent.json')], /cannot read plan/],
    [['partitions', 'reassign', '--plan', bad, '--dry-run'], /"replicas" must be a non-empty list/],
    [['partitions', 'reassign', '--plan', missing, '--dry-run'], /has no partition 9/],
  ];
  for (const [args, message] of cases) {
    const result = await kb(...args);
    assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
  }
});

test('a dry run prints and saves the plan; --plan reads it back; --status and --cancel with nothing in progress', async () => {
  const planFile = path.join(scratch, 'plan.json');
  const dry = await kb('partitions', 'reassign', '--topic', 'r', '--to', '1', '--dry-run', '--plan-out', planFile, '--json');
  assert.equal(dry.code, 0, dry.stderr);
  const report = JSON.parse(dry.stdout);
  assert.deepEqual(report.plan.map((m: { current: number[]; target: number[] }) => [m.current, m.target]), [[[1], [1]], [[1], [1]]]);
  assert.equal(report.executed, false);
  assert.deepEqual(JSON.parse(await readFile(planFile, 'utf8')), { version: 1, partitions: [{ topic: 'r', partition: 0, replicas: [1] }, { topic: 'r', partition: 1, replicas: [1] }] });
  const again = await kb('partitions', 'reassign', '--plan', planFile);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /0 of 2 partition\(s\) change/);
  assert.equal((await kb('partitions', 'reassign', '--status')).stdout, 'no reassignments in progress\n', 'no throttle was set, so none is said to be cleared');
  assert.deepEqual(JSON.parse((await kb('partitions', 'reassign', '--cancel', '--json')).stdout), { cancelled: [] });
});

test('--status with nothing moving clears a throttle left by a reassignment started without --wait', async (t) => {
  const cluster = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }], clientId: 'reassign-cli-test' });
  t.after(() => cluster.close());
  const admin = new Admin(cluster);
  const throttle = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'];
  await admin.alterClusterBrokerConfigs(throttle.map((name) => ({ name, value: '1000000' })));
  const status = await kb('partitions', 'reassign', '--status');
  assert.equal(status.stdout, 'no reassignments in progress\nreplication throttle cleared\n');
  const configs = await admin.describeBrokerConfigs(1);
  assert.deepEqual(configs.filter((c) => throttle.includes(c.name)).map((c) => c.value), ['9223372036854775807', '9223372036854775807'], 'back to the defaults');
});
