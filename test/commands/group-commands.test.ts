/**
 * `kb group list|describe|lag|delete|delete-offsets|reset-offsets` run for real against a real
 * `kb broker start`: plans and executes offset resets (earliest, latest,
 * offsets clamped to the log, timestamps, shifts), describes committed
 * offsets, log end and lag, refuses resets and deletes while the group has
 * a member (a bare JoinGroup/SyncGroup member holding a real consumer
 * assignment), maps bad flags to exit 2, and keeps committed offsets
 * across a kill -9 of the broker.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { uniqueTopic } from '../helpers/records.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { Writer } from '../../src/protocol/primitives.ts';
import { encodeConsumerProtocolAssignment } from '../../src/protocol/generated/consumer-protocol-assignment.ts';

const partitions = 3;
const perPartition = 10;
let broker: RunningBroker;
let topic: string;

before(async () => {
  broker = await startBroker({ sets: { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 5 } });
  topic = uniqueTopic('group-cli');
  const created = await runKb(['topic', 'create', topic, '--partitions', String(partitions), '-b', broker.address]);
  assert.equal(created.code, 0, created.stderr);
});
after(async () => {
  await broker?.stop();
});

async function kb(args: string[], expectedCode = 0) {
  const result = await runKb([...args, '-b', broker.address]);
  assert.equal(result.code, expectedCode, `kb ${args.join(' ')} -> ${result.code}\n${result.stderr}${result.stdout}`);
  return result;
}

async function kbJson(args: string[]) {
  return JSON.parse((await kb([...args, '--json'])).stdout);
}

async function fill(): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    const lines = Array.from({ length: perPartition }, (_, i) => `p${p}-${i}`);
    await kcatOk(['-b', broker.address, '-P', '-t', topic, '-p', String(p)], { input: lines.join('\n') + '\n' });
  }
}

const offsetsOf = (described: any) => described.partitions.map((p: any) => [p.partition, p.committedOffset, p.logEndOffset, p.lag]);

test('reset-offsets plans by default, executes with --execute; describe shows committed offsets, log end and lag', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  await fill();
  const group = 'cli-reset';

  const plan = await kbJson(['group', 'reset-offsets', group, '--topic', topic, '--to', 'earliest']);
  assert.equal(plan.executed, false);
  assert.deepEqual(plan.partitions.map((p: any) => [p.partition, p.currentOffset, p.newOffset]), [
    [0, null, 0],
    [1, null, 0],
    [2, null, 0],
  ]);
  const missing = await kb(['group', 'describe', group], 1);
  assert.match(missing.stderr, /group 'cli-reset' does not exist/, 'a dry run commits nothing');

  const refused = await kb(['group', 'reset-offsets', group, '--topic', topic, '--to', 'earliest', '--execute'], 2);
  assert.match(refused.stderr, /add --yes to confirm/, 'without a terminal --execute needs --yes');
  assert.match((await kb(['group', 'describe', group], 1)).stderr, /does not exist/, 'the refused reset committed nothing');

  const text = await kb(['group', 'reset-offsets', group, '--topic', topic, '--to', 'earliest', '--execute', '--yes']);
  assert.match(text.stdout, /TOPIC\s+PARTITION\s+CURRENT\s+NEW/);
  const described = await kbJson(['group', 'describe', group]);
  assert.equal(described.state, 'Empty');
  assert.deepEqual(offsetsOf(described), [
    [0, 0, 10, 10],
    [1, 0, 10, 10],
    [2, 0, 10, 10],
  ]);
  assert.equal(described.totalLag, 30);

  await kb(['group', 'reset-offsets', group, '--topic', topic, '--shift-by', '4', '--execute', '--yes']);
  assert.equal((await kbJson(['group', 'describe', group])).totalLag, 18);
  await kb(['group', 'reset-offsets', group, '--topic', topic, '--shift-by', '-100', '--execute', '--yes']);
  assert.deepEqual(offsetsOf(await kbJson(['group', 'describe', group])).map((r: number[]) => r[1]), [0, 0, 0], 'shifts are clamped to the log start');
  await kb(['group', 'reset-offsets', group, '--topic', topic, '--to', '1000', '--execute', '--yes']);
  assert.equal((await kbJson(['group', 'describe', group])).totalLag, 0, 'offsets are clamped to the log end');
  await kb(['group', 'reset-offsets', group, '--topic', topic, '--to', '@0', '--execute', '--yes']);
  assert.equal((await kbJson(['group', 'describe', group])).totalLag, 30, '@0 is the first record');
  await kb(['group', 'reset-offsets', group, '--topic', topic, '--to', `@${Date.now() + 3_600_000}`, '--execute', '--yes']);
  assert.equal((await kbJson(['group', 'describe', group])).totalLag, 0, 'a future timestamp is the log end');
  await kb(['group', 'reset-offsets', group, '--topic', topic, '--to', '3', '--execute', '--yes']);

  const human = await kb(['group', 'describe', group]);
  assert.match(human.stdout, /STATE\s+Empty/);
  assert.match(human.stdout, new RegExp(`${topic}\\s+1\\s+3\\s+10\\s+7`));
  assert.match(human.stdout, /TOTAL LAG\s+21/);
  const listed = await kbJson(['group', 'list']);
  assert.deepEqual(listed.groups.find((g: any) => g.groupId === group), { groupId: group, state: 'Empty', members: 0, protocolType: '', protocol: '' });
});

test('reset-offsets --to takes the offset specs of kb consume -o: beginning and end, -N, ISO-8601 dates and @-10m', async () => {
  const forms = uniqueTopic('group-cli-forms');
  await kb(['topic', 'create', forms, '--partitions', '1']);
  const now = Date.now();
  // Three records two hours old, then two from a minute ago.
  const stamps = [now - 7_200_000, now - 7_100_000, now - 7_000_000, now - 60_000, now - 50_000];
  const produced = await runKb(['produce', forms, '--json', '-b', broker.address], { input: stamps.map((timestamp, i) => JSON.stringify({ value: `r${i}`, timestamp })).join('\n') + '\n' });
  assert.equal(produced.code, 0, produced.stderr);
  const group = 'cli-reset-forms';
  const newOffset = async (to: string) => (await kbJson(['group', 'reset-offsets', group, '--topic', forms, '--to', to])).partitions[0].newOffset;
  assert.equal(await newOffset('beginning'), 0);
  assert.equal(await newOffset('end'), 5);
  assert.equal(await newOffset('-2'), 3, 'two before the end');
  assert.equal(await newOffset('-100'), 0, 'not before the log start');
  assert.equal(await newOffset('@-10m'), 3, 'the first record of the last ten minutes');
  assert.equal(await newOffset(`@${new Date(now - 3_600_000).toISOString()}`), 3, 'the first record since an ISO-8601 time');
  assert.equal(await newOffset('@-3h'), 0);
});

test("delete-offsets removes an empty group's committed offsets of one topic (or one partition) and keeps the rest", async () => {
  const [kept, dropped] = [uniqueTopic('group-cli-kept'), uniqueTopic('group-cli-dropped')];
  await kb(['topic', 'create', kept, '--partitions', '1']);
  await kb(['topic', 'create', dropped, '--partitions', '2']);
  const group = 'cli-delete-offsets';
  for (const t of [kept, dropped]) await kb(['group', 'reset-offsets', group, '--topic', t, '--to', 'earliest', '--execute', '--yes']);
  const committed = async () => (await kbJson(['group', 'describe', group])).partitions.filter((p: any) => p.committedOffset !== null).map((p: any) => `${p.topic}/${p.partition}`);

  const unconfirmed = await kb(['group', 'delete-offsets', group, '--topic', dropped], 2);
  assert.match(unconfirmed.stderr, /cannot be undone: add --yes/);
  const one = await kbJson(['group', 'delete-offsets', group, '--topic', dropped, '-p', '1', '--yes']);
  assert.deepEqual(one, { group, topic: dropped, partitions: [1] });
  assert.deepEqual((await committed()).sort(), [`${dropped}/0`, `${kept}/0`].sort());
  const rest = await kb(['group', 'delete-offsets', group, '--topic', dropped, '--yes']);
  assert.match(rest.stdout, new RegExp(`deleted the offsets of group ${group} for ${dropped} partition\\(s\\) 0`));
  assert.deepEqual(await committed(), [`${kept}/0`]);
  const none = await kb(['group', 'delete-offsets', group, '--topic', dropped, '--yes'], 1);
  assert.match(none.stderr, new RegExp(`group '${group}' has no committed offset of ${dropped}`));
});

test('group lag: one row per group with total and largest partition lag; --warn-lag/--crit-lag set the exit code 0/1/2; group describe of every group', async () => {
  const lagging = uniqueTopic('group-cli-lag');
  await kb(['topic', 'create', lagging, '--partitions', '2']);
  const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ value: `r${i}`, partition: i < 7 ? 0 : 1 }));
  assert.equal((await runKb(['produce', lagging, '--json', '-b', broker.address], { input: `${lines.join('\n')}\n` })).code, 0);
  await kb(['group', 'reset-offsets', 'cli-lag-behind', '--topic', lagging, '--to', 'earliest', '--execute', '--yes']);
  await kb(['group', 'reset-offsets', 'cli-lag-current', '--topic', lagging, '--to', 'latest', '--execute', '--yes']);
  const groups = ['cli-lag-behind', 'cli-lag-current'];

  const all = JSON.parse((await kb(['group', 'lag', '--json'])).stdout);
  assert.equal(all.status, 'OK', 'without thresholds every group is OK');
  assert.deepEqual(
    all.groups.filter((g: any) => groups.includes(g.group)),
    [
      { group: 'cli-lag-behind', state: 'Empty', members: 0, partitions: 2, lag: 10, maxPartitionLag: 7, status: 'OK' },
      { group: 'cli-lag-current', state: 'Empty', members: 0, partitions: 2, lag: 0, maxPartitionLag: 0, status: 'OK' },
    ],
  );
  const warned = await kb(['group', 'lag', ...groups, '--warn-lag', '5', '--crit-lag', '20'], 1);
  assert.match(warned.stdout, /GROUP\s+STATE\s+MEMBERS\s+PARTITIONS\s+LAG\s+MAX-PARTITION-LAG\s+STATUS/);
  assert.match(warned.stdout, /cli-lag-behind\s+Empty\s+0\s+2\s+10\s+7\s+WARNING/);
  assert.match(warned.stdout, /cli-lag-current\s+Empty\s+0\s+2\s+0\s+0\s+OK/);
  const critical = JSON.parse((await kb(['group', 'lag', ...groups, '--warn-lag', '1', '--crit-lag', '10', '--json'], 2)).stdout);
  assert.deepEqual(critical.groups.map((g: any) => g.status), ['CRITICAL', 'OK']);
  await kb(['group', 'lag', 'cli-lag-current', '--warn-lag', '0'], 1);
  assert.match((await kb(['group', 'lag', 'no-such-group'], 1)).stderr, /group 'no-such-group' does not exist/);
  assert.match((await kb(['group', 'lag', '--warn-lag', '10', '--crit-lag', '5'], 2)).stderr, /--warn-lag 10 is above --crit-lag 5/);

  // kafka-consumer-groups --describe --all-groups: kb group describe without a group (or with several).
  const described = await kbJson(['group', 'describe']);
  assert.deepEqual(
    described.groups.filter((g: any) => groups.includes(g.group)).map((g: any) => [g.group, g.totalLag, g.partitions.length]),
    [
      ['cli-lag-behind', 10, 2],
      ['cli-lag-current', 0, 2],
    ],
  );
  const both = await kb(['group', 'describe', ...groups]);
  assert.match(both.stdout, /^GROUP\s+cli-lag-behind\n[\s\S]*TOTAL LAG\s+10\n\n\nGROUP\s+cli-lag-current\n[\s\S]*TOTAL LAG\s+0\n$/);
  assert.match((await kb(['group', 'describe', 'cli-lag-behind', 'no-such-group'], 1)).stderr, /group 'no-such-group' does not exist/);
});

test('reset-offsets per partition (T:P,...), for all the group\'s topics, exported as CSV and read back with --from-file', async () => {
  const [first, second] = [uniqueTopic('group-cli-csv-a'), uniqueTopic('group-cli-csv-b')];
  for (const t of [first, second]) {
    await kb(['topic', 'create', t, '--partitions', '3']);
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ value: `r${i}`, partition: i % 3 }));
    assert.equal((await runKb(['produce', t, '--json', '-b', broker.address], { input: `${lines.join('\n')}\n` })).code, 0);
  }
  const group = 'cli-reset-csv';
  const committed = async () => (await kbJson(['group', 'describe', group])).partitions.map((p: any) => `${p.topic}/${p.partition}=${p.committedOffset}`);

  await kb(['group', 'reset-offsets', group, '--topic', `${first}:0,2`, '--topic', second, '--to', '1', '--execute', '--yes']);
  assert.deepEqual(await committed(), [`${first}/0=1`, `${first}/2=1`, `${second}/0=1`, `${second}/1=1`, `${second}/2=1`]);

  const exported = await kb(['group', 'reset-offsets', group, '--all-topics', '--to', '-1', '--export']);
  assert.equal(exported.stdout, [`${first},0,3`, `${first},2,3`, `${second},0,3`, `${second},1,3`, `${second},2,3`].map((l) => `${l}\n`).join(''));
  assert.match(exported.stderr, /dry run: nothing changed/);
  assert.deepEqual((await committed()).filter((c: string) => c.endsWith('=3')), [], 'an export alone commits nothing');

  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'kb-reset-')), 'offsets.csv');
  await writeFile(file, `${exported.stdout.replace(`${second},1,3`, `${second},1,99`)}\n`);
  await kb(['group', 'reset-offsets', group, '--from-file', file, '--execute', '--yes']);
  assert.deepEqual(await committed(), [`${first}/0=3`, `${first}/2=3`, `${second}/0=3`, `${second}/1=4`, `${second}/2=3`], 'offsets from the file, clamped to the log end');

  await writeFile(file, `${first},0,1\nnot a line\n`);
  assert.match((await kb(['group', 'reset-offsets', group, '--from-file', file], 1)).stderr, /line 2: expected TOPIC,PARTITION,OFFSET/);
  assert.match((await kb(['group', 'reset-offsets', group, '--topic', `${first}:5`, '--to', '0'], 1)).stderr, /has no partition 5 \(it has 3/);
  assert.match((await kb(['group', 'reset-offsets', group, '--to', '0'], 2)).stderr, /--topic T\[:P,\.\.\.\] or --all-topics/);
  await kb(['group', 'reset-offsets', group, '--all-topics', '--topic', first, '--to', '0'], 2);
});

test('bad reset-offsets flags are usage errors (exit 2)', async () => {
  await kb(['group', 'reset-offsets', 'g', '--topic', topic], 2);
  await kb(['group', 'reset-offsets', 'g', '--topic', topic, '--to', 'yesterday'], 2);
  await kb(['group', 'reset-offsets', 'g', '--topic', topic, '--to', 'latest', '--shift-by', '1'], 2);
  await kb(['group', 'reset-offsets', 'g', '--topic', topic, '--shift-by', 'x'], 2);
  await kb(['group', 'reset-offsets', 'g', '--topic', topic, '--to', 'latest', '--execute', '--dry-run'], 2);
  await kb(['group', 'delete', 'g'], 2);
  const noTopic = await kb(['group', 'reset-offsets', 'g', '--topic', 'no-such-topic', '--to', 'latest'], 1);
  assert.match(noTopic.stderr, /topic 'no-such-topic' does not exist/);
});

test('a group with a member is listed and described with its assignment; reset and delete are refused until it leaves', async (t) => {
  const group = 'cli-live';
  const client = await RawClient.connect(broker.host, broker.port);
  t.after(() => client.close());
  assert.equal((await client.request(10, 3, { key: group, keyType: 0, coordinatorKeys: [] })).errorCode, ErrorCode.NONE);
  const join = (memberId: string) =>
    client.request(11, 5, {
      groupId: group,
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 30_000,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 255, 255, 255, 255]) }],
    });
  const first = await join('');
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const joined = await join(first.memberId);
  assert.equal(joined.errorCode, ErrorCode.NONE);
  const w = new Writer();
  w.int16(0);
  encodeConsumerProtocolAssignment(w, { assignedPartitions: [{ topic, partitions: [0, 2] }], userData: null }, 0);
  const synced = await client.request(14, 3, {
    groupId: group,
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: null,
    assignments: [{ memberId: joined.memberId, assignment: Buffer.from(w.finish()) }],
  });
  assert.equal(synced.errorCode, ErrorCode.NONE);

  const listed = await kbJson(['group', 'list']);
  assert.deepEqual(listed.groups.find((g: any) => g.groupId === group), { groupId: group, state: 'Stable', members: 1, protocolType: 'consumer', protocol: 'range' });
  const described = await kbJson(['group', 'describe', group]);
  assert.equal(described.state, 'Stable');
  assert.deepEqual(described.members, [
    { memberId: joined.memberId, groupInstanceId: null, clientId: 'raw-test', host: '/127.0.0.1', assignment: [{ topic, partitions: [0, 2] }] },
  ]);
  assert.deepEqual(described.partitions.map((p: any) => [p.partition, p.committedOffset, p.lag, p.memberId]), [
    [0, null, null, joined.memberId],
    [2, null, null, joined.memberId],
  ]);
  const human = await kb(['group', 'describe', group]);
  assert.match(human.stdout, new RegExp(`raw-test\\s+/127\\.0\\.0\\.1\\s+${topic}:0,2`));

  const reset = await kb(['group', 'reset-offsets', group, '--topic', topic, '--to', 'earliest', '--execute', '--yes'], 1);
  assert.match(reset.stderr, /group 'cli-live' is Stable with 1 active member\(s\): stop its consumers first/);
  const refused = await kb(['group', 'delete', group, '--yes'], 1);
  assert.match(refused.stderr, /group 'cli-live' still has active members/);

  const left = await client.request(13, 3, { groupId: group, members: [{ memberId: joined.memberId, groupInstanceId: null }] });
  assert.equal(left.errorCode, ErrorCode.NONE);
  const deleted = await kbJson(['group', 'delete', group, '--yes']);
  assert.deepEqual(deleted, { deleted: [group] });
  assert.equal((await kbJson(['group', 'list'])).groups.some((g: any) => g.groupId === group), false);
  const again = await kb(['group', 'delete', group, '--yes'], 1);
  assert.match(again.stderr, /group 'cli-live' does not exist/);
});

test('committed offsets survive kill -9 of the broker', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const group = 'cli-durable';
  await kb(['group', 'reset-offsets', group, '--topic', topic, '--to', '5', '--execute', '--yes']);
  await kb(['group', 'reset-offsets', group, '--topic', topic, '--to', '7', '--execute', '--yes']);
  const dataDir = broker.dataDir;
  await broker.kill();
  broker = await startBroker({ dataDir, sets: { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 5 } });
  const described = await kbJson(['group', 'describe', group]);
  assert.equal(described.state, 'Empty');
  assert.deepEqual(described.partitions.map((p: any) => p.committedOffset), [7, 7, 7]);
});
