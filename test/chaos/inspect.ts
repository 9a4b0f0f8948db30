/**
 * What the fault suite asks the cluster, from outside as an operator would:
 * leaders, the active controller and the group or transaction coordinator
 * through kb's CLI
 * (`--json`; null when the cluster does not answer in time), who leads what
 * (a topic's partitions and their leader epochs, the live brokers, the
 * metadata quorum's epoch) as a `leadership` event, waiting for
 * every partition to have a leader and a full ISR, waiting for no
 * transaction to be open on a topic (`kb txn find-hanging`), the final
 * complete read of every partition at an isolation level (kcat, log start
 * to high watermark, or to the last stable offset) as `read` events,
 * and each stopped node's replicas (`kb log dump --records --json` of every
 * segment, high watermark and log start from partition.checkpoint) as
 * `replica` events. Every external run is bounded by a timeout.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../helpers/process.ts';
import { repoRoot } from '../helpers/tools.ts';
import { partitionForGroup } from '../../src/broker/group/offset-store.ts';
import { readPartitionCheckpoint } from '../../src/storage/checkpoint.ts';
import { nodeStorageFs } from '../../src/storage/fs.ts';
import type { Isolation } from './history.ts';
import type { Recorder } from './recorder.ts';

const kbTimeoutMs = 5000;
/** How long `recordLeadership` keeps asking while the cluster does not answer. */
const leadershipDeadlineMs = 20_000;

/** Runs `kb ARGS --json`: its parsed output, or an Error with its stderr. */
async function kbOrError<T>(args: string[], timeoutMs = 20_000): Promise<T | Error> {
  const result = await run(process.execPath, [path.join(repoRoot, 'bin/run.js'), ...args, '--json'], { timeoutMs });
  if (result.code !== 0) return new Error(`kb ${args.join(' ')}: ${result.timedOut ? 'timed out' : result.stderr.trim()}`);
  return JSON.parse(result.stdout) as T;
}

async function kb<T>(args: string[], timeoutMs?: number): Promise<T | null> {
  const result = await kbOrError<T>(args, timeoutMs);
  return result instanceof Error ? null : result;
}

interface TopicDescription {
  partitions: { partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[] }[];
}

function describeTopic(bootstrap: string, topic: string): Promise<TopicDescription | null> {
  return kb<TopicDescription>(['topic', 'describe', topic, '-b', bootstrap, '--timeout', String(kbTimeoutMs)]);
}

/** The leader of `partition` of `topic`, or null when none is known. */
export async function leaderOf(bootstrap: string, topic: string, partition: number): Promise<number | null> {
  const leader = (await describeTopic(bootstrap, topic))?.partitions.find((p) => p.partition === partition)?.leader;
  return leader === undefined || leader < 0 ? null : leader;
}

export async function activeController(bootstrap: string): Promise<number | null> {
  const info = await kb<{ controllerId: number }>(['cluster', 'info', '-b', bootstrap, '--timeout', String(kbTimeoutMs)]);
  return info && info.controllerId >= 0 ? info.controllerId : null;
}

/**
 * The coordinator of a group (`__consumer_offsets`) or a transactional id (`__transaction_state`):
 * the leader of the internal topic's partition that `key` hashes to.
 */
export async function coordinatorOf(bootstrap: string, internalTopic: '__consumer_offsets' | '__transaction_state', key: string): Promise<number | null> {
  const internal = await describeTopic(bootstrap, internalTopic);
  if (!internal) return null;
  return leaderOf(bootstrap, internalTopic, partitionForGroup(key, internal.partitions.length));
}

/**
 * Records who leads what: each partition of `topic`, the live brokers and the metadata quorum's epoch,
 * asked again every half second while any of them goes unanswered (an election under way), for at most
 * `leadershipDeadlineMs`; what is still unanswered then is null. Stamped when the recorded answers were asked.
 */
export async function recordLeadership(bootstrap: string, topic: string, recorder: Recorder): Promise<void> {
  const timeout = ['-b', bootstrap, '--timeout', String(kbTimeoutMs)];
  const deadline = performance.now() + leadershipDeadlineMs;
  for (;;) {
    const t = recorder.now();
    const [description, info, quorum] = await Promise.all([
      describeTopic(bootstrap, topic),
      kb<{ brokers: { nodeId: number; status: string }[] }>(['cluster', 'info', ...timeout]),
      kb<{ leaderEpoch: number }>(['cluster', 'quorum', ...timeout]),
    ]);
    const answered = description !== null && info !== null && quorum !== null;
    if (!answered && performance.now() < deadline) {
      await sleep(500);
      continue;
    }
    const partitions = description?.partitions.map((p) => ({ topic, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch })) ?? null;
    const brokers = info?.brokers.filter((b) => b.status === 'up').map((b) => b.nodeId) ?? null;
    recorder.record({ type: 'leadership', partitions, brokers, quorumEpoch: quorum?.leaderEpoch ?? null }, t);
    return;
  }
}

