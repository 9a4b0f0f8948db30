/**
 * `kb topic list`: every topic with its partition count and replication
 * factor (internal topics with --internal).
 */
import { Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

export default class TopicList extends KbCommand {
  static override description = 'List topics';
  static override enableJsonFlag = true;
  static override flags = {
    internal: Flags.boolean({ char: 'i', description: 'include internal topics', default: false }),
  };

  async run(): Promise<{ topics: { name: string; partitions: number; replicationFactor: number; internal: boolean }[] }> {
    const { flags } = await this.parse(TopicList);
    const topics = (await new Admin(await this.cluster()).listTopics())
      .filter((t) => flags.internal || !t.internal)
      .map((t) => ({ name: t.name, partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0, internal: t.internal }));
    if (topics.length > 0) this.log(renderTable(['NAME', 'PARTITIONS', 'REPLICAS'], topics.map((t) => [t.name, t.partitions, t.replicationFactor])));
    return { topics };
  }
}
