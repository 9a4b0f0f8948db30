/**
 * Upgrade over real sockets: a data dir written by kb before
 * `__consumer_offsets` held Kafka's record schemas
 * (test/fixtures/offsets-msgpack-data-dir, written by that kb: topic
 * `upgraded` with 10 records; group `kept` committed 4 on partition 0;
 * group `deleted` committed 6 and was then deleted, so its records end in
 * tombstones) keeps its committed offsets under today's broker, which
 * rewrites the msgpack records in Kafka's format once: after a restart
 * nothing is left to rewrite and the offsets are still there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../../helpers/broker.ts';
import { runKb } from '../../helpers/cli.ts';
import { repoRoot } from '../../helpers/tools.ts';

const fixture = path.join(repoRoot, 'test/fixtures/offsets-msgpack-data-dir');
const rewriteLine = /loaded __consumer_offsets-\d+ .*\(rewriting (\d+) records of kb's earlier msgpack format in Kafka's\)/g;

interface Described {
  partitions: { topic: string; partition: number; committedOffset: number | null; lag: number | null }[];
}

/** `kb group describe --json`, retried while the coordinator is still loading (generous deadline for a loaded machine). */
async function describeGroup(broker: RunningBroker, group: string): Promise<Described> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await runKb(['group', 'describe', group, '--json', '-b', broker.address]);
    if (result.code === 0) return JSON.parse(result.stdout) as Described;
    if (Date.now() > deadline) assert.fail(`kb group describe ${group} kept failing:\n${result.stderr}\n--- broker ---\n${broker.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function groupIds(broker: RunningBroker): Promise<string[]> {
  const listed = await runKb(['group', 'list', '--json', '-b', broker.address]);
  assert.equal(listed.code, 0, listed.stderr);
  return (JSON.parse(listed.stdout) as { groups: { groupId: string }[] }).groups.map((g) => g.groupId).sort();
}

async function assertOffsetsKept(broker: RunningBroker): Promise<void> {
  const kept = await describeGroup(broker, 'kept');
  assert.deepEqual(
    kept.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.lag]),
    [['upgraded', 0, 4, 6]],
    broker.log(),
  );
  assert.deepEqual(await groupIds(broker), ['kept'], 'the deleted group stays deleted');
}

test("a data dir with __consumer_offsets in kb's earlier msgpack format keeps its committed offsets, rewritten in Kafka's format once", async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'kb-offsets-upgrade-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  await cp(fixture, dataDir, { recursive: true });

  const first = await startBroker({ dataDir });
  t.after(() => first.stop());
  await assertOffsetsKept(first);
  const rewrites = [...first.log().matchAll(rewriteLine)].map((m) => Number(m[1]));
  assert.deepEqual(rewrites, [2], `the offset and the group state of 'kept' are rewritten:\n${first.log()}`);
  await first.stop();

  const second = await startBroker({ dataDir });
  t.after(() => second.stop());
  await assertOffsetsKept(second);
  assert.doesNotMatch(second.log(), rewriteLine, 'nothing is left to rewrite after the upgrade');
  assert.doesNotMatch(second.log(), /unreadable records skipped/);
});
