/**
 * `kb partitions list`: every partition with leader, replicas, ISR, missing
 * replicas (not in the ISR) and offline replicas (on brokers not live),
 * like kafka-topics --describe; filters combine as OR, as kafka-topics'
 * do: --under-replicated, --under-min-isr, --at-min-isr, --offline (no live
 * leader). --topic limits it to some topics; internal topics only with
 * --internal or when named. --json gives each partition's status as
 * partition-status.ts computes it (with minIsr and the four flags).
 */
import { Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { filterStatuses, partitionStatuses, type PartitionStatus, type StatusFilter } from '../../client/partition-status.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

const list = (ids: number[]) => (ids.length === 0 ? null : ids.join(','));

export default class PartitionsList extends KbCommand {
  static override description = 'List partitions with their replication status, optionally only under-replicated, under/at min ISR or offline ones';
  static override enableJsonFlag = true;
  static override flags = {
    topic: Flags.string({ char: 't', description: 'only this topic (repeatable)', multiple: true }),
    'under-replicated': Flags.boolean({ description: 'partitions whose ISR is smaller than their replicas', default: false }),
    'under-min-isr': Flags.boolean({ description: 'partitions whose ISR is smaller than min.insync.replicas', default: false }),
    'at-min-isr': Flags.boolean({ description: 'partitions whose ISR is exactly min.insync.replicas', default: false }),
    offline: Flags.boolean({ description: 'partitions without a live leader', default: false }),
    internal: Flags.boolean({ char: 'i', description: 'include internal topics', default: false }),
  };
  static override examples = [
    '<%= config.bin %> partitions list --under-replicated',
    '<%= config.bin %> partitions list --offline --under-min-isr --json',
    '<%= config.bin %> partitions list --topic orders',
  ];

  async run(): Promise<{ partitions: PartitionStatus[] }> {
    const { flags } = await this.parse(PartitionsList);
    const admin = new Admin(await this.cluster());
    const topics = flags.topic ? await Promise.all([...new Set(flags.topic)].map((name) => admin.describeTopic(name))) : (await admin.listTopics()).filter((t) => flags.internal || !t.internal);
    const minIsr = await admin.minInsyncReplicas(topics.map((t) => t.name));
    const filters: StatusFilter[] = [];
    if (flags['under-replicated']) filters.push('underReplicated');
    if (flags['under-min-isr']) filters.push('underMinIsr');
    if (flags['at-min-isr']) filters.push('atMinIsr');
    if (flags.offline) filters.push('offline');
    const rows = filterStatuses(partitionStatuses(topics, minIsr), filters);
    if (rows.length > 0) {
      this.log(
        renderTable(
          ['TOPIC', 'PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'MISSING', 'OFFLINE'],
          rows.map((r) => [r.topic, r.partition, r.leader < 0 ? 'none' : r.leader, r.replicas.join(','), r.isr.join(','), list(r.missingReplicas), list(r.offlineReplicas)]),
        ),
      );
    }
    return { partitions: rows };
  }
}
