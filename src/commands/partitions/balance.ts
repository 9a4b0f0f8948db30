/**
 * `kb partitions balance`: proposes a plan that evens out replicas and
 * preferred leaders over the live brokers (balance-plan.ts states how),
 * e.g. after a broker joins, and prints it (Kafka's reassignment JSON with
 * --json, which `kb partitions reassign --plan` and kafka-reassign-
 * partitions read). --topic limits it to some topics (internal topics only
 * when named). A topic with more replicas than there are live brokers is
 * refused (exit 1): it cannot be balanced. With --execute it starts the
 * moves (AlterPartitionReassignments) and then elects the preferred
 * leaders that can already lead; partitions
 * still copying data get theirs from auto leader rebalancing, or from
 * `kb partitions elect-leaders` once the moves finish.
 */
import { Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import { planBalance, type BalancePlan } from '../../cli/balance-plan.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

export default class PartitionsBalance extends KbCommand {
  static override description = 'Propose (and with --execute apply) a plan that evens out replicas and leaders over the live brokers';
  static override enableJsonFlag = true;
  static override flags = {
    topic: Flags.string({ char: 't', description: 'only this topic (repeatable)', multiple: true }),
    execute: Flags.boolean({ description: 'start the moves and elect preferred leaders', default: false }),
  };
  static override examples = ['<%= config.bin %> partitions balance', '<%= config.bin %> partitions balance --json > plan.json', '<%= config.bin %> partitions balance --topic orders --execute'];

  async run(): Promise<BalancePlan & { executed: boolean; electionsPending: string[] }> {
    const { flags } = await this.parse(PartitionsBalance);
    const cluster = await this.cluster();
    const admin = new Admin(cluster);
    const topics = flags.topic ? await Promise.all([...new Set(flags.topic)].map((name) => admin.describeTopic(name))) : (await admin.listTopics()).filter((t) => !t.internal);
    const brokers = [...cluster.metadata!.brokers.values()].map((b) => ({ nodeId: b.nodeId, rack: b.rack }));
    const current = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition, replicas: p.replicas })));
    const plan = planBalance(current, brokers);
    const before = new Map(current.map((p) => [`${p.topic}-${p.partition}`, p.replicas]));
    if (plan.partitions.length === 0) this.log('balanced: nothing to move');
    else {
      this.log(
        renderTable(
          ['TOPIC', 'PARTITION', 'REPLICAS', 'NEW REPLICAS'],
          plan.partitions.map((p) => [p.topic, p.partition, before.get(`${p.topic}-${p.partition}`)!.join(','), p.replicas.join(',')]),
        ),
      );
    }
    if (!flags.execute || plan.partitions.length === 0) return { ...plan, executed: false, electionsPending: [] };

    const started = await admin.alterPartitionReassignments(plan.partitions);
    const refused = started.filter((r) => r.errorCode !== ErrorCode.NONE);
    if (refused.length > 0) {
      throw new UserError(`the controller refused ${refused.length} move(s): ${refused.map((r) => `${r.topic}-${r.partition} (${r.errorMessage ?? errorName(r.errorCode)})`).join(', ')}`);
    }
    const elections = await admin.electLeaders('preferred', [...new Set(plan.partitions.map((p) => p.topic))].map((topic) => ({
      topic,
      partitions: plan.partitions.filter((p) => p.topic === topic).map((p) => p.partition),
    })));
    const pending = elections.filter((e) => e.errorCode !== ErrorCode.NONE && e.errorCode !== ErrorCode.ELECTION_NOT_NEEDED).map((e) => `${e.topic}-${e.partition}`);
    this.log(`started ${plan.partitions.length} move(s)`);
    if (pending.length > 0) this.log(`preferred leaders not yet possible for ${pending.join(', ')} (still copying): auto leader rebalancing or kb partitions elect-leaders will finish them`);
    return { ...plan, executed: true, electionsPending: pending };
  }
}
