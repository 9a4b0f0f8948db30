/**
 * `kb group reset-offsets GROUP --topic T (--to SPEC | --shift-by N)`:
 * moves the group's committed offsets for every partition of the topic.
 * SPEC is `earliest`, `latest`, an offset, or `@TIMESTAMP` (ms since the
 * epoch or an ISO-8601 date: the first offset at or after it, the log end
 * if none). --shift-by moves each committed offset by N (partitions without
 * a commit are an error). Targets are clamped to the partition's log start
 * and end, as Kafka's tool does.
 *
 * By default it only shows the plan (--dry-run); --execute commits it.
 * Refused while the group has members: the offsets of a running group are
 * its consumers' to move.
 */
import { Args, Flags } from '@oclif/core';
import type { Cluster } from '../../client/cluster.ts';
import { listOffsets, offsetSpec } from '../../client/consumer.ts';
import { GroupAdmin } from '../../client/groups.ts';
import { KbCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { confirmDestructive } from '../../cli/prompts.ts';
import { renderTable } from '../../cli/output.ts';
import { int64Max } from '../../protocol/wire-limits.ts';

type Target = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint } | { kind: 'timestamp'; ms: bigint } | { kind: 'shift'; by: bigint };

interface PlannedPartition {
  topic: string;
  partition: number;
  currentOffset: number | null;
  newOffset: number;
}

/** Parses --to; throws UsageError naming the accepted forms. */
export function parseResetTarget(spec: string): Target {
  if (spec === 'earliest') return { kind: 'earliest' };
  if (spec === 'latest') return { kind: 'latest' };
  if (/^\d+$/.test(spec)) return { kind: 'offset', offset: BigInt(spec) };
  if (spec.startsWith('@')) {
    const text = spec.slice(1);
    const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
    if (Number.isFinite(ms) && BigInt(ms) <= int64Max) return { kind: 'timestamp', ms: BigInt(ms) };
  }
  throw new UsageError(`--to ${spec}: expected earliest, latest, an offset, or @TIMESTAMP (ms since the epoch or an ISO-8601 date)`);
}

export default class GroupResetOffsets extends KbCommand {
  static override description = "Reset a consumer group's committed offsets for a topic (shows the plan unless --execute)";
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> group reset-offsets billing --topic orders --to earliest',
    '<%= config.bin %> group reset-offsets billing --topic orders --to @2024-05-01T00:00:00Z --execute',
    '<%= config.bin %> group reset-offsets billing --topic orders --shift-by -100 --execute',
  ];
  static override args = { group: Args.string({ description: 'group id', required: true }) };
  static override flags = {
    topic: Flags.string({ char: 't', description: 'topic whose partitions to reset', required: true }),
    to: Flags.string({ description: 'earliest | latest | OFFSET | @TIMESTAMP', exclusive: ['shift-by'] }),
    'shift-by': Flags.string({ description: 'move each committed offset by N (negative: back)', exclusive: ['to'] }),
    'dry-run': Flags.boolean({ description: 'only show the plan (the default)', exclusive: ['execute'] }),
    execute: Flags.boolean({ description: 'commit the new offsets', exclusive: ['dry-run'] }),
    yes: Flags.boolean({ char: 'y', description: 'with --execute: do not ask for the group id typed back', default: false }),
  };

  async run(): Promise<{ group: string; topic: string; executed: boolean; partitions: PlannedPartition[] }> {
    const { args, flags } = await this.parse(GroupResetOffsets);
    const target = this.target(flags.to, flags['shift-by']);
    const execute = flags.execute === true;
    const cluster = await this.cluster();
    const admin = new GroupAdmin(cluster);
    const group = await admin.describeGroup(args.group);
    if (group.state !== 'Empty' && group.state !== 'Dead') {
      throw new UserError(
        `group '${args.group}' is ${group.state} with ${group.members.length} active member(s): stop its consumers first, offsets can only be reset while the group is empty`,
      );
    }
    const committed = await admin.committedOffsets(args.group);
    const partitions = await plan(cluster, flags.topic, target, (p) => committed.find((c) => c.topic === flags.topic && c.partition === p)?.offset ?? null);
    if (execute) {
      await confirmDestructive({ yes: flags.yes, expected: args.group, action: `Resetting the committed offsets of group ${args.group} on ${flags.topic}` });
      await admin.commitOffsets(args.group, partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: BigInt(p.newOffset) })));
    }
    this.log(renderTable(['TOPIC', 'PARTITION', 'CURRENT', 'NEW'], partitions.map((p) => [p.topic, p.partition, p.currentOffset, p.newOffset])));
    this.log(execute ? `\nreset the offsets of group ${args.group}` : '\ndry run: nothing changed; add --execute to commit these offsets');
    return { group: args.group, topic: flags.topic, executed: execute, partitions };
  }

  private target(to: string | undefined, shiftBy: string | undefined): Target {
    if (to === undefined && shiftBy === undefined) throw new UsageError('say where to: --to earliest|latest|OFFSET|@TIMESTAMP or --shift-by N');
    if (to !== undefined) return parseResetTarget(to);
    if (!/^-?\d+$/.test(shiftBy!)) throw new UsageError(`--shift-by ${shiftBy}: expected a whole number`);
    return { kind: 'shift', by: BigInt(shiftBy!) };
  }
}

async function plan(cluster: Cluster, topic: string, target: Target, current: (partition: number) => bigint | null): Promise<PlannedPartition[]> {
  const metadata = (await cluster.refreshMetadata([topic])).topics.get(topic);
  if (!metadata || metadata.errorCode !== 0 || metadata.partitions.length === 0) throw new UserError(`topic '${topic}' does not exist`);
  const indexes = metadata.partitions.map((p) => p.partition);
  const [starts, ends, atTime] = await Promise.all([
    listOffsets(cluster, topic, indexes, offsetSpec.earliest),
    listOffsets(cluster, topic, indexes, offsetSpec.latest),
    target.kind === 'timestamp' ? listOffsets(cluster, topic, indexes, target.ms) : Promise.resolve(null),
  ]);
  return indexes.map((partition) => {
    const start = starts.get(partition)!;
    const end = ends.get(partition)!;
    const committed = current(partition);
    let wanted: bigint;
    switch (target.kind) {
      case 'earliest':
        wanted = start;
        break;
      case 'latest':
        wanted = end;
        break;
      case 'offset':
        wanted = target.offset;
        break;
      case 'timestamp': {
        const found = atTime!.get(partition)!;
        wanted = found < 0n ? end : found;
        break;
      }
      case 'shift':
        if (committed === null) throw new UserError(`group has no committed offset for ${topic}/${partition} to shift: use --to first`);
        wanted = committed + target.by;
    }
    const clamped = wanted < start ? start : wanted > end ? end : wanted;
    return { topic, partition, currentOffset: committed === null ? null : Number(committed), newOffset: Number(clamped) };
  });
}
