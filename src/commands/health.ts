/**
 * `kb health`: a monitoring check for cron and Nagios-style systems, exit
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. It asks any reachable broker
 * for the metadata, min.insync.replicas of every topic and reassignments in
 * progress (skipped when the controller does not answer or lacks the API), the metadata quorum for its leader and
 * voters, and connects to every live broker (health-check.ts, which
 * `kb console` shares); health-report.ts turns the answers into problems
 * (its header states the rules).
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
import { KbCommand, UsageError } from '../cli/kb-command.ts';
import { parseDuration } from '../cli/duration.ts';
import { renderHealth, type HealthReport, type HealthThresholds } from '../cli/health-report.ts';
import { checkHealth } from '../cli/health-check.ts';

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
    return checkHealth(await this.cluster(), timeoutMs, thresholds);
  }

  /** Any failure of the check itself (bad flags included) is UNKNOWN, exit 3. */
  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<void> {
    if (err instanceof Errors.ExitError) throw err;
    process.stderr.write(`UNKNOWN: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
    this.exit(3);
  }
}
