/**
 * `kb topic create NAME [--partitions N]`: creates a topic. Exits 1 when it
 * exists already (0 with --if-not-exists), 2 on bad flags. A missing NAME
 * is asked for when stdin is a TTY, and is a usage error otherwise. The
 * partition count and replication factor default to the broker's
 * num.partitions and default.replication.factor (as kafka-topics.sh and
 * rpk); the count made is the one the broker reports (cli/topic-create.ts,
 * shared with `kb console`).
 */
import { Args, Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { KbCommand, UsageError } from '../../cli/kb-command.ts';
import { createTopic } from '../../cli/topic-create.ts';
import { parseKeyValues } from '../../cli/key-values.ts';
import { askText, interactive } from '../../cli/prompts.ts';
import { int16Max, int32Max } from '../../protocol/wire-limits.ts';

export default class TopicCreate extends KbCommand {
  static override description = 'Create a topic';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> topic create orders --partitions 6 --rf 3',
    '<%= config.bin %> topic create scratch',
    '<%= config.bin %> topic create events --config retention.ms=86400000 --config cleanup.policy=compact',
  ];

  static override args = { name: Args.string({ description: 'topic name (asked for on a TTY when missing)' }) };

  static override flags = {
    partitions: Flags.integer({ char: 'p', description: "partition count (default: the broker's num.partitions)", min: 1, max: int32Max }),
    rf: Flags.integer({ char: 'r', description: "replication factor (default: the broker's default.replication.factor)", min: 1, max: int16Max }),
    config: Flags.string({ char: 'c', description: 'topic config key=value (repeatable)', multiple: true }),
    'if-not-exists': Flags.boolean({ description: 'succeed when the topic exists already', default: false }),
    'dry-run': Flags.boolean({ description: 'only validate the request', default: false }),
  };

  async run(): Promise<{ topic: string; topicId: string | null; created: boolean }> {
    const { args, flags } = await this.parse(TopicCreate);
    let configs: Record<string, string>;
    try {
      configs = parseKeyValues(flags.config ?? [], '--config');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (args.name === undefined && !interactive()) throw new UsageError('missing the topic NAME (for example: kb topic create orders --partitions 3)');
    const name = args.name ?? (await askText('Topic name:'));
    const created = await createTopic(new Admin(await this.cluster()), { name, partitions: flags.partitions, replicationFactor: flags.rf, configs }, { dryRun: flags['dry-run'], ifNotExists: flags['if-not-exists'] });
    if (!created.created && !flags['dry-run']) this.log(`topic ${name} exists already`);
    else this.log(flags['dry-run'] ? `topic ${name} can be created` : `created topic ${name} with ${created.numPartitions} partition(s)`);
    return { topic: name, topicId: created.topicId, created: created.created };
  }
}
