/**
 * `kb partitions reassign`: moves partitions between brokers
 * (AlterPartitionReassignments; the data is copied by normal replication
 * and the old replicas are dropped once the new ones are in sync).
 *
 * - `--topic T... --to 2,3,4`: a balanced plan (cli/balance-plan.ts,
 *   as `kb partitions balance` but over those brokers: it moves as little
 *   as it can) of every partition of the topics; a topic with more
 *   replicas per partition than there are brokers in --to is refused;
 *   `--plan FILE`: a saved or hand-written plan (Kafka's reassignment JSON).
 *   The plan is printed with the bytes each partition copies (its size on
 *   the leader times the replicas it gains); `--plan-out FILE` saves it,
 *   `--dry-run` stops there. Otherwise, confirmed (TTY question, or --yes;
 *   neither is exit 2), the current assignment of the partitions that
 *   change is written to `--rollback-out FILE` (default
 *   `kb-reassign-rollback-<time>.json`; `--plan` with it undoes the move)
 *   and the moves start (cli/reassignment-start.ts); `--wait` follows them to the end (cli/reassignment-watch.ts).
 *   `--throttle B` limits their copying to B bytes/s (the cluster-wide
 *   dynamic leader/follower.replication.throttled.rate, applied to replicas
 *   being added); `--wait`, or `--status` once nothing moves, clears it
 *   (and says so only when one was set).
 * - `--status`: the moves in progress (of --topic, or all).
 * - `--cancel`: cancels the moves in progress (of --topic, or all): those
 *   partitions return to their original replicas.
 */
