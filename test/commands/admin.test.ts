/**
 * The admin commands against a real broker: topic create/list/describe/
 * alter-config/add-partitions/delete/delete-records/offsets, cluster info, config get|set and
 * health, with their --json output (stable keys) and the exit code of every
 * error class: usage 2, runtime 1, health 0 OK / 3 UNKNOWN. Creating or
 * adding more partitions than one metadata log entry holds fails with a
 * clear error and changes nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';

let broker: RunningBroker;
let env: NodeJS.ProcessEnv;
const kb = (args: string[], input?: string) => runKb(args, { env, input });

async function json(args: string[]): Promise<any> {
  const r = await kb([...args, '--json']);
  assert.equal(r.code, 0, `kb ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

before(async () => {
  // Room for the 100000-partition requests below to reach the metadata log's entry limit.
  broker = await startBroker({ sets: { 'max.broker.partitions': 300_000 } });
  env = { KB_BROKERS: broker.address };
});
after(() => broker?.stop());

test('topic create, list, describe, alter-config, add-partitions and delete', async () => {
  const created = await kb(['topic', 'create', 'orders', '--partitions', '2', '--config', 'retention.ms=60000']);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'created topic orders with 2 partition(s)\n');

  const [again, tolerated, listed] = await Promise.all([
    kb(['topic', 'create', 'orders', '--partitions', '2']),
    kb(['topic', 'create', 'orders', '--partitions', '2', '--if-not-exists']),
    json(['topic', 'list']),
  ]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^Error: topic 'orders' already exists \(add --if-not-exists/);
  assert.equal(tolerated.code, 0, tolerated.stderr);
  assert.deepEqual(listed, { topics: [{ name: 'orders', partitions: 2, replicationFactor: 1, internal: false }] });

  assert.equal((await kb(['produce', 'orders', '-p', '1'], 'a\nbb\nccc\n')).code, 0);
  const altered = await kb(['topic', 'alter-config', 'orders', '--set', 'cleanup.policy=compact', '--delete', 'retention.ms']);
  assert.equal(altered.code, 0, altered.stderr);
  assert.equal((await kb(['topic', 'add-partitions', 'orders', '--to', '3'])).code, 0);

  const described = await json(['topic', 'describe', 'orders']);
  assert.deepEqual(described.configs, [{ name: 'cleanup.policy', value: 'compact' }]);
  assert.equal(described.partitions.length, 3);
  assert.deepEqual(
    described.partitions.map((p: any) => [p.partition, p.leader, p.replicas, p.isr, p.offlineReplicas, p.logStartOffset, p.logEndOffset]),
    [
      [0, 1, [1], [1], [], 0, 0],
      [1, 1, [1], [1], [], 0, 3],
      [2, 1, [1], [1], [], 0, 0],
    ],
  );
  assert.ok(described.partitions[1].sizeBytes > described.partitions[0].sizeBytes, 'the partition with records takes space');
  const table = await kb(['topic', 'describe', 'orders']);
  assert.match(table.stdout, /^NAME\s+orders\nTOPIC ID\s+-\nPARTITIONS\s+3/);
  assert.match(table.stdout, /\ncleanup\.policy\s+compact\n/);
  assert.match(table.stdout, /PARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+ISR\s+OFFLINE\s+LOG-START\s+LOG-END\s+SIZE\n0\s+1\s+0\s+1\s+1\s+-\s+0\s+0\s+0 B\n1\s+1\s+0\s+1\s+1\s+-\s+0\s+3\s+\d+ B\n/);

  const [refused, shrink, noChange] = await Promise.all([
    kb(['topic', 'delete', 'orders']),
    kb(['topic', 'add-partitions', 'orders', '--to', '2']),
    kb(['topic', 'alter-config', 'orders']),
  ]);
  assert.equal(refused.code, 2, 'no TTY and no --yes: a usage error');
  assert.match(refused.stderr, /add --yes to confirm/);
  assert.equal(shrink.code, 1);
  assert.match(shrink.stderr, /new count must be larger/);
  assert.equal(noChange.code, 2);
  assert.match(noChange.stderr, /nothing to change/);

  const deleted = await json(['topic', 'delete', 'orders', '--yes']);
  assert.deepEqual(deleted, { deleted: ['orders'] });
  const gone = await kb(['topic', 'delete', 'orders', '--yes']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /cannot delete 'orders'/);
});

test('more new partitions than one metadata log entry holds: topic create and add-partitions exit 1 saying so, and nothing changes', async () => {
  // 100000 partitions (kb's per-topic maximum) at rf=1 take ~8.5 MB of metadata records, beyond the 8 MiB entry limit.
  const tooMany = /\d+ new partitions in one request are too many: .*more than one metadata log entry holds \(8 MiB\)\. Create fewer at once/;
  const created = await kb(['topic', 'create', 'vast', '--partitions', '100000']);
  assert.equal(created.code, 1, created.stderr);
  assert.match(created.stderr, tooMany);
  assert.equal(created.stderr.includes('connection'), false, `the connection stays up: ${created.stderr}`);

  assert.equal((await kb(['topic', 'create', 'modest', '--partitions', '1'])).code, 0);
  const added = await kb(['topic', 'add-partitions', 'modest', '--to', '100000']);
  assert.equal(added.code, 1, added.stderr);
  assert.match(added.stderr, tooMany);
  const topics = await json(['topic', 'list']);
  assert.deepEqual(
    topics.topics.filter((t: { name: string }) => t.name === 'vast' || t.name === 'modest').map((t: { name: string; partitions: number }) => [t.name, t.partitions]),
    [['modest', 1]],
  );
});

test('topic configs past their INT (32-bit) or LONG (64-bit) type are refused, as Kafka does; the largest that fit are taken', async () => {
  const int = await kb(['topic', 'create', 'wide-int', '--partitions', '1', '--config', 'segment.bytes=99999999999']);
  assert.equal(int.code, 1, int.stderr);
  assert.match(int.stderr, /segment\.bytes=99999999999: must fit 32 bits \(at most 2147483647\)/);
  assert.equal((await kb(['topic', 'create', 'widest', '--partitions', '1', '--config', 'segment.bytes=2147483647', '--config', 'retention.ms=9223372036854775807'])).code, 0);
  const long = await kb(['topic', 'alter-config', 'widest', '--set', 'retention.ms=9223372036854775808']);
  assert.equal(long.code, 1, long.stderr);
  assert.match(long.stderr, /retention\.ms=9223372036854775808: must fit 64 bits/);
  const described = await json(['topic', 'describe', 'widest']);
  assert.deepEqual(
    described.configs.filter((c: { name: string }) => c.name === 'retention.ms' || c.name === 'segment.bytes'),
    [
      { name: 'retention.ms', value: '9223372036854775807' },
      { name: 'segment.bytes', value: '2147483647' },
    ],
  );
  assert.equal((await kb(['topic', 'list'])).stdout.includes('wide-int'), false, 'the refused topic was not created');
});

test('without a TTY, topic create never prompts: a missing name exits 2 naming it', async () => {
  const [noName, badConfig] = await Promise.all([kb(['topic', 'create']), kb(['topic', 'create', 'x', '--partitions', '1', '--config', 'novalue'])]);
  assert.equal(noName.code, 2);
  assert.match(noName.stderr, /missing the topic NAME[\s\S]*kb topic create --help/);
  assert.equal(badConfig.code, 2);
  assert.match(badConfig.stderr, /--config novalue: expected key=value/);
});

test('cluster info, config get and set', async () => {
  const [info, infoTable, configs, one, set, unknown] = await Promise.all([
    json(['cluster', 'info']),
    kb(['cluster', 'info']),
    json(['config', 'get']),
    kb(['config', 'get', 'num.partitions']),
    kb(['config', 'set', 'num.partitions=3']),
    kb(['config', 'get', 'no.such.config']),
  ]);
  assert.match(info.clusterId, /^[\w-]{22}$/);
  assert.equal(info.controllerId, 1);
  assert.deepEqual(info.brokers, [{ nodeId: 1, host: '127.0.0.1', port: broker.port, rack: null, status: 'up', quorum: 'leader', controller: true }]);
  assert.match(infoTable.stdout, new RegExp(`NODE\\s+ADDRESS\\s+RACK\\s+STATUS\\s+QUORUM\\n1\\s+127\\.0\\.0\\.1:${broker.port}\\s+-\\s+up \\(controller\\)\\s+leader\\n`));
  assert.equal(configs.broker, 1);
  assert.deepEqual(configs.configs.find((c: any) => c.name === 'node.id'), { name: 'node.id', value: '1', source: 'static', readOnly: true });
  assert.match(one.stdout, /^NAME\s+VALUE\s+SOURCE\s+READ-ONLY\nnum\.partitions\s+1\s+default\s+yes\n$/);
  assert.equal(set.code, 1);
  assert.match(set.stderr, /^Error: altering configs of broker 1: num\.partitions is static: set it with --config or --set at start/, 'names the broker');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /broker 1 has no config no\.such\.config/);

  const [deleted, unset, nothing] = await Promise.all([kb(['config', 'delete', 'num.partitions']), kb(['config', 'set', '--unset', 'num.partitions']), kb(['config', 'set'])]);
  assert.deepEqual([deleted.code, unset.code, nothing.code], [1, 1, 2]);
  assert.match(deleted.stderr, /num\.partitions is static: set it with --config or --set at start/, 'removing is asked of the broker, which refuses static configs');
  assert.match(unset.stderr, /num\.partitions is static/);
  assert.match(nothing.stderr, /say what to change: NAME=VALUE or --unset NAME/);
});

test('health: 0 OK with --json, 3 UNKNOWN when unreachable or misused', async () => {
  await kb(['topic', 'create', 'h', '--partitions', '2']);
  const [ok, okJson, unreachable, misused] = await Promise.all([
    kb(['health']),
    kb(['health', '--json']),
    kb(['health', '-b', '127.0.0.1:1']),
    kb(['health', '--no-such-flag']),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^OK: 1 broker\(s\), \d+ topic\(s\), \d+ partition\(s\) \| brokers_up=1 brokers_down=0;0 under_replicated=0;0 offline=0;;0 under_min_isr=0;;0 quorum_max_lag=0\n$/);
  assert.equal(okJson.code, 0);
  const report = JSON.parse(okJson.stdout);
  assert.deepEqual(
    { ...report, topics: 0, partitions: 0 },
    {
      status: 'OK', exitCode: 0, problems: [], controllerId: 1, quorumLeaderId: 1, quorumMaxLag: 0, brokers: { live: [1], down: [] }, topics: 0, partitions: 0,
      underReplicated: [], underMinIsr: [], offline: [], reassignments: { inProgress: [], stuck: [] },
    },
  );
  assert.ok(report.partitions >= 2);
  assert.equal(unreachable.code, 3);
  assert.match(unreachable.stdout, /^UNKNOWN: no broker reachable[^\n]*\n$/);
  assert.equal(misused.code, 3);
  assert.match(misused.stderr, /^UNKNOWN: Nonexistent flag: --no-such-flag/);
});

test('topic delete-records moves the log start of each partition (or -p) to an offset spec; asks, or exits 2 without --yes', async () => {
  assert.equal((await kb(['topic', 'create', 'trimmed', '--partitions', '2'])).code, 0);
  const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ value: `v${i}`, partition: i % 2 }));
  assert.equal((await kb(['produce', 'trimmed', '--json'], `${lines.join('\n')}\n`)).code, 0);

  const unconfirmed = await kb(['topic', 'delete-records', 'trimmed', '--before', '3']);
  assert.equal(unconfirmed.code, 2);
  assert.match(unconfirmed.stderr, /cannot be undone: add --yes/);

  const one = await json(['topic', 'delete-records', 'trimmed', '-p', '0', '--before', '3', '--yes']);
  assert.deepEqual(one, { topic: 'trimmed', partitions: [{ partition: 0, logStartOffset: '3' }] });
  const all = await kb(['topic', 'delete-records', 'trimmed', '--before', '-1', '--yes']);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout, 'trimmed/0: records before 4 deleted\ntrimmed/1: records before 4 deleted\n');
  const left = await kb(['consume', 'trimmed', '-e', '-f', '%p:%v\\n']);
  assert.deepEqual(left.stdout.trim().split('\n').sort(), ['0:v8', '1:v9']);

  const [missing, noPartition, badSpec] = await Promise.all([
    kb(['topic', 'delete-records', 'absent', '--before', '1', '--yes']),
    kb(['topic', 'delete-records', 'trimmed', '-p', '7', '--before', '1', '--yes']),
    kb(['topic', 'delete-records', 'trimmed', '--before', 'soon', '--yes']),
  ]);
  assert.deepEqual([missing.code, noPartition.code, badSpec.code], [1, 1, 2]);
  assert.match(missing.stderr, /topic 'absent' does not exist/);
  assert.match(noPartition.stderr, /has no partition 7 \(it has 2/);
  assert.match(badSpec.stderr, /--before: "soon" is not an offset/);
});

test('topic offsets: per partition the offset at a timestamp (kcat -Q), the end by default, or any offset spec', async () => {
  assert.equal((await kb(['topic', 'create', 'timed', '--partitions', '2'])).code, 0);
  const lines = Array.from({ length: 6 }, (_, i) => JSON.stringify({ value: `v${i}`, partition: i % 2, timestamp: 1_000_000 + i * 1000 }));
  assert.equal((await kb(['produce', 'timed', '--json'], `${lines.join('\n')}\n`)).code, 0);
  const offsets = async (...args: string[]) => (await json(['topic', 'offsets', 'timed', ...args])).partitions.map((p: any) => [p.partition, p.offset]);
  assert.deepEqual(await offsets(), [[0, 3], [1, 3]]);
  assert.deepEqual(await offsets('--at', '@1002500'), [[0, 2], [1, 1]], 'the first record at or after the time: v4 (offset 2 of 0), v3 (offset 1 of 1)');
  assert.deepEqual(await offsets('--at', '@1001000', '-p', '1'), [[1, 0]]);
  assert.deepEqual(await offsets('--at', 'earliest'), [[0, 0], [1, 0]]);
  const table = await kb(['topic', 'offsets', 'timed', '--at', '@9999999']);
  assert.match(table.stdout, /TOPIC\s+PARTITION\s+OFFSET\n[\s\S]*timed\s+1\s+3/, 'no record that late: the end');
  const [badSpec, noPartition] = await Promise.all([kb(['topic', 'offsets', 'timed', '--at', 'noon']), kb(['topic', 'offsets', 'timed', '-p', '4'])]);
  assert.deepEqual([badSpec.code, noPartition.code], [2, 1]);
  assert.match(noPartition.stderr, /has no partition 4/);
});
