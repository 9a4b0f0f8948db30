/**
 * `kb topic describe NAME`: configs that differ from the defaults, and per
 * partition its leader (-1: none available), leader epoch, replicas, ISR,
 * offline replicas (on brokers that are fenced or gone), log start/end
 * offsets and size on disk (the leader's log; --json offsets null and
 * sizeBytes -1 when there is no leader to ask).
 */
import { Args } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { formatBytes, renderTable, topicIdText } from '../../cli/output.ts';

export default class TopicDescribe extends KbCommand {
  static override description = 'Describe a topic: configs and partitions';
  static override enableJsonFlag = true;
  static override args = { name: Args.string({ description: 'topic name', required: true }) };

  async run() {
    const { args } = await this.parse(TopicDescribe);
    const admin = new Admin(await this.cluster());
    const topic = await admin.describeTopic(args.name);
    const [offsets, sizes, configs] = await Promise.all([admin.partitionOffsets(topic), admin.partitionSizes(topic), admin.describeTopicConfigs(args.name)]);
    const partitions = topic.partitions.map((p) => {
      const o = offsets.find((x) => x.partition === p.partition)!;
      return {
        partition: p.partition,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicas,
        isr: p.isr,
        offlineReplicas: p.offline,
        logStartOffset: o.logStartOffset === null ? null : Number(o.logStartOffset),
        logEndOffset: o.logEndOffset === null ? null : Number(o.logEndOffset),
        sizeBytes: sizes.get(p.partition)!,
      };
    });
    const overrides = configs.filter((c) => !c.isDefault).map((c) => ({ name: c.name, value: c.value }));
    const topicId = topicIdText(topic.topicId);
    this.log(`NAME         ${topic.name}\nTOPIC ID     ${topicId ?? '-'}\nPARTITIONS   ${partitions.length}\nREPLICAS     ${partitions[0]?.replicas.length ?? 0}`);
    if (overrides.length > 0) this.log(`\n${renderTable(['CONFIG', 'VALUE'], overrides.map((c) => [c.name, c.value]))}`);
    this.log(
      `\n${renderTable(
        ['PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR', 'OFFLINE', 'LOG-START', 'LOG-END', 'SIZE'],
        partitions.map((p) => [
          p.partition,
          p.leader < 0 ? 'none' : p.leader,
          p.leaderEpoch,
          p.replicas.join(','),
          p.isr.join(','),
          p.offlineReplicas.length === 0 ? null : p.offlineReplicas.join(','),
          p.logStartOffset,
          p.logEndOffset,
          p.sizeBytes < 0 ? null : formatBytes(p.sizeBytes),
        ]),
      )}`,
    );
    return { name: topic.name, topicId, internal: topic.internal, configs: overrides, partitions };
  }
}
