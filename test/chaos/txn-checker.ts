/**
 * The checker's transaction rules (checker.ts runs them on every history;
 * a run without `txn` events finds nothing here). What read_committed
 * showed is the final read at read_committed plus every record a live
 * read_committed reader consumed. Per transaction (history.ts `Txn`):
 *
 * - abortedRead: a record of an aborted or fenced transaction was read at
 *   read_committed.
 * - txnLost: a committed transaction (not fenced) lacks records in the
 *   final read_committed read (some or all).
 * - txnPartial: an indeterminate transaction (not fenced) of which
 *   read_committed showed some record, while the final read_committed read
 *   lacks another: it must be all or nothing.
 * - zombieCommit: a fenced transaction's commit was acknowledged.
 * - notExactlyOnce (a transactional run: one with `txn` events): the
 *   consume-transform-produce stage's output (`copied`) is not exactly the
 *   final read_committed read of its input, once: per value, one missing
 *   from the output, copied more than once, or copied while the input does
 *   not hold it committed.
 *
 * Each offending transaction or value counts once per rule. Exactly once and in
 * order per partition are checker.ts's duplicated and reordered rules, run
 * on the read_committed read too; `consumedMismatches` notes live reads
 * that disagree with the final read_uncommitted read at their position (a
 * record a client saw was later replaced or truncated).
 */
import { anomaly, note, type Anomaly } from './anomaly.ts';
import type { Consumed, Copied, Read, Txn } from './history.ts';

export interface TransactionAnomalies {
  abortedRead: Anomaly;
  txnLost: Anomaly;
  txnPartial: Anomaly;
  zombieCommit: Anomaly;
  notExactlyOnce: Anomaly;
}

const at = (r: { partition: number; offset: number }): string => `p${r.partition}@${r.offset}`;
const shownValues = (values: readonly string[]): string => (values.length <= 6 ? values.join(', ') : `${values.slice(0, 6).join(', ')}, ... (${values.length})`);
const shownTxn = (txn: Txn): string => `${txn.outcome}${txn.fenced ? ' fenced' : ''} transaction [${shownValues(txn.values)}] (${txn.t} ms)`;

export function transactionAnomalies(
  txns: readonly Txn[], committedReads: readonly Read[], consumed: readonly Consumed[], copied: readonly Copied[],
): TransactionAnomalies {
  const found: TransactionAnomalies = { abortedRead: anomaly(), txnLost: anomaly(), txnPartial: anomaly(), zombieCommit: anomaly(), notExactlyOnce: anomaly() };
  const inFinal = new Set(committedReads.map((r) => r.value));
  /** Where read_committed showed each value first. */
  const shownAt = new Map<string, string>();
  for (const r of committedReads) if (r.value !== null && !shownAt.has(r.value)) shownAt.set(r.value, `the final read at ${at(r)}`);
  for (const c of consumed) {
    if (c.isolation === 'read_committed' && c.value !== null && !shownAt.has(c.value)) shownAt.set(c.value, `${c.process} at ${at(c)} (${c.t} ms)`);
  }
  for (const txn of txns) {
    const shown = txn.values.filter((v) => shownAt.has(v));
    const missing = txn.values.filter((v) => !inFinal.has(v));
    if (txn.fenced && txn.outcome === 'committed') note(found.zombieCommit, `${shownTxn(txn)}: its commit was acknowledged`);
    if (txn.fenced || txn.outcome === 'aborted') {
      if (shown.length > 0) note(found.abortedRead, `${shownTxn(txn)}: ${shown.map((v) => `${v} read by ${shownAt.get(v)}`).join('; ')}`);
    } else if (txn.outcome === 'committed') {
      if (missing.length > 0) note(found.txnLost, `${shownTxn(txn)}: the final read_committed read lacks ${shownValues(missing)}`);
    } else if (shown.length > 0 && missing.length > 0) {
      note(found.txnPartial, `${shownTxn(txn)}: ${shown[0]} read by ${shownAt.get(shown[0])}, the final read_committed read lacks ${shownValues(missing)}`);
    }
  }
  if (txns.length > 0) copiedOnce(committedReads, copied, found.notExactlyOnce);
  return found;
}

/** Notes each value the output (`copied`) lacks, holds twice or more, or holds without the input (`committedReads`) holding it. */
function copiedOnce(committedReads: readonly Read[], copied: readonly Copied[], notExactlyOnce: Anomaly): void {
  const copies = new Map<string | null, Copied[]>();
  for (const c of copied) {
    const list = copies.get(c.value);
    if (list === undefined) copies.set(c.value, [c]);
    else list.push(c);
  }
  const input = new Map(committedReads.map((r) => [r.value, r]));
  for (const [value, found] of copies) {
    const where = found.map(at).join(', ');
    if (!input.has(value)) note(notExactlyOnce, `${JSON.stringify(value)} copied at ${where}, not committed in the input`);
    else if (found.length > 1) note(notExactlyOnce, `${JSON.stringify(value)} copied ${found.length} times, at ${where}`);
  }
  for (const [value, r] of input) if (!copies.has(value)) note(notExactlyOnce, `${JSON.stringify(value)} committed in the input at ${at(r)}, not copied`);
}

/** Each live read that disagrees with the final read_uncommitted read at its position. */
export function consumedMismatches(consumed: readonly Consumed[], uncommittedReads: readonly Read[], mismatched: Anomaly): void {
  const final = new Map(uncommittedReads.map((r) => [at(r), r.value]));
  for (const c of consumed) {
    const held = final.get(at(c));
    if (held === c.value) continue;
    const holds = held === undefined ? 'nothing' : JSON.stringify(held);
    note(mismatched, `${c.process} (${c.isolation}) read ${JSON.stringify(c.value)} at ${at(c)} (${c.t} ms), the final read holds ${holds} there`);
  }
}
