/**
 * `kb topic alter-config NAME --set k=v --delete k`: sets and removes topic
 * config overrides (IncrementalAlterConfigs), leaving the others as they
 * are; a removed override falls back to the broker default.
 */
import { Args, Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { KbCommand, UsageError } from '../../cli/kb-command.ts';
import { parseKeyValues } from '../../cli/key-values.ts';

export default class TopicAlterConfig extends KbCommand {
  static override description = 'Set or remove config overrides of a topic';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> topic alter-config orders --set retention.ms=3600000 --delete cleanup.policy'];
  static override args = { name: Args.string({ description: 'topic name', required: true }) };
  static override flags = {
    set: Flags.string({ char: 's', description: 'config key=value to set (repeatable)', multiple: true }),
    delete: Flags.string({ char: 'd', description: 'config key to reset to its default (repeatable)', multiple: true }),
  };

  async run(): Promise<{ topic: string; set: Record<string, string>; deleted: string[] }> {
    const { args, flags } = await this.parse(TopicAlterConfig);
    let set: Record<string, string>;
    try {
      set = parseKeyValues(flags.set ?? [], '--set');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const deleted = flags.delete ?? [];
    if (Object.keys(set).length === 0 && deleted.length === 0) throw new UsageError('nothing to change: give --set key=value and/or --delete key');
    const both = deleted.filter((k) => k in set);
    if (both.length > 0) throw new UsageError(`${both.join(', ')}: both --set and --delete`);
    const changes = [...Object.entries(set).map(([name, value]) => ({ name, value })), ...deleted.map((name) => ({ name, value: null }))];
    await new Admin(await this.cluster()).alterTopicConfigs(args.name, changes);
    const described = [...Object.entries(set).map(([k, v]) => `set ${k}=${v}`), ...deleted.map((k) => `reset ${k}`)];
    this.log(`updated topic ${args.name}: ${described.join(', ')}`);
    return { topic: args.name, set, deleted };
  }
}
