/**
 * confluent-kafka (librdkafka 2.0.2) group consumers against a real `kb
 * broker start`, each in its own process (helpers/group-member.ts):
 * - two consumers split a 6-partition topic with no partition assigned to
 *   both; a third joining rebalances the group, and every record is
 *   committed exactly once across the three (nothing lost, nothing twice);
 *   AdminClient.list_groups() (ListGroups/DescribeGroups v0) shows the group;
 * - a consumer killed with SIGKILL (no LeaveGroup) is evicted after its
 *   session timeout and its partitions move to the survivor;
 * - cooperative-sticky completes incremental rebalances: a joining member
 *   takes partitions without the others giving up the ones they keep;
 * - a consumer that commits and restarts resumes exactly after its commit;
 * - a static member (group.instance.id) restarted within its session
 *   timeout gets its partitions back without the group rebalancing.
 * Every member commits synchronously after each batch and reports only
 * records whose commit succeeded.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { runPythonScript } from '../helpers/python.ts';
import { uniqueTopic } from '../helpers/records.ts';
import { GroupMember, until, type CommittedRecord, type MemberOptions } from '../helpers/group-member.ts';

interface ListedGroup {
  id: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: { clientId: string; clientHost: string; assignmentBytes: number }[];
}

const partitions = 6;
const allPartitions = Array.from({ length: partitions }, (_, i) => i);
const sessionTimeoutMs = 3000;
const settleMs = 20_000;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({
    sets: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1000, 'offsets.topic.num.partitions': 10 },
  });
});
after(async () => {
  await broker?.stop();
});

async function createTopic(prefix: string): Promise<string> {
  const topic = uniqueTopic(prefix);
  const created = await runKb(['topic', 'create', topic, '--partitions', String(partitions), '-b', broker.address]);
  assert.equal(created.code, 0, created.stderr);
  return topic;
}

async function produce(topic: string, label: string, count: number): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) => `${label}-${i}`);
  await kcatOk(['-b', broker.address, '-P', '-t', topic, '-K', ':'], { input: values.map((v) => `${v}:${v}`).join('\n') + '\n' });
  return values;
}

function member(t: TestContext, options: Omit<MemberOptions, 'bootstrap' | 'sessionTimeoutMs'> & { sessionTimeoutMs?: number }): GroupMember {
  const m = new GroupMember({ bootstrap: broker.address, sessionTimeoutMs: sessionTimeoutMs, ...options });
  t.after(() => m.kill());
  return m;
}

/** The members' assignments are disjoint, non-empty, and cover every partition. */
function splitsTopic(members: GroupMember[]): boolean {
  const assigned = members.map((m) => m.assignment());
  const flat = assigned.flat().sort((a, b) => a - b);
  return assigned.every((a) => a.length > 0) && flat.length === partitions && flat.every((p, i) => p === allPartitions[i]);
}

const detail = (members: GroupMember[]) => () => members.map((m) => m.describe()).join('\n');

function committedValues(members: GroupMember[]): string[] {
  return members.flatMap((m) => m.committed().map((r: CommittedRecord) => r[2]));
}

/** Every produced value was committed exactly once. */
function assertExactlyOnce(members: GroupMember[], produced: string[]): void {
  const values = committedValues(members);
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
  assert.deepEqual(twice, [], 'no record is committed twice');
  assert.deepEqual([...counts.keys()].sort(), [...produced].sort(), 'every produced record is committed');
}

async function assertNoLag(group: string): Promise<void> {
  const described = await runKb(['group', 'describe', group, '--json', '-b', broker.address]);
  assert.equal(described.code, 0, described.stderr);
  const json = JSON.parse(described.stdout);
  assert.equal(json.totalLag, 0, described.stdout);
  assert.equal(json.partitions.length, partitions, 'a committed offset for every partition');
}

