/**
 * `kb topic offsets TOPIC [--at SPEC] [-p N]`: the offset each partition
 * is at by an offset spec of `kb consume -o` (src/cli/offset-spec.ts),
 * without reading records: with @TIMESTAMP the first offset at or after
 * that time (kcat -Q), by default the end. One row per partition.
 */
import { Args, Flags } from '@oclif/core';
import { knownTopic, noSuchPartition } from '../../client/known-topic.ts';
import { KbCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { parseOffsetSpec, resolveOffsetSpec, type OffsetSpec } from '../../cli/offset-spec.ts';
import { renderTable } from '../../cli/output.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

export default class TopicOffsets extends KbCommand {
  static override description = 'Offsets of the partitions of a topic at a time or spec (kcat -Q)';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> topic offsets orders --at @2024-05-01T00:00:00Z', '<%= config.bin %> topic offsets orders --at @-1h -p 0', '<%= config.bin %> topic offsets orders --at earliest'];
  static override args = { topic: Args.string({ description: 'topic name', required: true }) };
  static override flags = {
    at: Flags.string({ description: 'offset spec as kb consume -o: earliest, latest, N, -N, @TIMESTAMP (ms, ISO-8601 or -10m)', default: 'latest' }),
    partition: Flags.integer({ char: 'p', description: 'only this partition', min: 0, max: int32Max }),
  };

  async run(): Promise<{ topic: string; partitions: { partition: number; offset: number }[] }> {
    const { args, flags } = await this.parse(TopicOffsets);
    let spec: OffsetSpec;
    try {
      spec = parseOffsetSpec(flags.at);
    } catch (err) {
      throw new UsageError(`--at: ${(err as Error).message}`);
    }
    const cluster = await this.cluster();
    const topic = knownTopic(await cluster.refreshMetadata([args.topic]), args.topic);
    if (!topic) throw new UserError(`topic '${args.topic}' does not exist (kb topic list shows the topics)`);
    const count = topic.partitions.length;
    if (flags.partition !== undefined && flags.partition >= count) throw new UserError(noSuchPartition(args.topic, flags.partition, count));
    const indexes = flags.partition === undefined ? topic.partitions.map((p) => p.partition) : [flags.partition];
    const offsets = await resolveOffsetSpec(cluster, args.topic, indexes, spec);
    const partitions = indexes.map((partition) => ({ partition, offset: Number(offsets.get(partition)) }));
    this.log(renderTable(['TOPIC', 'PARTITION', 'OFFSET'], partitions.map((p) => [args.topic, p.partition, p.offset])));
    return { topic: args.topic, partitions };
  }
}
