/**
 * The `kb health` verdict, pure: from what the cluster answered (metadata,
 * the metadata quorum, partition statuses, reassignments) to problems with
 * the monitoring convention's severities and the exit code (0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN: the worst problem wins).
 *
 * CRITICAL: no controller quorum (DescribeQuorum failed or names no leader,
 * or Metadata names no controller); offline partitions (no live leader);
 * partitions whose ISR is smaller than min.insync.replicas.
 * WARNING: more under-replicated partitions than --max-under-replicated;
 * more brokers down than --max-down-brokers; stuck reassignments.
 *
 * A broker is down when it is known but not live: Metadata lists only live
 * (registered, unfenced) brokers, so the known ones are the quorum's voters
 * and observers plus every broker named as a partition replica, and a live
 * broker that does not accept a connection or answer in time (a stalled
 * process) counts as down too. A
 * reassignment is stuck when a replica it is adding is on a broker that is
 * not live: it cannot copy the data, so the move cannot finish.
 *
 * Text (`renderHealth`), Nagios plugin style, `STATE: text` on every line:
 * the first names the status and each problem in short
 * (`WARNING: 1 broker down or fenced (3); 2 under-replicated partitions`),
 * or the cluster's size when OK, then performance data after ` | `
 * (brokers_up, brokers_down, under_replicated, offline, under_min_isr with
 * their WARNING/CRITICAL thresholds, quorum_max_lag: the metadata quorum's
 * largest follower lag in entries); then one line per problem with its
 * examples, worst first. UNKNOWN is the one line naming why.
 */
import type { OngoingMove } from '../client/admin.ts';
import { partitionName, type PartitionStatus } from '../client/partition-status.ts';

export const healthStatuses = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
export type HealthStatus = (typeof healthStatuses)[number];

export interface HealthProblem {
  severity: Exclude<HealthStatus, 'OK'>;
  check: 'unreachable' | 'quorum' | 'offline' | 'under-min-isr' | 'under-replicated' | 'brokers-down' | 'stuck-reassignments';
  count: number;
  /** For the first line: the count and what, e.g. "1 broker down or fenced (3)". */
  summary: string;
  message: string;
  /** Every affected item (partition names, broker ids, ...); the message shows a few. */
  items: (string | number)[];
}

export interface HealthInput {
  /** Metadata's controller id, -1 when none. */
  controllerId: number;
  liveBrokers: number[];
  /** Live brokers that did not accept a connection. */
  unreachableBrokers: number[];
  /** maxLag: the largest follower lag in entries, null when unknown. */
  quorum: { leaderId: number; voters: number[]; observers: number[]; maxLag: number | null } | { error: string };
  partitions: PartitionStatus[];
  topics: number;
  /** null: the reassignments could not be listed (the check is skipped). */
  reassignments: OngoingMove[] | null;
}

export interface HealthThresholds {
  /** WARNING only above this many under-replicated partitions. */
  maxUnderReplicated: number;
  /** WARNING only above this many brokers down. */
  maxDownBrokers: number;
}

export interface HealthReport {
  status: HealthStatus;
  exitCode: number;
  problems: HealthProblem[];
  controllerId: number | null;
  quorumLeaderId: number | null;
  /** The metadata quorum's largest follower lag in entries; null when unknown. */
  quorumMaxLag: number | null;
  brokers: { live: number[]; down: number[] };
  topics: number;
  partitions: number;
  underReplicated: string[];
  underMinIsr: string[];
  offline: string[];
  /** null when the reassignments could not be listed. */
  reassignments: { inProgress: string[]; stuck: string[] } | null;
}

const examplesShown = 5;

/** A problem with `items`; `itemsInSummary`: the first line names them too (broker ids, which are few). */
function problem(severity: HealthProblem['severity'], check: HealthProblem['check'], what: string, items: (string | number)[], itemsInSummary = false): HealthProblem {
  const shown = items.slice(0, examplesShown).join(', ');
  const more = items.length > examplesShown ? ` and ${items.length - examplesShown} more` : '';
  const summary = `${items.length} ${what}${itemsInSummary ? ` (${shown}${more})` : ''}`;
  return { severity, check, count: items.length, summary, message: `${items.length} ${what}: ${shown}${more}`, items };
}

function quorumProblem(reason: string): HealthProblem {
  return { severity: 'CRITICAL', check: 'quorum', count: 1, summary: 'no controller quorum', message: `no controller quorum: ${reason}`, items: [] };
}

function plural(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}