import { Flags } from '@oclif/core';
import { readFile } from 'node:fs/promises';
import { Admin, type OngoingMove } from '../../client/admin.ts';
import type { TopicInfo } from '../../client/cluster.ts';
import { configSource } from '../../protocol/config-codes.ts';
import { errorName } from '../../protocol/errors.ts';
import { chooseBroker } from '../../cli/broker-id.ts';
import { KbCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { formatBytes, renderTable } from '../../cli/output.ts';
import { confirmChange } from '../../cli/prompts.ts';
import { planBalance, type PartitionAssignment } from '../../cli/balance-plan.ts';
import { addedReplicas, formatPlan, parsePlan } from '../../cli/reassignment-plan.ts';
import { watchMoves } from '../../cli/reassignment-watch.ts';
import { defaultRollbackFile, saveRollback, startMoves, writeAtomically } from '../../cli/reassignment-start.ts';

interface PlannedMove {
  topic: string;
  partition: number;
  current: number[];
  target: number[];
  adding: number[];
  /** Bytes copied: the partition's size times the replicas it gains (size -1: unknown, counted as 0). */
  bytes: number;
  sizeBytes: number;
}

const planFlags = ['to', 'plan', 'plan-out', 'dry-run', 'rollback-out', 'wait', 'throttle'];
const throttleConfigs = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'];

export default class PartitionsReassign extends KbCommand {
  static override description = 'Move partitions to other brokers (plan, execute, follow, cancel)';
  static override enableJsonFlag = true;
  // Written out: oclif's usage from the flags' overlapping exclusions came out with an empty alternative.
  static override usage = [
    'partitions reassign (--topic T... --to IDS | --plan FILE) [--dry-run] [--plan-out FILE] [--yes] [--rollback-out FILE] [--wait] [--throttle B/S]',
    'partitions reassign --status [--topic T...]',
    'partitions reassign --cancel [--topic T...]',
  ];
  static override examples = [
    '<%= config.bin %> partitions reassign --topic orders --to 2,3,4 --dry-run --plan-out move.json',
    '<%= config.bin %> partitions reassign --plan move.json --yes --wait',
    '<%= config.bin %> partitions reassign --status',
    '<%= config.bin %> partitions reassign --cancel --topic orders',
  ];
  static override flags = {
    topic: Flags.string({ char: 't', description: 'topic to move (repeatable); with --status/--cancel: only these', multiple: true }),
    to: Flags.string({ description: 'target broker ids, e.g. 2,3,4: a balanced plan over them (needs --topic)' }),
    plan: Flags.string({ description: 'execute this plan file (Kafka reassignment JSON)', exclusive: ['to', 'topic'] }),
    'plan-out': Flags.string({ description: 'save the plan to this file' }),
    'dry-run': Flags.boolean({ description: 'print the plan and stop', default: false }),
    'rollback-out': Flags.string({ description: 'where to save the current assignment (default kb-reassign-rollback-<time>.json)' }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (needed without a TTY)', default: false }),
    wait: Flags.boolean({ description: 'follow the moves until they are done', default: false }),
    throttle: Flags.integer({ description: 'limit the copying to this many bytes/s per broker (cleared when --wait sees the moves done)', min: 1 }),
    status: Flags.boolean({ description: 'list the moves in progress', default: false, exclusive: ['cancel', ...planFlags] }),
    cancel: Flags.boolean({ description: 'cancel the moves in progress', default: false, exclusive: ['status', ...planFlags] }),
  };

  async run() {
    const { flags } = await this.parse(PartitionsReassign);
    const topics = flags.topic ? [...new Set(flags.topic)] : null;
    if (flags.status) return { reassignments: await this.status(topics) };
    if (flags.cancel) return { cancelled: await this.cancel(topics) };
    if (!flags.plan && !flags.to) throw new UsageError('say what to move: --topic T --to IDS, or --plan FILE (or --status, --cancel)');
    if (flags.to && !topics) throw new UsageError('--to needs at least one --topic');
    const admin = new Admin(await this.cluster());
    const entries = flags.plan ? await readPlan(flags.plan) : await this.balanced(admin, topics!, parseBrokerList(flags.to!));
    const moves = await planMoves(admin, entries);
    const changing = moves.filter((m) => !sameList(m.current, m.target));
    const totalBytes = changing.reduce((n, m) => n + m.bytes, 0);
    this.log(
      renderTable(
        ['TOPIC', 'PARTITION', 'CURRENT', 'TARGET', 'COPY'],
        moves.map((m) => [m.topic, m.partition, m.current.join(','), m.target.join(','), m.sizeBytes < 0 && m.adding.length > 0 ? '?' : formatBytes(m.bytes)]),
      ),
    );
    this.log(`${changing.length} of ${moves.length} partition(s) change; ${formatBytes(totalBytes)} to copy`);
    const result = { plan: moves, totalBytes, planFile: flags['plan-out'] ?? null, rollbackFile: null as string | null, executed: false };
    if (flags['plan-out']) {
      await writeAtomically(flags['plan-out'], formatPlan(entries));
      this.log(`plan saved to ${flags['plan-out']}`);
    }
    if (flags['dry-run'] || changing.length === 0) return result;

    await confirmChange({ yes: flags.yes, action: `Reassign ${changing.length} partition(s), copying ${formatBytes(totalBytes)}` });
    const rollbackFile = flags['rollback-out'] ?? defaultRollbackFile();
    await saveRollback(changing, rollbackFile, (line) => this.log(line));
    if (flags.throttle !== undefined) {
      await admin.alterClusterBrokerConfigs(throttleConfigs.map((name) => ({ name, value: String(flags.throttle) })));
      this.log(`replication throttled to ${formatBytes(flags.throttle)}/s until --wait or --status sees no moves in progress`);
    }
    await startMoves(admin, changing);
    this.log(`started ${changing.length} move(s)${flags.wait ? '' : '; follow them with kb partitions reassign --status'}`);
    if (flags.wait) {
      await watchMoves(admin, changing.map((m) => ({ topic: m.topic, partition: m.partition, adding: m.adding, sizeBytes: m.sizeBytes })));
      this.log('reassignment complete');
      if (flags.throttle !== undefined) await this.clearThrottle(admin);
    }
    return { ...result, rollbackFile, executed: true };
  }

  private async balanced(admin: Admin, topics: string[], brokerIds: number[]): Promise<PartitionAssignment[]> {
    const infos = await Promise.all(topics.map((name) => admin.describeTopic(name).catch((err: Error) => Promise.reject(new UserError(err.message)))));
    const brokers = (await this.cluster()).metadata!.brokers;
    const unknown = brokerIds.filter((id) => !brokers.has(id));
    if (unknown.length > 0) throw new UserError(`--to: broker(s) ${unknown.join(',')} are not live (kb cluster info lists the brokers)`);
    const current = infos.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition, replicas: p.replicas })));
    let plan;
    try {
      plan = planBalance(current, brokerIds.map((id) => ({ nodeId: id, rack: brokers.get(id)!.rack })));
    } catch (err) {
      throw new UserError((err as Error).message);
    }
    // Every partition of the topics, those that stay as they are too (the printed plan and --plan-out list them all).
    const moved = new Map(plan.partitions.map((p) => [`${p.topic}\0${p.partition}`, p]));
    return current.map((p) => moved.get(`${p.topic}\0${p.partition}`) ?? p);
  }

  /** Removes the replication throttle (as Kafka's --verify does once the moves are done). */
  private async clearThrottle(admin: Admin): Promise<void> {
    await admin.alterClusterBrokerConfigs(throttleConfigs.map((name) => ({ name, value: null })));
    this.log('replication throttle cleared');
  }

  /** Whether a cluster-wide replication throttle (what --throttle sets) is in force. */
  private async throttled(admin: Admin): Promise<boolean> {
    const configs = await admin.describeBrokerConfigs(await chooseBroker(await this.cluster(), undefined));
    return configs.some((c) => throttleConfigs.includes(c.name) && c.source === configSource.dynamicDefaultBroker);
  }

  private async status(topics: string[] | null): Promise<OngoingMove[]> {
    const admin = new Admin(await this.cluster());
    const ongoing = await admin.listPartitionReassignments(topics);
    if (ongoing.length === 0) {
      this.log('no reassignments in progress');
      if (topics === null && (await this.throttled(admin))) await this.clearThrottle(admin);
    } else {
      this.log(
        renderTable(
          ['TOPIC', 'PARTITION', 'REPLICAS', 'ADDING', 'REMOVING'],
          ongoing.map((o) => [o.topic, o.partition, o.replicas.join(','), o.addingReplicas.join(',') || null, o.removingReplicas.join(',') || null]),
        ),
      );
    }
    return ongoing;
  }

  private async cancel(topics: string[] | null): Promise<{ topic: string; partition: number }[]> {
    const admin = new Admin(await this.cluster());
    const ongoing = await admin.listPartitionReassignments(topics);
    if (ongoing.length === 0) {
      this.log('no reassignments in progress');
      return [];
    }
    const results = await admin.alterPartitionReassignments(ongoing.map((o) => ({ topic: o.topic, partition: o.partition, replicas: null })));
    const cancelled = results.filter((r) => r.errorCode === 0);
    for (const r of cancelled) this.log(`cancelled ${r.topic}/${r.partition}`);
    // A move that finished between the listing and the cancel has nothing left to cancel.
    const failed = results.filter((r) => r.errorCode !== 0 && errorName(r.errorCode) !== 'NO_REASSIGNMENT_IN_PROGRESS');
    if (failed.length > 0) throw new UserError(failed.map((r) => `cannot cancel ${r.topic}/${r.partition}: ${r.errorMessage ?? errorName(r.errorCode)}`).join('\n'));
    return cancelled.map((r) => ({ topic: r.topic, partition: r.partition }));
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => b[i] === id);
}

