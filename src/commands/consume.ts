/**
 * `kb consume TOPIC...`: prints records, one per line, value only by
 * default; -f for a format string (src/cli/formats.ts) or --json for
 * lossless JSON Lines (src/cli/json-records.ts). Reads every partition (or
 * -p) from -o until interrupted, -n records were printed, or with -e the
 * end as it was when each partition was reached. With -g it reads as a
 * member of a consumer group (src/client/group-member.ts): the group's
 * partitions for this member, from its committed offsets, committing what
 * was printed; -e and -n work the same. Each fetch's records are written
 * at once; when stdout closes (`| head`) the CLI ends quietly with exit 0
 * (src/cli/stdout.ts), within about a second on an idle topic too
 * (src/cli/stdout-reader.ts). A topic argument starting with '^' is a regular
 * expression of topic names (src/cli/topic-arguments.ts), matched once at
 * the start; an invalid name is a usage error, a missing topic or a pattern
 * matching none an error naming it. An -o offset past a partition's end
 * starts at the end and says so on stderr. With stdout redirected and
 * stderr a TTY, a progress bar goes to stderr.
 * --isolation read_committed (the default, as librdkafka's) reads
 * committed transactions only, up to the last stable offset (-o end and -e
 * mean that offset); read_uncommitted every record up to the high watermark.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Args, Flags } from '@oclif/core';
import type { Cluster } from '../client/cluster.ts';
import { knownTopic, noSuchPartition } from '../client/known-topic.ts';
import { Consumer, type Assignment, type ConsumedRecord, type IsolationLevel, listOffsets, offsetSpec } from '../client/consumer.ts';
import { GroupMembership } from '../client/group-member.ts';
import type { GroupOffset, TopicPartitions } from '../client/groups.ts';
import { KbCommand, UsageError, UserError } from '../cli/kb-command.ts';
import { compileFormat, defaultFormat, type RecordFormatter } from '../cli/formats.ts';
import { recordToJson } from '../cli/json-records.ts';
import { parseOffsetRange, resolveOffsetSpec, type OffsetRange, type OffsetSpec } from '../cli/offset-spec.ts';
import { Progress } from '../cli/progress.ts';
import { parseTopicArguments, selectTopics, type TopicArgument } from '../cli/topic-arguments.ts';
import { writeStdout } from '../cli/stdout.ts';
import { watchStdoutReader } from '../cli/stdout-reader.ts';
import { int32Max } from '../protocol/wire-limits.ts';

/** How often a group member without partitions checks for a rebalance. */
const idleWaitMs = 200;

interface Session {
  format: RecordFormatter;
  /** Each partition ends at its first record at or after this time (-o e@T; null: none). */
  endTimestamp: bigint | null;
  isolation: IsolationLevel;
  limit: number | undefined;
  exitAtEnd: boolean;
  printed: number;
  stopped: boolean;
  progress: Progress | null;
}

/** The records before each partition's first record at or after `end`; a partition reaching it is read no more. */
function beforeEndTime(records: ConsumedRecord[], end: bigint, consumer: Consumer): ConsumedRecord[] {
  const ended = new Set<string>();
  return records.filter((r) => {
    const id = `${r.topic}\0${r.partition}`;
    if (ended.has(id)) return false;
    if (r.timestamp < end) return true;
    ended.add(id);
    consumer.release(r.topic, r.partition);
    return false;
  });
}

/** The offset after the last record of each partition in `records`: what a group commits. */
function nextOffsets(records: ConsumedRecord[]): GroupOffset[] {
  const next = new Map<string, GroupOffset>();
  for (const r of records) next.set(`${r.topic}\0${r.partition}`, { topic: r.topic, partition: r.partition, offset: r.offset + 1n });
  return [...next.values()];
}

export default class Consume extends KbCommand {
  static override description = `Print records of topics, one per line (the value, by default)

-f takes a format string: %t topic, %p partition, %o offset, %k key, %v value, %h headers (k=v,...), %d timestamp (ms), %% a '%'; \\n \\t escapes; kcat's %s (value), %T (timestamp), %S and %K (value and key length, -1 for null), %R (value length as 4 big-endian bytes). rpk-style modifiers re-encode a key or value: %v{json} (a JSON string, {"base64":"..."} or null, as --json writes it), %k{hex}, %v{base64}.
--json prints one JSON object per record (lossless; "kb produce --json" reads it back):
  {"topic":"t","partition":0,"offset":42,"timestamp":1700000000000,
   "key":"k","value":"v","headers":[{"key":"h","value":"x"}]}
  (one line per record) where key, value and header values are a UTF-8 string, {"base64":"..."} when the bytes are not UTF-8, or null.
-o s@T1 -o e@T2 (kcat's range) reads each partition from its first record at or after T1 up to (not including) its first record at or after T2.`;