/** Waits until every partition of `topic` has a leader and all `replicas` in its ISR: null then, or what was last seen when `deadlineMs` passes first. */
export async function waitSettled(bootstrap: string, topic: string, replicas: number, deadlineMs: number): Promise<string | null> {
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    const description = await kbOrError<TopicDescription>(['topic', 'describe', topic, '-b', bootstrap, '--timeout', String(kbTimeoutMs)]);
    if (!(description instanceof Error) && description.partitions.every((p) => p.leader >= 0 && p.isr.length === replicas)) return null;
    if (performance.now() > deadline) {
      if (description instanceof Error) return description.message;
      return description.partitions.map((p) => `partition ${p.partition}: leader ${p.leader}, isr [${p.isr.join(',')}]`).join('; ');
    }
    await sleep(500);
  }
}

/** Waits until no transaction is open on `topics`: null then, or what was last seen when `deadlineMs` passes first. */
export async function waitNoOpenTransactions(bootstrap: string, topics: string[], deadlineMs: number): Promise<string | null> {
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    const found = await kbOrError<{ hanging: { topic: string; partition: number; producerId: number; startOffset: number }[] }>(
      ['txn', 'find-hanging', ...topics.flatMap((topic) => ['--topic', topic]), '--max-age', '0', '-b', bootstrap, '--timeout', String(kbTimeoutMs)],
    );
    if (!(found instanceof Error) && found.hanging.length === 0) return null;
    if (performance.now() > deadline) {
      if (found instanceof Error) return found.message;
      return found.hanging.map((h) => `${h.topic}-${h.partition}: producer ${h.producerId} open from offset ${h.startOffset}`).join('; ');
    }
    await sleep(500);
  }
}

/** A record of the final read. */
export interface ReadRecord { partition: number; offset: number; value: string }

/**
 * The final complete read at `isolation`: every record of every partition from its log start to its
 * high watermark (read_uncommitted) or last stable offset (read_committed).
 */
export async function finalRead(bootstrap: string, topic: string, isolation: Isolation): Promise<ReadRecord[]> {
  const args = ['-b', bootstrap, '-X', `isolation.level=${isolation}`, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %s\\n'];
  const result = await run('kcat', args, { timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`the final read failed: ${result.timedOut ? 'timed out' : result.stderr.trim()}`);
  return result.stdout.split('\n').filter((line) => line !== '').map((line) => {
    const [partition, offset, ...value] = line.split(' ');
    return { partition: Number(partition), offset: Number(offset), value: value.join(' ') };
  });
}

interface SegmentDump {
  entries: { control: boolean; valid: boolean; records?: { offset: number; value: string | null }[] }[];
}

/** Records one `replica` event per partition directory of `topic` under `dataDir` (a stopped node's). */
export async function dumpReplicas(node: number, dataDir: string, topic: string, recorder: Recorder): Promise<void> {
  const logs = path.join(dataDir, 'logs');
  // `<topic>-<partition>` only: not another topic whose name starts with this one's and a dash.
  for (const name of (await readdir(logs)).filter((n) => n.startsWith(`${topic}-`) && /^\d+$/.test(n.slice(topic.length + 1)))) {
    const dir = path.join(logs, name);
    const partition = Number(name.slice(topic.length + 1));
    const records: [number, string | null][] = [];
    for (const segment of (await readdir(dir)).filter((f) => f.endsWith('.log')).sort()) {
      const dump = await kb<SegmentDump>(['log', 'dump', '--records', path.join(dir, segment)], 60_000);
      if (!dump) throw new Error(`kb log dump failed on ${path.join(dir, segment)}`);
      for (const entry of dump.entries) {
        if (entry.control || !entry.valid) continue;
        for (const record of entry.records ?? []) records.push([record.offset, record.value]);
      }
    }
    const checkpoint = await readPartitionCheckpoint(nodeStorageFs, dir);
    recorder.record({
      type: 'replica',
      node,
      partition,
      highWatermark: checkpoint?.highWatermark ?? 0,
      logStartOffset: checkpoint?.logStartOffset ?? 0,
      records,
    });
  }
}
