/**
 * `kb health`: a monitoring check for cron and Nagios-style systems, exit
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. It asks any reachable broker
 * for the metadata, min.insync.replicas of every topic and reassignments in
 * progress (skipped when the controller does not answer or lacks the API), the metadata quorum for its leader and
 * voters, and connects to every live broker; health-report.ts turns the
 * answers into problems (its header states the rules).
 * --timeout (seconds, or with a unit: 10s, 500ms; default 10 s as Nagios
 * plugins) bounds the whole check: what has not answered by then is
 * judged as such (a stalled broker is down, a stalled quorum leader is no
 * quorum), so the verdict comes from the nodes that do answer.
 * UNKNOWN when no broker answers within --timeout, or the check itself
 * cannot run (bad flags too, so 2 always means CRITICAL). Prints the
 * Nagios-style text of health-report.ts (status and problems in short with
 * perfdata, then a line per problem); --json gives the whole report.
 * --watch checks again every second, printing the text whenever the
 * verdict changes (perfdata aside), until interrupted;
 * --exit-when-healthy (implies --watch) ends it, exit 0, once the check is
 * OK. Needs nothing beyond -b/KB_BROKERS and no TTY.
 */
import { Errors, Flags } from '@oclif/core';
import { Admin } from '../client/admin.ts';
import type { Cluster } from '../client/cluster.ts';
import { partitionStatuses } from '../client/partition-status.ts';
import { KbCommand, UsageError } from '../cli/kb-command.ts';
import { parseDuration } from '../cli/duration.ts';
import { buildHealthReport, renderHealth, unknownReport, type HealthInput, type HealthReport, type HealthThresholds } from '../cli/health-report.ts';
import { quorumStatus } from '../cli/quorum-status.ts';

/** Between checks of --watch. */
const watchIntervalMs = 1000;
/** The longest --timeout: a day. */
const timeoutMaxMs = 86_400_000;

export default class Health extends KbCommand {
  static override description = 'Check the cluster: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (unreachable)';
  static override enableJsonFlag = true;
  static override flags = {
    'max-under-replicated': Flags.integer({ description: 'WARNING only above this many under-replicated partitions', default: 0, min: 0 }),
    'max-down-brokers': Flags.integer({ description: 'WARNING only above this many brokers down or fenced', default: 0, min: 0 }),
    // Replaces the shared --timeout (milliseconds) with a Nagios plugin's: seconds, or a duration with a unit.
    timeout: Flags.custom<number>({
      description: 'give up on what has not answered after this long: seconds, or 10s, 500ms, 1m',
      default: 10_000,
      defaultHelp: async () => '10s',
      helpGroup: 'GLOBAL',
      parse: async (input) => parseDuration(input, 's', timeoutMaxMs),
    })(),
    watch: Flags.boolean({ description: 'check every second, printing whenever the verdict changes, until interrupted', default: false }),
    'exit-when-healthy': Flags.boolean({ description: 'with --watch (implied): exit 0 once the check is OK', default: false }),
  };
  static override examples = [
    '<%= config.bin %> health -b kb1:9092,kb2:9092',
    '<%= config.bin %> health --json',
    '<%= config.bin %> health --max-under-replicated 10 --timeout 5s',
    '<%= config.bin %> health --exit-when-healthy   # waits until the cluster is OK',
  ];

  async run(): Promise<HealthReport> {
    const { flags } = await this.parse(Health);
    const thresholds: HealthThresholds = { maxUnderReplicated: flags['max-under-replicated'], maxDownBrokers: flags['max-down-brokers'] };
    const watch = flags.watch || flags['exit-when-healthy'];
    if (watch && this.jsonEnabled()) throw new UsageError('--watch prints text: use it without --json');
    let shown = '';
    for (;;) {
      const report = await this.check(flags.timeout, thresholds);
      const lines = renderHealth(report, thresholds);
      process.exitCode = report.exitCode;
      if (!watch) {
        for (const line of lines) this.log(line);
        return report;
      }
      const verdict = lines.map((line) => line.replace(/ \| .*$/, '')).join('\n');
      if (verdict !== shown) for (const line of lines) this.log(line);
      shown = verdict;
      if (flags['exit-when-healthy'] && report.status === 'OK') return report;
      await new Promise((resolve) => setTimeout(resolve, watchIntervalMs));
    }
  }

  /** One check, bounded by `timeoutMs`. */
  private async check(timeoutMs: number, thresholds: HealthThresholds): Promise<HealthReport> {
    const cluster = await this.cluster();
    try {
      return buildHealthReport(await gather(cluster, Date.now() + timeoutMs, timeoutMs), thresholds);
    } catch (err) {
      return unknownReport((err as Error).message);
    }
  }

  /** Any failure of the check itself (bad flags included) is UNKNOWN, exit 3. */
  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<void> {
    if (err instanceof Errors.ExitError) throw err;
    process.stderr.write(`UNKNOWN: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
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
  const unanswered = () => Promise.reject(new Error(`no answer within --timeout ${timeoutMs / 1000} s`));
  const metadata = await byDeadline(cluster.refreshMetadata(null), deadline, unanswered);
  const admin = new Admin(cluster);
  const liveBrokers = [...metadata.brokers.keys()];
  const [quorum, minIsr, reassignments, reachable] = await Promise.all([
    byDeadline(
      admin.describeQuorum().then(
        (q) => ({ leaderId: q.leaderId, voters: q.voters.map((v) => v.replicaId), observers: q.observers.map((o) => o.replicaId), maxLag: quorumStatus(q).maxFollowerLag }),
        (err: Error) => ({ error: err.message }),
      ),
      deadline,
      () => ({ error: `the quorum leader did not answer within --timeout ${timeoutMs / 1000} s` }),
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
