/**
 * `kb group reset-offsets GROUP (--topic T[:P,...]... | --all-topics)
 * (--to SPEC | --shift-by N)`, or `GROUP --from-file CSV`: moves the
 * group's committed offsets for every partition of the topics (or those
 * listed after ':'; --all-topics: every partition the group has a
 * committed offset of), as kafka-consumer-groups.sh --reset-offsets does.
 * SPEC is an offset spec as `kb consume -o` takes (cli/offset-spec.ts:
 * earliest, latest, N, -N, @TIMESTAMP as ms, an ISO-8601 date or @-10m).
 * --shift-by moves each committed offset by N (partitions without a commit
 * are an error). --from-file takes the offsets of each partition from
 * `TOPIC,PARTITION,OFFSET` lines (src/cli/offsets-csv.ts), which --export
 * writes instead of the table. Targets are clamped to the partition's log
 * start and end, as Kafka's tool does.
 *
 * It shows the plan (the offsets table) first; by default (--dry-run)
 * nothing more, with --execute it then asks (or takes --yes) and commits it.
 * Refused while the group has members: the offsets of a running group are
 * its consumers' to move. The planning is cli/offset-reset-plan.ts's,
 * shared with `kb console`.
 */
import { Args, Flags } from '@oclif/core';
import { readFile } from 'node:fs/promises';
import { GroupAdmin } from '../../client/groups.ts';
import { KbCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { confirmDestructive } from '../../cli/prompts.ts';
import { renderTable } from '../../cli/output.ts';
import { offsetSpecForms, parseOffsetSpec, type OffsetSpec } from '../../cli/offset-spec.ts';
import { parseResetSelection, planOffsetReset, type PlannedPartition, type ResetTarget } from '../../cli/offset-reset-plan.ts';
import { offsetsCsv, parseOffsetsCsv } from '../../cli/offsets-csv.ts';

/** Parses --to; a bad one is a UsageError naming the accepted forms. */
export function parseResetTarget(spec: string, now = Date.now()): OffsetSpec {
  try {
    return parseOffsetSpec(spec, now);
  } catch {
    throw new UsageError(`--to ${spec}: ${offsetSpecForms}`);
  }
}

export default class GroupResetOffsets extends KbCommand {
  static override description = "Reset a consumer group's committed offsets (shows the plan unless --execute)";
  static override enableJsonFlag = true;
  // Written out: oclif's usage from the flags' overlapping exclusions came out with an empty alternative.
  static override usage = [
    'group reset-offsets GROUP (--topic T[:P,...]... | --all-topics) (--to SPEC | --shift-by N) [--export] [--dry-run | --execute [--yes]]',
    'group reset-offsets GROUP --from-file CSV [--export] [--dry-run | --execute [--yes]]',
  ];
  static override examples = [
    '<%= config.bin %> group reset-offsets billing --topic orders --to earliest',
    '<%= config.bin %> group reset-offsets billing --topic orders --to @2024-05-01T00:00:00Z --execute',
    '<%= config.bin %> group reset-offsets billing --topic orders --shift-by -100 --execute',
    '<%= config.bin %> group reset-offsets billing --topic orders:0,2 --to latest',
    '<%= config.bin %> group reset-offsets billing --all-topics --to @-1h --export > before.csv',
    '<%= config.bin %> group reset-offsets billing --from-file before.csv --execute --yes',
  ];
  static override args = { group: Args.string({ description: 'group id', required: true }) };
  static override flags = {
    topic: Flags.string({ char: 't', description: 'topic to reset, TOPIC or TOPIC:PARTITION,... (repeatable)', multiple: true, multipleNonGreedy: true, exclusive: ['all-topics', 'from-file'] }),
    'all-topics': Flags.boolean({ description: 'every partition the group has a committed offset of', exclusive: ['topic', 'from-file'] }),
    to: Flags.string({ description: 'earliest | latest | N | -N | @TIMESTAMP (ms, ISO-8601 or -10m)', exclusive: ['shift-by', 'from-file'] }),
    'shift-by': Flags.string({ description: 'move each committed offset by N (negative: back)', exclusive: ['to', 'from-file'] }),
    'from-file': Flags.string({ description: 'the offsets from a CSV file of TOPIC,PARTITION,OFFSET lines (as --export writes)', exclusive: ['to', 'shift-by'] }),
    export: Flags.boolean({ description: 'print the plan as TOPIC,PARTITION,OFFSET lines (for --from-file) instead of a table', default: false }),
    'dry-run': Flags.boolean({ description: 'only show the plan (the default)', exclusive: ['execute'] }),
    execute: Flags.boolean({ description: 'commit the new offsets', exclusive: ['dry-run'] }),
    yes: Flags.boolean({ char: 'y', description: 'with --execute: do not ask for the group id typed back', default: false }),
  };

  async run(): Promise<{ group: string; executed: boolean; partitions: PlannedPartition[] }> {
    const { args, flags } = await this.parse(GroupResetOffsets);
    const target = await this.target(flags.to, flags['shift-by'], flags['from-file']);
    if (target.kind !== 'file' && flags.topic === undefined && !flags['all-topics']) throw new UsageError('say which topics: --topic T[:P,...] or --all-topics');
    const execute = flags.execute === true;
    const cluster = await this.cluster();
    const admin = new GroupAdmin(cluster);
    const partitions = await planOffsetReset(cluster, args.group, flags.topic?.map(parseResetSelection) ?? null, target);
    // The plan first, so the question is asked about offsets the user can see.
    if (flags.export) process.stdout.write(offsetsCsv(partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.newOffset }))));
    else this.log(renderTable(['TOPIC', 'PARTITION', 'CURRENT', 'NEW'], partitions.map((p) => [p.topic, p.partition, p.currentOffset, p.newOffset])));
    if (execute) {
      const topics = [...new Set(partitions.map((p) => p.topic))].join(', ');
      await confirmDestructive({ yes: flags.yes, expected: args.group, action: `Resetting the committed offsets of group ${args.group} on ${topics}` });
      await admin.commitOffsets(args.group, partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: BigInt(p.newOffset) })));
    }
    const outcome = execute ? `reset the offsets of group ${args.group}` : 'dry run: nothing changed; add --execute to commit these offsets';
    if (flags.export) this.logToStderr(outcome);
    else this.log(`\n${outcome}`);
    return { group: args.group, executed: execute, partitions };
  }

  private async target(to: string | undefined, shiftBy: string | undefined, file: string | undefined): Promise<ResetTarget> {
    if (file !== undefined) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new UserError(`cannot read --from-file ${file}: ${(err as Error).message}`);
      }
      try {
        return { kind: 'file', offsets: parseOffsetsCsv(text) };
      } catch (err) {
        throw new UserError(`--from-file ${file}: ${(err as Error).message}`);
      }
    }
    if (to === undefined && shiftBy === undefined) throw new UsageError('say where to: --to earliest|latest|N|-N|@TIMESTAMP, --shift-by N or --from-file CSV');
    if (to !== undefined) return parseResetTarget(to);
    if (!/^-?\d+$/.test(shiftBy!)) throw new UsageError(`--shift-by ${shiftBy}: expected a whole number`);
    return { kind: 'shift', by: BigInt(shiftBy!) };
  }
}