function parseBrokerList(text: string): number[] {
  const ids = text.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--to ${text}: expected broker ids separated by commas, e.g. 2,3,4`);
  const numbers = ids.map(Number);
  if (new Set(numbers).size !== numbers.length) throw new UsageError(`--to ${text}: a broker is named twice`);
  return numbers;
}

async function readPlan(file: string): Promise<PartitionAssignment[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read plan ${file}: ${(err as Error).message}`);
  }
  try {
    return parsePlan(text);
  } catch (err) {
    throw new UserError(`plan ${file}: ${(err as Error).message}`);
  }
}

/** Each plan entry with the partition's current replicas and the bytes it copies. */
async function planMoves(admin: Admin, entries: readonly PartitionAssignment[]): Promise<PlannedMove[]> {
  const topics = new Map<string, { info: TopicInfo; sizes: Map<number, number> }>();
  for (const name of new Set(entries.map((e) => e.topic))) {
    const info = await admin.describeTopic(name).catch((err: Error) => Promise.reject(new UserError(err.message)));
    topics.set(name, { info, sizes: await admin.partitionSizes(info) });
  }
  return entries.map((e) => {
    const { info, sizes } = topics.get(e.topic)!;
    const current = info.partitions.find((p) => p.partition === e.partition);
    if (!current) throw new UserError(`topic '${e.topic}' has no partition ${e.partition}`);
    const adding = addedReplicas(current.replicas, e.replicas);
    const sizeBytes = sizes.get(e.partition) ?? -1;
    return { topic: e.topic, partition: e.partition, current: current.replicas, target: e.replicas, adding, bytes: adding.length * Math.max(sizeBytes, 0), sizeBytes };
  });
}