export function buildHealthReport(input: HealthInput, thresholds: HealthThresholds): HealthReport {
  const problems: HealthProblem[] = [];
  const quorumLeaderId = 'error' in input.quorum ? null : input.quorum.leaderId;
  if ('error' in input.quorum) problems.push(quorumProblem(input.quorum.error));
  else if (input.quorum.leaderId < 0 || input.controllerId < 0) problems.push(quorumProblem('the metadata quorum has no leader'));

  const names = (pick: (p: PartitionStatus) => boolean) => input.partitions.filter(pick).map(partitionName);
  const offline = names((p) => p.offline);
  const underMinIsr = names((p) => p.underMinIsr);
  const underReplicated = names((p) => p.underReplicated);
  if (offline.length > 0) problems.push(problem('CRITICAL', 'offline', plural(offline.length, 'offline partition', 'offline partitions'), offline));
  if (underMinIsr.length > 0) problems.push(problem('CRITICAL', 'under-min-isr', plural(underMinIsr.length, 'partition under min ISR', 'partitions under min ISR'), underMinIsr));
  if (underReplicated.length > thresholds.maxUnderReplicated) {
    problems.push(problem('WARNING', 'under-replicated', plural(underReplicated.length, 'under-replicated partition', 'under-replicated partitions'), underReplicated));
  }

  const live = new Set(input.liveBrokers);
  const known = new Set<number>([...input.liveBrokers, ...input.partitions.flatMap((p) => p.replicas)]);
  if (!('error' in input.quorum)) for (const id of [...input.quorum.voters, ...input.quorum.observers]) known.add(id);
  const down = [...known].filter((id) => !live.has(id) || input.unreachableBrokers.includes(id)).sort((a, b) => a - b);
  if (down.length > thresholds.maxDownBrokers) problems.push(problem('WARNING', 'brokers-down', plural(down.length, 'broker down or fenced', 'brokers down or fenced'), down, true));

  let reassignments: HealthReport['reassignments'] = null;
  if (input.reassignments !== null) {
    const stuck = input.reassignments.filter((r) => r.addingReplicas.some((id) => !live.has(id) || input.unreachableBrokers.includes(id)));
    reassignments = { inProgress: input.reassignments.map(partitionName), stuck: stuck.map(partitionName) };
    if (stuck.length > 0) {
      problems.push(problem('WARNING', 'stuck-reassignments', plural(stuck.length, 'stuck reassignment (adding a replica on a broker that is down)', 'stuck reassignments (adding replicas on brokers that are down)'), reassignments.stuck));
    }
  }

  problems.sort((a, b) => healthStatuses.indexOf(b.severity) - healthStatuses.indexOf(a.severity));
  const exitCode = Math.max(0, ...problems.map((p) => healthStatuses.indexOf(p.severity)));
  return {
    status: healthStatuses[exitCode],
    exitCode,
    problems,
    controllerId: input.controllerId < 0 ? null : input.controllerId,
    quorumLeaderId: quorumLeaderId === null || quorumLeaderId < 0 ? null : quorumLeaderId,
    quorumMaxLag: 'error' in input.quorum ? null : input.quorum.maxLag,
    brokers: { live: [...live].sort((a, b) => a - b), down },
    topics: input.topics,
    partitions: input.partitions.length,
    underReplicated,
    underMinIsr,
    offline,
    reassignments,
  };
}

/** The report when the cluster cannot be checked at all. */
export function unknownReport(reason: string): HealthReport {
  return {
    status: 'UNKNOWN',
    exitCode: 3,
    problems: [{ severity: 'UNKNOWN', check: 'unreachable', count: 1, summary: reason, message: reason, items: [] }],
    controllerId: null,
    quorumLeaderId: null,
    quorumMaxLag: null,
    brokers: { live: [], down: [] },
    topics: 0,
    partitions: 0,
    underReplicated: [],
    underMinIsr: [],
    offline: [],
    reassignments: null,
  };
}

/** Nagios performance data: `label=value;warn;crit` (thresholds where the check has them). */
function perfdata(report: HealthReport, thresholds: HealthThresholds): string {
  return [
    `brokers_up=${report.brokers.live.length - report.brokers.down.filter((id) => report.brokers.live.includes(id)).length}`,
    `brokers_down=${report.brokers.down.length};${thresholds.maxDownBrokers}`,
    `under_replicated=${report.underReplicated.length};${thresholds.maxUnderReplicated}`,
    `offline=${report.offline.length};;0`,
    `under_min_isr=${report.underMinIsr.length};;0`,
    ...(report.quorumMaxLag === null ? [] : [`quorum_max_lag=${report.quorumMaxLag}`]),
  ].join(' ');
}

/** Text for people and monitoring systems (see the header): `STATE: text` lines, the first with the problems in short and perfdata. */
export function renderHealth(report: HealthReport, thresholds: HealthThresholds = { maxUnderReplicated: 0, maxDownBrokers: 0 }): string[] {
  if (report.status === 'UNKNOWN') return [`UNKNOWN: ${report.problems.map((p) => p.message).join('; ')}`];
  const summary =
    report.problems.length === 0
      ? `${report.brokers.live.length} broker(s), ${report.topics} topic(s), ${report.partitions} partition(s)`
      : report.problems.map((p) => p.summary).join('; ');
  return [`${report.status}: ${summary} | ${perfdata(report, thresholds)}`, ...report.problems.map((p) => `${p.severity}: ${p.message}`)];
}