test('confluent-kafka: two consumers split 6 partitions, a third joins, every record is committed exactly once', async (t) => {
  if (!requireTool(t, tools.confluentKafka)) return;
  const topic = await createTopic('groups-split');
  const group = `${topic}-group`;
  const a = member(t, { group, topic, name: 'a', strategy: 'range' });
  const b = member(t, { group, topic, name: 'b', strategy: 'range' });
  await until(() => splitsTopic([a, b]), settleMs, 'a and b to split the topic', detail([a, b]));

  const first = await produce(topic, 'first', 300);
  await until(() => new Set(committedValues([a, b])).size === first.length, settleMs, 'a and b to commit the first records', detail([a, b]));

  const c = member(t, { group, topic, name: 'c', strategy: 'range' });
  await until(() => splitsTopic([a, b, c]), settleMs, 'a, b and c to split the topic', detail([a, b, c]));
  for (const m of [a, b, c]) assert.equal(m.assignment().length, 2, `${m.name} owns two of six partitions`);
  const listed = await runPythonScript<ListedGroup[]>('confluent_list_groups.py', { bootstrap: broker.address });
  const seen = listed.find((g) => g.id === group);
  assert.ok(seen, `list_groups() shows ${group}: ${JSON.stringify(listed)}`);
  assert.deepEqual([seen.state, seen.protocolType, seen.protocol], ['Stable', 'consumer', 'range']);
  assert.deepEqual(seen.members.map((m) => m.clientId).sort(), ['a', 'b', 'c']);
  assert.ok(seen.members.every((m) => m.clientHost === '/127.0.0.1' && m.assignmentBytes > 0), 'members carry host and assignment');

  const second = await produce(topic, 'second', 300);
  const produced = [...first, ...second];
  await until(() => new Set(committedValues([a, b, c])).size === produced.length, settleMs, 'every record committed', detail([a, b, c]));
  await Promise.all([a.stop(), b.stop(), c.stop()]);
  assertExactlyOnce([a, b, c], produced);
  await assertNoLag(group);
});

test('confluent-kafka: a consumer killed with SIGKILL is evicted after its session timeout and its partitions move', async (t) => {
  if (!requireTool(t, tools.confluentKafka)) return;
  const topic = await createTopic('groups-kill');
  const group = `${topic}-group`;
  const a = member(t, { group, topic, name: 'a', strategy: 'roundrobin' });
  const b = member(t, { group, topic, name: 'b', strategy: 'roundrobin' });
  await until(() => splitsTopic([a, b]), settleMs, 'a and b to split the topic', detail([a, b]));

  const killedAt = Date.now();
  await b.kill();
  await until(() => a.assignment().length === partitions, settleMs, 'a to own every partition', detail([a]));
  const movedAfterMs = Date.now() - killedAt;
  assert.ok(movedAfterMs >= sessionTimeoutMs - 1000, `partitions moved after the session timeout, not before (${movedAfterMs} ms)`);

  const produced = await produce(topic, 'after-kill', 120);
  await until(() => new Set(committedValues([a])).size >= produced.length, settleMs, 'a to commit every record', detail([a]));
  await a.stop();
  assertExactlyOnce([a, b], produced);
});

test('confluent-kafka: cooperative-sticky rebalances incrementally when a member joins and when one leaves', async (t) => {
  if (!requireTool(t, tools.confluentKafka)) return;
  const topic = await createTopic('groups-coop');
  const group = `${topic}-group`;
  const strategy = 'cooperative-sticky';
  const a = member(t, { group, topic, name: 'a', strategy });
  const b = member(t, { group, topic, name: 'b', strategy });
  await until(() => splitsTopic([a, b]), settleMs, 'a and b to split the topic', detail([a, b]));
  const before = { a: a.assignment(), b: b.assignment(), aEvents: a.events.length, bEvents: b.events.length };
  const first = await produce(topic, 'coop-first', 120);
  // librdkafka 2.0.2 (Debian's) takes an OffsetCommit's ILLEGAL_GENERATION during a cooperative
  // rebalance as a lost assignment (librdkafka#4059); Kafka answers such a commit the same
  // way, so c joins only once a and b are done committing.
  await until(() => new Set(committedValues([a, b])).size === first.length, settleMs, 'a and b to commit the first records', detail([a, b]));

  const c = member(t, { group, topic, name: 'c', strategy });
  await until(() => splitsTopic([a, b, c]) && c.assignment().length === 2, settleMs, 'a, b and c to split the topic', detail([a, b, c]));
  for (const [m, owned, from] of [[a, before.a, before.aEvents], [b, before.b, before.bEvents]] as const) {
    const kept = m.assignment();
    const events = JSON.stringify(m.events.slice(from).filter((e) => e.event !== 'committed'));
    assert.ok(kept.every((p) => owned.includes(p)), `${m.name} only lost partitions (had ${owned}, has ${kept}): ${events}`);
    assert.deepEqual(m.revokedSince(from).filter((p) => kept.includes(p)), [], `${m.name} never gave up a partition it kept: ${events}`);
  }

  await c.stop();
  await until(() => splitsTopic([a, b]), settleMs, 'a and b to take back c’s partitions', detail([a, b]));
  const second = await produce(topic, 'coop-second', 120);
  const produced = [...first, ...second];
  await until(() => new Set(committedValues([a, b, c])).size === produced.length, settleMs, 'every record committed', detail([a, b, c]));
  await Promise.all([a.stop(), b.stop()]);
  assertExactlyOnce([a, b, c], produced);
});

