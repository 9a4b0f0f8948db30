/**
 * The fault suite's report: one row per run (its scenario, seed and the
 * checker's counts; elections null, shown `?`, when not observed), as a plain aligned text table or as JSON (an array of
 * rows with the keys of `ReportRow`), and the examples behind a run's
 * anomalies for when it fails.
 */
import { anomalies, type Verdict } from './checker.ts';

export interface ReportRow {
  scenario: string;
  seed: number;
  ok: boolean;
  acknowledged: number;
  committedTransactions: number;
  lost: number;
  duplicated: number;
  mismatched: number;
  reordered: number;
  unexpected: number;
  commitRegressions: number;
  /** Positions where replicas diverge (see checker.ts). */
  divergent: number;
  /** Transaction anomalies (txn-checker.ts). */
  abortedRead: number;
  txnLost: number;
  txnPartial: number;
  zombieCommit: number;
  notExactlyOnce: number;
  /** Leadership changes while the nemesis ran (checker.ts); null when they could not be observed. */
  elections: number | null;
  unavailableSeconds: number;
  longestGapSeconds: number;
}

const toTheMs = (seconds: number): number => Math.round(seconds * 1000) / 1000;

export function reportRow(scenario: string, seed: number, verdict: Verdict): ReportRow {
  return {
    scenario,
    seed,
    ok: verdict.ok,
    acknowledged: verdict.acknowledged,
    committedTransactions: verdict.committedTransactions,
    lost: verdict.lost.count,
    duplicated: verdict.duplicated.count,
    mismatched: verdict.mismatched.count,
    reordered: verdict.reordered.count,
    unexpected: verdict.unexpected.count,
    commitRegressions: verdict.commitRegressions.count,
    divergent: verdict.divergence.count,
    abortedRead: verdict.abortedRead.count,
    txnLost: verdict.txnLost.count,
    txnPartial: verdict.txnPartial.count,
    zombieCommit: verdict.zombieCommit.count,
    notExactlyOnce: verdict.notExactlyOnce.count,
    elections: verdict.elections.unobserved === null ? verdict.elections.count : null,
    unavailableSeconds: toTheMs(verdict.unavailability.seconds),
    longestGapSeconds: toTheMs(verdict.unavailability.longestGapMs / 1000),
  };
}

/** Column headings, in order; text columns align left, numbers right. */
const columns: [key: keyof ReportRow, heading: string][] = [
  ['scenario', 'scenario'],
  ['seed', 'seed'],
  ['ok', 'result'],
  ['acknowledged', 'acked'],
  ['committedTransactions', 'txns'],
  ['lost', 'lost'],
  ['duplicated', 'duplicated'],
  ['mismatched', 'mismatched'],
  ['reordered', 'reordered'],
  ['unexpected', 'unexpected'],
  ['commitRegressions', 'commit regressions'],
  ['divergent', 'divergent'],
  ['abortedRead', 'aborted read'],
  ['txnLost', 'txn lost'],
  ['txnPartial', 'txn partial'],
  ['zombieCommit', 'zombie commits'],
  ['notExactlyOnce', 'not exactly once'],
  ['elections', 'elections'],
  ['unavailableSeconds', 'unavailable s'],
  ['longestGapSeconds', 'longest gap s'],
];

function cell(row: ReportRow, key: keyof ReportRow): string {
  const value = row[key];
  if (key === 'ok') return value ? 'ok' : 'FAIL';
  if (value === null) return '?';
  if (key === 'unavailableSeconds' || key === 'longestGapSeconds') return (value as number).toFixed(1);
  return String(value);
}

/** The rows as a text table: a heading line, then one line per run, columns padded to align. */
export function formatTable(rows: readonly ReportRow[]): string {
  const cells = [columns.map(([, heading]) => heading), ...rows.map((row) => columns.map(([key]) => cell(row, key)))];
  const widths = columns.map((_, i) => cells.reduce((width, line) => Math.max(width, line[i].length), 0));
  const leftAligned = (key: keyof ReportRow): boolean => key === 'scenario' || key === 'ok';
  return cells
    .map((line) => line.map((text, i) => (leftAligned(columns[i][0]) ? text.padEnd(widths[i]) : text.padStart(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

export function formatJson(rows: readonly ReportRow[]): string {
  return JSON.stringify(rows, null, 2);
}

/** Each anomaly the verdict found: its count and examples, one per line (empty when the run was ok). */
export function formatAnomalies(verdict: Verdict): string {
  return anomalies
    .filter((name) => verdict[name].count > 0)
    .map((name) => [`${name}: ${verdict[name].count}`, ...verdict[name].examples.map((example) => `  ${example}`)].join('\n'))
    .join('\n');
}