  static override examples = [
    '<%= config.bin %> consume orders -e',
    '<%= config.bin %> consume orders -o -10 -f "%p:%o %k=%v\\n"',
    '<%= config.bin %> consume orders --json -e > orders.jsonl',
    '<%= config.bin %> consume orders -o @1700000000000 -n 5',
    '<%= config.bin %> consume orders -o @-10m -e',
    '<%= config.bin %> consume orders -o s@2024-05-01T00:00:00Z -o e@2024-05-02T00:00:00Z -f "%k %v{json}\\n"',
    "<%= config.bin %> consume '^orders-.*' -e",
  ];

  static override strict = false;
  static override args = { topic: Args.string({ description: "topic(s) to read; one starting with '^' is a regular expression of topic names", required: true }) };

  static override flags = {
    offset: Flags.string({
      char: 'o',
      description: 'where to start: earliest|beginning, latest|end, N, -N (N before the end) or @TIMESTAMP (ms, ISO-8601 or -10m; kcat\'s s@ too); a second -o e@TIMESTAMP ends each partition at its first record at or after that time',
      multiple: true,
      multipleNonGreedy: true,
      default: ['beginning'],
    }),
    partition: Flags.integer({ char: 'p', description: 'read only this partition', min: 0, max: int32Max }),
    count: Flags.integer({ char: 'n', description: 'stop after this many records', min: 1 }),
    'exit-at-end': Flags.boolean({ char: 'e', description: 'stop at the end of every partition instead of waiting for more', default: false }),
    format: Flags.string({ char: 'f', description: 'output format, e.g. "%k\\t%v\\n" (see DESCRIPTION)', exclusive: ['json'] }),
    json: Flags.boolean({ description: 'one JSON object per record (see DESCRIPTION)', default: false }),
    isolation: Flags.string({
      description: 'read_committed: committed transactions only, up to the last stable offset; read_uncommitted: every record up to the high watermark',
      options: ['read_committed', 'read_uncommitted'],
      default: 'read_committed',
    }),
    group: Flags.string({
      char: 'g',
      description: 'consume as a member of this consumer group: the group assigns partitions, starts at its committed offsets (else at -o) and commits what is printed',
      exclusive: ['partition'],
    }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Consume);
    let selected: TopicArgument[];
    let range: OffsetRange;
    let format: RecordFormatter;
    try {
      selected = parseTopicArguments(argv as string[]);
      range = parseOffsetRange(flags.offset);
      format = flags.json ? (r) => Buffer.from(`${recordToJson(r)}\n`) : compileFormat(flags.format ?? defaultFormat);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const cluster = await this.cluster();
    const topics = await this.topicsOf(cluster, selected);
    const partitions = await this.partitionsOf(cluster, topics, flags.partition);
    const isolation = flags.isolation as IsolationLevel;
    const spec = range.start;
    const session: Session = { format, endTimestamp: range.endTimestamp, isolation, limit: flags.count, exitAtEnd: flags['exit-at-end'], printed: 0, stopped: false, progress: null };
    const stop = () => {
      session.stopped = true;
    };
    process.once('SIGINT', stop).once('SIGTERM', stop);
    const unwatch = watchStdoutReader(() => process.exit(0));
    try {
      if (flags.group !== undefined) {
        session.progress = await this.progress(async () => null);
        await this.consumeInGroup(cluster, new GroupMembership(cluster, flags.group, topics), spec, session);
      } else {
        const assignments = await this.startAt(cluster, partitions, spec, isolation);
        this.warnPastTheEnd(assignments, spec, flags['exit-at-end']);
        session.progress = await this.progress(() => this.expected(cluster, assignments, flags, isolation));
        await this.pump(new Consumer(cluster, assignments, { isolation }), session, null);
      }
    } finally {
      unwatch();
      session.progress?.done();
      process.off('SIGINT', stop).off('SIGTERM', stop);
    }
  }

  /**
   * Consumes as a group member: each generation's partitions start at the
   * group's committed offset (else where -o says); what is printed is
   * committed; a rebalance commits, rejoins and carries on.
   */
  private async consumeInGroup(cluster: Cluster, member: GroupMembership, spec: OffsetSpec, session: Session): Promise<void> {
    try {
      for (;;) {
        const assigned = await member.join();
        const committed = await member.committed();
        const assignments = (await this.startAt(cluster, assigned, spec, session.isolation)).map((a) => ({
          ...a,
          offset: committed.find((c) => c.topic === a.topic && c.partition === a.partition)?.offset ?? a.offset,
        }));
        if (assignments.length === 0 && session.exitAtEnd) return;
        while (assignments.length === 0 && !member.rebalanceNeeded && !session.stopped) await sleep(idleWaitMs);
        if (await this.pump(new Consumer(cluster, assignments, { isolation: session.isolation }), session, member)) return;
      }
    } finally {
      await member.leave();
    }
  }

  /** Polls and prints until the session ends (true) or, in a group, a rebalance is due (false). */
  private async pump(consumer: Consumer, session: Session, member: GroupMembership | null): Promise<boolean> {
    while (!session.stopped) {
      if (member?.rebalanceNeeded) return false;
      if (session.exitAtEnd && consumer.atEnd()) return true;
      let records = await consumer.poll();
      if (session.endTimestamp !== null) records = beforeEndTime(records, session.endTimestamp, consumer);
      if (session.limit !== undefined) records = records.slice(0, session.limit - session.printed);
      session.printed += records.length;
      session.progress?.advance(records.length);
      await writeStdout(Buffer.concat(records.map(session.format)));
      await member?.commit(nextOffsets(records));
      if (session.printed === session.limit || consumer.partitionCount === 0) return true;
    }
    return true;
  }

  /** The topics the arguments name or match (all topics are listed only for a pattern). */
  private async topicsOf(cluster: Cluster, selected: TopicArgument[]): Promise<string[]> {
    const all = selected.some((s) => 'pattern' in s) ? [...(await cluster.refreshMetadata()).topics.values()] : [];
    try {
      return selectTopics(selected, all);
    } catch (err) {
      throw new UserError((err as Error).message);
    }
  }

  /** Says on stderr which partitions an absolute -o offset lies past the end of (they start at the end). */
  private warnPastTheEnd(assignments: Assignment[], spec: OffsetSpec, exitAtEnd: boolean): void {
    if (spec.kind !== 'absolute') return;
    for (const a of assignments) {
      if (a.offset >= spec.offset) continue;
      const then = exitAtEnd ? 'nothing to read there' : 'reading only new records';
      this.logToStderr(`Warning: offset ${spec.offset} is past the end of partition ${a.partition} of '${a.topic}' (it ends at ${a.offset}): ${then}`);
    }
  }

  /** The partitions to read of each topic (all, or -p), checking that they exist. */
  private async partitionsOf(cluster: Cluster, topics: string[], only: number | undefined): Promise<TopicPartitions[]> {
    const metadata = await cluster.refreshMetadata(topics);
    return topics.map((topic) => {
      const info = knownTopic(metadata, topic);
      if (!info) throw new UserError(`topic '${topic}' does not exist (kb topic list shows the topics)`);
      const count = info.partitions.length;
      if (only !== undefined && only >= count) throw new UserError(noSuchPartition(topic, only, count));
      return { topic, partitions: only !== undefined ? [only] : info.partitions.map((p) => p.partition) };
    });
  }

  /** Each partition at the offset the spec resolves to. */
  private async startAt(cluster: Cluster, partitions: TopicPartitions[], spec: OffsetSpec, isolation: IsolationLevel): Promise<Assignment[]> {
    const assignments: Assignment[] = [];
    for (const { topic, partitions: indexes } of partitions) {
      const starts = await resolveOffsetSpec(cluster, topic, indexes, spec, isolation);
      for (const partition of indexes) assignments.push({ topic, partition, offset: starts.get(partition)! });
    }
    return assignments;
  }

  /** A progress bar (of `total()` records, when known) if stdout is redirected and stderr is a TTY. */
  private async progress(total: () => Promise<number | null>): Promise<Progress | null> {
    return !process.stdout.isTTY && process.stderr.isTTY ? new Progress('consuming', await total()) : null;
  }

  /** How many records will be printed, when -n or -e bound it; null when unbounded. */
  private async expected(cluster: Cluster, assignments: Assignment[], flags: { count?: number; 'exit-at-end': boolean }, isolation: IsolationLevel): Promise<number | null> {
    if (!flags['exit-at-end']) return flags.count ?? null;
    let available = 0;
    for (const topic of new Set(assignments.map((a) => a.topic))) {
      const own = assignments.filter((a) => a.topic === topic);
      const ends = await listOffsets(cluster, topic, own.map((a) => a.partition), offsetSpec.latest, isolation);
      for (const a of own) available += Number(ends.get(a.partition)! - a.offset);
    }
    return Math.min(available, flags.count ?? Infinity);
  }
}