test('confluent-kafka: a consumer that commits and restarts resumes exactly after its commit', async (t) => {
  if (!requireTool(t, tools.confluentKafka)) return;
  const topic = await createTopic('groups-resume');
  const group = `${topic}-group`;
  const first = await produce(topic, 'before-restart', 90);
  const run1 = member(t, { group, topic, name: 'run1', strategy: 'range' });
  await until(() => new Set(committedValues([run1])).size === first.length, settleMs, 'run1 to commit every record', detail([run1]));
  await run1.stop();
  const lastCommitted = new Map<number, number>();
  for (const [partition, offset] of run1.committed()) lastCommitted.set(partition, Math.max(offset, lastCommitted.get(partition) ?? -1));

  const second = await produce(topic, 'after-restart', 90);
  const run2 = member(t, { group, topic, name: 'run2', strategy: 'range' });
  await until(() => new Set(committedValues([run2])).size === second.length, settleMs, 'run2 to commit the new records', detail([run2]));
  await run2.stop();
  const firstRead = new Map<number, number>();
  for (const [partition, offset] of run2.committed()) firstRead.set(partition, Math.min(offset, firstRead.get(partition) ?? offset));
  for (const [partition, offset] of firstRead) {
    assert.equal(offset, (lastCommitted.get(partition) ?? -1) + 1, `run2 starts partition ${partition} right after run1's commit`);
  }
  assertExactlyOnce([run1, run2], [...first, ...second]);
  await assertNoLag(group);
});

test('confluent-kafka: a static member restarted within its session timeout takes its partitions back without a rebalance', async (t) => {
  if (!requireTool(t, tools.confluentKafka)) return;
  const topic = await createTopic('groups-static');
  const group = `${topic}-group`;
  const staticSessionMs = 10_000;
  const a = member(t, { group, topic, name: 'a', strategy: 'range', instanceId: 'static-a', sessionTimeoutMs: staticSessionMs });
  const b = member(t, { group, topic, name: 'b', strategy: 'range', instanceId: 'static-b', sessionTimeoutMs: staticSessionMs });
  await until(() => splitsTopic([a, b]), settleMs, 'a and b to split the topic', detail([a, b]));
  const owned = b.assignment();
  const aEvents = a.events.length;

  await b.kill();
  const b2 = member(t, { group, topic, name: 'b2', strategy: 'range', instanceId: 'static-b', sessionTimeoutMs: staticSessionMs });
  await until(() => b2.assignment().length > 0, settleMs, 'the restarted static member to get partitions', detail([a, b2]));
  assert.deepEqual(b2.assignment(), owned, 'the restarted member has the partitions it had');
  assert.deepEqual(a.revokedSince(aEvents), [], 'a kept its partitions: no rebalance');

  const produced = await produce(topic, 'static', 60);
  await until(() => new Set(committedValues([a, b2])).size === produced.length, settleMs, 'every record committed', detail([a, b2]));
  assertExactlyOnce([a, b2], produced);
});
