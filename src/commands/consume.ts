/**
 * `kb consume TOPIC...`: prints records, one per line, value only by
 * default; -f for a format string (src/cli/formats.ts) or --json for
 * lossless JSON Lines (src/cli/json-records.ts). Reads every partition (or
 * -p) from -o until interrupted, -n records were printed, or with -e the
 * end as it was when each partition was reached. Each fetch's records are
 * written at once; when stdout closes (`| head`) the CLI ends quietly with
 * exit 0 (src/cli/stdout.ts). A missing topic is an error naming it. With stdout redirected and
 * stderr a TTY, -e/-n show a progress bar on stderr.
 */
import { Args, Flags } from '@oclif/core';
import type { Cluster } from '../client/cluster.ts';
import { Consumer, type Assignment, listOffsets, offsetSpec } from '../client/consumer.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { KbCommand, UsageError, UserError } from '../cli/kb-command.ts';
import { compileFormat, defaultFormat, type RecordFormatter } from '../cli/formats.ts';
import { recordToJson } from '../cli/json-records.ts';
import { parseOffsetSpec, resolveOffsetSpec, type OffsetSpec } from '../cli/offset-spec.ts';
import { Progress } from '../cli/progress.ts';
import { writeStdout } from '../cli/stdout.ts';

export default class Consume extends KbCommand {
  static override description = `Print records of topics, one per line (the value, by default)

-f takes a format string: %t topic, %p partition, %o offset, %k key, %v value, %h headers (k=v,...), %d timestamp (ms), %% a '%'; \\n \\t escapes.
--json prints one JSON object per record (lossless; "kb produce --json" reads it back):
  {"topic":"t","partition":0,"offset":42,"timestamp":1700000000000,"key":"k","value":"v","headers":[{"key":"h","value":"x"}]}
key, value and header values are a UTF-8 string, {"base64":"..."} when the bytes are not UTF-8, or null.`;

  static override examples = [
    '<%= config.bin %> consume orders -e',
    '<%= config.bin %> consume orders -o -10 -f "%p:%o %k=%v\\n"',
    '<%= config.bin %> consume orders --json -e > orders.jsonl',
    '<%= config.bin %> consume orders -o @1700000000000 -n 5',
  ];

  static override strict = false;
  static override args = { topic: Args.string({ description: 'topic(s) to read', required: true }) };

  static override flags = {
    offset: Flags.string({ char: 'o', description: 'where to start: beginning, end, N, -N (N before the end) or @TIMESTAMP_MS', default: 'beginning' }),
    partition: Flags.integer({ char: 'p', description: 'read only this partition', min: 0 }),
    count: Flags.integer({ char: 'n', description: 'stop after this many records', min: 1 }),
    'exit-at-end': Flags.boolean({ char: 'e', description: 'stop at the end of every partition instead of waiting for more', default: false }),
    format: Flags.string({ char: 'f', description: 'output format, e.g. "%k\\t%v\\n" (see above)', exclusive: ['json'] }),
    json: Flags.boolean({ description: 'one JSON object per record (see above)', default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Consume);
    const topics = [...new Set(argv as string[])];
    let spec: OffsetSpec;
    let format: RecordFormatter;
    try {
      spec = parseOffsetSpec(flags.offset);
      format = flags.json ? (r) => Buffer.from(`${recordToJson(r)}\n`) : compileFormat(flags.format ?? defaultFormat);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const cluster = await this.cluster();
    const assignments = await this.assign(cluster, topics, flags.partition, spec);
    const consumer = new Consumer(cluster, assignments);
    let stopped = false;
    const showProgress = !process.stdout.isTTY && process.stderr.isTTY;
    const progress = showProgress ? new Progress('consuming', await this.expected(cluster, assignments, flags)) : null;
    const stop = () => {
      stopped = true;
    };
    process.once('SIGINT', stop).once('SIGTERM', stop);
    try {
      let printed = 0;
      while (!stopped) {
        if (flags['exit-at-end'] && consumer.atEnd()) break;
        let records = await consumer.poll();
        if (flags.count !== undefined) records = records.slice(0, flags.count - printed);
        printed += records.length;
        progress?.advance(records.length);
        await writeStdout(Buffer.concat(records.map(format)));
        if (printed === flags.count) break;
      }
    } finally {
      progress?.done();
      process.off('SIGINT', stop).off('SIGTERM', stop);
    }
  }

  /** Every partition (or -p) of every topic, at the offset the spec resolves to. */
  private async assign(cluster: Cluster, topics: string[], only: number | undefined, spec: OffsetSpec): Promise<Assignment[]> {
    const metadata = await cluster.refreshMetadata(topics);
    const assignments: Assignment[] = [];
    for (const topic of topics) {
      const info = metadata.topics.get(topic);
      if (!info || info.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new UserError(`topic '${topic}' does not exist (kb topic list shows the topics)`);
      const count = info.partitions.length;
      if (only !== undefined && only >= count) throw new UserError(`topic '${topic}' has no partition ${only} (it has ${count}: 0..${count - 1})`);
      const partitions = only !== undefined ? [only] : info.partitions.map((p) => p.partition);
      const starts = await resolveOffsetSpec(cluster, topic, partitions, spec);
      for (const partition of partitions) assignments.push({ topic, partition, offset: starts.get(partition)! });
    }
    return assignments;
  }

  /** How many records will be printed, when -n or -e bound it; null when unbounded. */
  private async expected(cluster: Cluster, assignments: Assignment[], flags: { count?: number; 'exit-at-end': boolean }): Promise<number | null> {
    if (!flags['exit-at-end']) return flags.count ?? null;
    let available = 0;
    for (const topic of new Set(assignments.map((a) => a.topic))) {
      const own = assignments.filter((a) => a.topic === topic);
      const ends = await listOffsets(cluster, topic, own.map((a) => a.partition), offsetSpec.latest);
      for (const a of own) available += Number(ends.get(a.partition)! - a.offset);
    }
    return Math.min(available, flags.count ?? Infinity);
  }
}
