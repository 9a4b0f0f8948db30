/**
 * Burrow (LinkedIn's lag monitor, Debian `burrow`, with its ZooKeeper)
 * against a real `kb broker start` and a real 3-node cluster: Burrow reads
 * `__consumer_offsets` directly, so it finds a group only when kb writes
 * Kafka's record schemas there. A group commits offsets through a real
 * client (kcat's balanced consumer: 4 of 10 records read and committed),
 * `kb group describe` confirms the commit, and Burrow's HTTP API must
 * report the group with the same committed offset and a lag of 6.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../helpers/broker.ts';
import { startBurrow, type BurrowPartitionLag } from '../helpers/burrow.ts';
import { runKb } from '../helpers/cli.ts';
import { startCluster } from '../helpers/cluster.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { uniqueTopic } from '../helpers/records.ts';
import { requireTool, tools } from '../helpers/tools.ts';

const recordCount = 10;
const consumed = 4;
/** How long Burrow may take to read the commit and the log end (it refreshes every 2 s). */
const burrowDeadlineMs = 90_000;

function haveTools(t: TestContext): boolean {
  return requireTool(t, tools.burrow) && requireTool(t, tools.zookeeper) && requireTool(t, tools.kcat);
}

/** A topic of one partition holding `recordCount` records, and a group that read and committed `consumed` of them. */
async function committedGroup(bootstrap: string, replicationFactor: number): Promise<{ topic: string; group: string }> {
  const topic = uniqueTopic('burrow');
  const group = `${topic}-group`;
  const created = await runKb(['topic', 'create', topic, '--partitions', '1', '--rf', String(replicationFactor), '-b', bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  const values = Array.from({ length: recordCount }, (_, i) => `v${i}`);
  await kcatOk(['-b', bootstrap, '-P', '-t', topic], { input: `${values.join('\n')}\n` });
  await kcatOk(['-b', bootstrap, '-G', group, '-X', 'auto.offset.reset=earliest', '-c', String(consumed), topic]);
  const described = await runKb(['group', 'describe', group, '--json', '-b', bootstrap]);
  assert.equal(described.code, 0, described.stderr);
  const partitions = (JSON.parse(described.stdout) as { partitions: { committedOffset: number; lag: number }[] }).partitions;
  assert.deepEqual(partitions.map((p) => [p.committedOffset, p.lag]), [[consumed, recordCount - consumed]], 'kcat committed its position');
  return { topic, group };
}

/** Waits until Burrow reports the group's commit and lag, or fails with what Burrow saw and said. */
async function assertBurrowReports(t: TestContext, brokers: string[], topic: string, group: string): Promise<void> {
  const burrow = await startBurrow(brokers);
  t.after(() => burrow.stop());
  const deadline = Date.now() + burrowDeadlineMs;
  let seen: BurrowPartitionLag[] | null = null;
  for (;;) {
    seen = await burrow.lag(group);
    const partition = seen?.find((p) => p.topic === topic && p.partition === 0);
    if (partition?.end?.offset === consumed && partition.current_lag === recordCount - consumed) return;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const groups = await burrow.consumers();
  const decodeFailures = burrow.log().split('\n').filter((line) => line.includes('failed to decode')).slice(0, 5);
  assert.fail(
    `Burrow did not report group ${group} at offset ${consumed} with lag ${recordCount - consumed} within ${burrowDeadlineMs} ms: ` +
      `it knows groups ${JSON.stringify(groups)}, lag ${JSON.stringify(seen)}\n` +
      `its first records it could not decode:\n${decodeFailures.join('\n')}\n${burrow.log().slice(-6000)}`,
  );
}

test("Burrow finds a group in a broker's __consumer_offsets and reports its lag", { timeout: 240_000 }, async (t) => {
  if (!haveTools(t)) return;
  const broker = await startBroker({ sets: { 'group.initial.rebalance.delay.ms': 0 } });
  t.after(() => broker.stop());
  const { topic, group } = await committedGroup(broker.address, 1);
  await assertBurrowReports(t, [broker.address], topic, group);
});

test("Burrow finds a group in a 3-node cluster's __consumer_offsets and reports its lag", { timeout: 300_000 }, async (t) => {
  if (!haveTools(t)) return;
  const cluster = await startCluster({ nodes: 3, sets: { 'group.initial.rebalance.delay.ms': 0 } });
  t.after(() => cluster.stop());
  const { topic, group } = await committedGroup(cluster.bootstrap, 3);
  await assertBurrowReports(t, cluster.nodeIds.map((id) => cluster.address(id)), topic, group);
});
