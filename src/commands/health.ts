/**
 * `kb health`: a monitoring check for cron and Nagios-style systems, exit
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. It asks any reachable broker
 * for the metadata, min.insync.replicas of every topic and reassignments in
 * progress (skipped when the controller does not answer or lacks the API), the metadata quorum for its leader and
 * voters, and connects to every live broker; health-report.ts turns the
 * answers into problems (its header states the rules).
 * --timeout bounds the whole check: what has not answered by then is
 * judged as such (a stalled broker is down, a stalled quorum leader is no
 * quorum), so the verdict comes from the nodes that do answer.
 * UNKNOWN when no broker answers within --timeout, or the check itself
 * cannot run (bad flags too, so 2 always means CRITICAL). Prints the status
 * line and one line per problem with counts and examples; --json gives the
 * whole report. Needs nothing beyond -b/KB_BROKERS and no TTY.
 */
import { Errors, Flags } from '@oclif/core';
import { Admin } from '../client/admin.ts';
import type { Cluster } from '../client/cluster.ts';
import { partitionStatuses } from '../client/partition-status.ts';
import { KbCommand } from '../cli/kb-command.ts';
import { buildHealthReport, renderHealth, unknownReport, type HealthInput, type HealthReport, type HealthThresholds } from '../cli/health-report.ts';

export default class Health extends KbCommand {
  static override description = 'Check the cluster: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (unreachable)';
  static override enableJsonFlag = true;
  static override flags = {
    'max-under-replicated': Flags.integer({ description: 'WARNING only above this many under-replicated partitions', default: 0, min: 0 }),
    'max-down-brokers': Flags.integer({ description: 'WARNING only above this many brokers down or fenced', default: 0, min: 0 }),
  };
  static override examples = [
    '<%= config.bin %> health -b kb1:9092,kb2:9092',
    '<%= config.bin %> health --json',
    '<%= config.bin %> health --max-under-replicated 10 --timeout 5000',
  ];

  async run(): Promise<HealthReport> {
    const { flags } = await this.parse(Health);
    const cluster = await this.cluster();
    const thresholds: HealthThresholds = { maxUnderReplicated: flags['max-under-replicated'], maxDownBrokers: flags['max-down-brokers'] };
    const deadline = Date.now() + flags.timeout;
    let report: HealthReport;
    try {
      report = buildHealthReport(await gather(cluster, deadline, flags.timeout), thresholds);
    } catch (err) {
      report = unknownReport((err as Error).message);
    }
    for (const line of renderHealth(report)) this.log(line);
    process.exitCode = report.exitCode;
    return report;
  }

  /** Any failure of the check itself (bad flags included) is UNKNOWN, exit 3. */
  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<void> {
    if (err instanceof Errors.ExitError) throw err;
    process.stderr.write(`UNKNOWN: ${err.message}\n`);
    this.exit(3);
  }
}

/**
 * What the cluster answers by `deadline`. UNKNOWN (a throw) only when no
 * broker gives the metadata in time (or min.insync.replicas, asked of a
 * broker that just answered); a broker, quorum leader or controller that
 * does not answer in time counts as down, without a quorum, or skipped.
 */
async function gather(cluster: Cluster, deadline: number, timeoutMs: number): Promise<HealthInput> {
  const unanswered = () => Promise.reject(new Error(`no answer within --timeout ${timeoutMs} ms`));
  const metadata = await byDeadline(cluster.refreshMetadata(null), deadline, unanswered);
  const admin = new Admin(cluster);
  const liveBrokers = [...metadata.brokers.keys()];
  const [quorum, minIsr, reassignments, reachable] = await Promise.all([
    byDeadline(
      admin.describeQuorum().then(
        (q) => ({ leaderId: q.leaderId, voters: q.voters.map((v) => v.replicaId), observers: q.observers.map((o) => o.replicaId) }),
        (err: Error) => ({ error: err.message }),
      ),
      deadline,
      () => ({ error: `the quorum leader did not answer within --timeout ${timeoutMs} ms` }),
    ),
    byDeadline(admin.minInsyncReplicas([...metadata.topics.keys()]), deadline, unanswered),
    // Asked of the controller; without one that answers (or an older one without the API), the check is skipped.
    metadata.controllerId < 0 ? null : byDeadline(admin.listPartitionReassignments().catch(() => null), deadline, () => null),
    Promise.all(liveBrokers.map((id) => byDeadline(cluster.broker(id).then(() => true, () => false), deadline, () => false))),
  ]);
  return {
    controllerId: metadata.controllerId,
    liveBrokers,
    unreachableBrokers: liveBrokers.filter((_, i) => !reachable[i]),
    quorum,
    partitions: partitionStatuses(metadata.topics.values(), minIsr),
    topics: metadata.topics.size,
    reassignments,
  };
}

/** `work`'s outcome, or `late()`'s once `deadline` (ms since the epoch) passes first. */
function byDeadline<T>(work: Promise<T>, deadline: number, late: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
