/**
 * `kb partitions balance`: proposes a plan that evens out replicas and
 * preferred leaders over the live brokers (balance-plan.ts states how),
 * e.g. after a broker joins, and prints it (Kafka's reassignment JSON with
 * --json, which `kb partitions reassign --plan` and kafka-reassign-
 * partitions read; cli/balance-proposal.ts, shared with `kb console`). --topic limits it to some topics (internal topics only
 * when named). A topic with more replicas than there are live brokers is
 * refused (exit 1): it cannot be balanced.
 *
 * --execute applies it as `kb partitions reassign` does
 * (cli/reassignment-start.ts): confirmed (TTY question, or --yes; neither
 * is exit 2), the current assignment saved to --rollback-out, the moves
 * started. Then it waits (within --timeout) for the moves that copy no
 * data (a new replica order) to finish, or with --wait for every move, and
 * elects the preferred leader of every partition of the topics, so a
 * broker that came back leads its share again. Partitions whose preferred
 * leader cannot lead yet (still copying, not in sync) are listed: auto
 * leader rebalancing or `kb partitions elect-leaders` finishes them.
 */
import { Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { BalancePlan } from '../../cli/balance-plan.ts';
import { proposeBalance } from '../../cli/balance-proposal.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';
import { confirmChange } from '../../cli/prompts.ts';
import { defaultRollbackFile, saveRollback, startMoves, type ChangingPartition } from '../../cli/reassignment-start.ts';
import { watchMoves } from '../../cli/reassignment-watch.ts';
import { addedReplicas } from '../../cli/reassignment-plan.ts';

const pollMs = 200;

export default class PartitionsBalance extends KbCommand {
  static override description = 'Propose (and with --execute apply) a plan that evens out replicas and preferred leaders over the live brokers, then elect the preferred leaders';
  static override enableJsonFlag = true;
  static override flags = {
    topic: Flags.string({ char: 't', description: 'only this topic (repeatable)', multiple: true }),
    execute: Flags.boolean({ description: 'apply the plan (asks first; saves a rollback file), then elect preferred leaders', default: false }),
    yes: Flags.boolean({ char: 'y', description: 'with --execute: do not ask for confirmation (needed without a TTY)', default: false }),
    'rollback-out': Flags.string({ description: 'with --execute: where to save the current assignment (default kb-reassign-rollback-<time>.json)' }),
    wait: Flags.boolean({ description: 'with --execute: follow every move (data copies too) before electing leaders', default: false }),
  };
  static override examples = [
    '<%= config.bin %> partitions balance',
    '<%= config.bin %> partitions balance --json > plan.json',
    '<%= config.bin %> partitions balance --topic orders --execute --yes --wait',
  ];

  async run(): Promise<BalancePlan & { executed: boolean; rollbackFile: string | null; electionsPending: string[] }> {
    const { flags } = await this.parse(PartitionsBalance);
    const cluster = await this.cluster();
    const admin = new Admin(cluster);
    const { topics, plan, changing } = await proposeBalance(cluster, flags.topic);
    if (changing.length === 0) this.log('balanced: nothing to move');
    else this.log(renderTable(['TOPIC', 'PARTITION', 'REPLICAS', 'NEW REPLICAS'], changing.map((m) => [m.topic, m.partition, m.current.join(','), m.target.join(',')])));
    if (!flags.execute) return { ...plan, executed: false, rollbackFile: null, electionsPending: [] };

    let rollbackFile: string | null = null;
    if (changing.length > 0) {
      const copying = changing.filter((m) => addedReplicas(m.current, m.target).length > 0).length;
      await confirmChange({ yes: flags.yes, action: `Move ${changing.length} partition(s) (${copying} copying data) and elect preferred leaders` });
      rollbackFile = flags['rollback-out'] ?? defaultRollbackFile();
      await saveRollback(changing, rollbackFile, (line) => this.log(line));
      await startMoves(admin, changing);
      this.log(`started ${changing.length} move(s)`);
      const followed = changing.filter((m) => addedReplicas(m.current, m.target).length === 0);
      if (flags.wait) {
        const sizes = new Map(await Promise.all(topics.map(async (t) => [t.name, await admin.partitionSizes(t)] as const)));
        const watched = changing.map((m) => ({ topic: m.topic, partition: m.partition, adding: addedReplicas(m.current, m.target), sizeBytes: sizes.get(m.topic)?.get(m.partition) ?? -1 }));
        await watchMoves(admin, watched);
      } else await this.finished(admin, followed, Date.now() + flags.timeout);
    }
    const elections = await admin.electLeaders('preferred', topics.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) })));
    const elected = elections.filter((e) => e.errorCode === ErrorCode.NONE).length;
    const pending = elections.filter((e) => e.errorCode !== ErrorCode.NONE && e.errorCode !== ErrorCode.ELECTION_NOT_NEEDED).map((e) => `${e.topic}-${e.partition}`);
    this.log(`elected ${elected} preferred leader(s)`);
    if (pending.length > 0) this.log(`preferred leaders not yet possible for ${pending.join(', ')} (still copying or not in sync): auto leader rebalancing or kb partitions elect-leaders will finish them`);
    return { ...plan, executed: true, rollbackFile, electionsPending: pending };
  }

  /** Waits until none of `moves` is in progress at the controller, or until `deadline` (then the elections say what is left). */
  private async finished(admin: Admin, moves: readonly ChangingPartition[], deadline: number): Promise<void> {
    const topics = [...new Set(moves.map((m) => m.topic))];
    const watched = new Set(moves.map((m) => `${m.topic}/${m.partition}`));
    while (watched.size > 0 && Date.now() < deadline) {
      const ongoing = await admin.listPartitionReassignments(topics);
      if (!ongoing.some((o) => watched.has(`${o.topic}/${o.partition}`))) return;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}
