/**
 * Judges a fault-suite run's whole history (see history.ts). `check`
 * counts, per anomaly, with up to `exampleLimit` examples each (anomaly.ts).
 * "The final read" is the read_uncommitted one, which holds every record
 * written, committed or not; the read_committed one (transactional runs)
 * is judged for duplicates and order too, and by txn-checker.ts.
 *
 * - lost: acknowledged, absent from the final read. An indeterminate write
 *   (failed, timed out, no outcome) is never lost, and may be read once.
 * - duplicated: one value read at two or more positions (in either read).
 * - mismatched: an acknowledged value the final read holds, but not at its
 *   acknowledged partition and offset; or one value acknowledged at two
 *   different positions (a client retry's acks must agree). An ack without
 *   an offset (librdkafka's implicit acks) is held to its partition only.
 *   Also a record a live reader consumed that the final read does not hold
 *   at its position.
 * - reordered: within one process's values in one partition, in offset
 *   order, a value with a lower seq right after one with a higher seq
 *   (counted once per break; a duplicate's later copies are not looked at).
 *   Gaps in seq are fine: failed sends leave them.
 * - unexpected: a read value that no send/ack/fail ever named (or null).
 * - commit regressions: an acknowledged commit lower than an earlier
 *   acknowledged one for its group and partition; an observed committed
 *   offset lower than an earlier observation, or than a commit acknowledged
 *   before the observation began. Each offending event counts once.
 * - divergence: positions (partition, offset) where two replicas hold
 *   different records (or one has a record the other lacks) below both
 *   their high watermarks and at or above both their log starts; or where a
 *   replica, within its [logStart, highWatermark), lacks or differs from a
 *   record of the final read.
 * - abortedRead, txnLost, txnPartial, zombieCommit, notExactlyOnce: txn-checker.ts.
 *
 * and `ok` when none of those happened. It also counts the acknowledged and
 * indeterminate values, the committed transactions, unavailability (availability.ts), and elections,
 * none of which affects `ok` (a nemesis that should see no election is
 * judged by judge.ts):
 *
 * - elections: between the first and the last `leadership` event (just
 *   before and after the nemesis), each partition whose leader epoch
 *   moved, the metadata quorum's epoch if it moved, and each broker live
 *   at the first and not at the last. The controller moves a fenced
 *   broker's leaderships, so when every live broker led a partition at the
 *   first, no change means no broker was fenced either. Unobserved (with
 *   why) when either event lacks an answer or a live broker led nothing.
 *
 * Linear in the history (plus sorting), so a few hundred thousand events
 * take about a second.
 */
import { anomaly, note, type Anomaly } from './anomaly.ts';
import { availability, type Availability } from './availability.ts';
import {
  parseValue, type Ack, type Commit, type Committed, type Consumed, type Copied, type Event, type Leadership, type Led, type Read, type Replica, type Txn,
} from './history.ts';
import { consumedMismatches, transactionAnomalies, type TransactionAnomalies } from './txn-checker.ts';

export interface Elections extends Anomaly {
  /** Why elections could not be counted (count is then 0), or null. */
  unobserved: string | null;
}

export interface Verdict extends TransactionAnomalies {
  ok: boolean;
  /** Distinct values acknowledged. */
  acknowledged: number;
  /** Distinct values attempted and never acknowledged (failed, timed out, or no outcome logged). */
  indeterminate: number;
  /** Transactions whose commit was acknowledged. */
  committedTransactions: number;
  lost: Anomaly;
  duplicated: Anomaly;
  mismatched: Anomaly;
  reordered: Anomaly;
  unexpected: Anomaly;
  commitRegressions: Anomaly;
  divergence: Anomaly;
  unavailability: Availability;
  elections: Elections;
}

/** The anomalies that make a run fail. */
export const anomalies = [
  'lost', 'duplicated', 'mismatched', 'reordered', 'unexpected', 'commitRegressions', 'divergence',
  'abortedRead', 'txnLost', 'txnPartial', 'zombieCommit', 'notExactlyOnce',
] as const satisfies readonly (keyof Verdict)[];

const at = (partition: number, offset: number | null): string => `p${partition}@${offset ?? '?'}`;
/** Whether a position agrees with an acknowledged one (an ack without an offset names only its partition). */
const agrees = (ack: { partition: number; offset: number | null }, p: { partition: number; offset: number | null }): boolean =>
  ack.partition === p.partition && (ack.offset === null || p.offset === null || ack.offset === p.offset);
const shown = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value));

export function check(events: readonly Event[]): Verdict {
  const attempted = new Set<string>();
  const acks = new Map<string, Ack>();
  const reads: Read[] = [];
  const committedReads: Read[] = [];
  const consumed: Consumed[] = [];
  const copied: Copied[] = [];
  const txns: Txn[] = [];
  const replicas: Replica[] = [];
  const commits: (Commit | Committed)[] = [];
  const leadership: Leadership[] = [];
  const mismatched = anomaly();
  for (const e of events) {
    switch (e.type) {
      case 'send':
      case 'fail':
        attempted.add(e.value);
        break;
      case 'ack': {
        attempted.add(e.value);
        const first = acks.get(e.value);
        if (first === undefined || (first.offset === null && e.offset !== null)) acks.set(e.value, e);
        if (first !== undefined && !agrees(first, e)) {
          note(mismatched, `${e.value} acknowledged at ${at(first.partition, first.offset)} and at ${at(e.partition, e.offset)}`);
        }
        break;
      }
      case 'read':
        (e.isolation === 'read_committed' ? committedReads : reads).push(e);
        break;
      case 'consumed':
        consumed.push(e);
        break;
      case 'copied':
        copied.push(e);
        break;
      case 'txn':
        txns.push(e);
        break;
      case 'replica':
        replicas.push(e);
        break;
      case 'commit':
      case 'committed':
        commits.push(e);
        break;
      case 'leadership':
        leadership.push(e);
        break;
      case 'phase':
        break;
    }
  }
  const byPosition = (a: Read, b: Read): number => a.partition - b.partition || a.offset - b.offset;
  reads.sort(byPosition);
  committedReads.sort(byPosition);
  const readAt = positionsOf(reads);

  const lost = anomaly();
  for (const [value, ack] of acks) {
    const found = readAt.get(value);
    if (found === undefined) note(lost, `${value} acknowledged at ${at(ack.partition, ack.offset)}, not read`);
    else if (!found.some((r) => agrees(ack, r))) {
      note(mismatched, `${value} acknowledged at ${at(ack.partition, ack.offset)}, read at ${found.map((r) => at(r.partition, r.offset)).join(', ')}`);
    }
  }
  consumedMismatches(consumed, reads, mismatched);
  const duplicated = anomaly();
  const unexpected = anomaly();
  const reordered = anomaly();
  for (const [view, viewReads] of [['', reads], ['read_committed: ', committedReads]] as const) {
    for (const [value, found] of view === '' ? readAt : positionsOf(viewReads)) {
      if (found.length > 1) note(duplicated, `${view}${shown(value)} read at ${found.map((r) => at(r.partition, r.offset)).join(', ')}`);
      if (view === '' && (value === null || !attempted.has(value))) note(unexpected, `${shown(value)} read at ${at(found[0].partition, found[0].offset)}, never sent`);
    }
    reorderings(viewReads, attempted, reordered, view);
  }
  const verdict = {
    acknowledged: acks.size,
    indeterminate: attempted.size - acks.size,
    committedTransactions: txns.filter((txn) => txn.outcome === 'committed').length,
    lost,
    duplicated,
    mismatched,
    reordered,
    unexpected,
    commitRegressions: commitRegressions(commits),
    divergence: divergence(replicas, reads),
    ...transactionAnomalies(txns, committedReads, consumed, copied),
    unavailability: availability(events),
    elections: elections(leadership),
  };
  return { ok: anomalies.every((name) => verdict[name].count === 0), ...verdict };
}

/** Each read value's distinct positions, in read order. */
function positionsOf(reads: readonly Read[]): Map<string | null, Read[]> {
  const byValue = new Map<string | null, Read[]>();
  for (const r of reads) {
    const found = byValue.get(r.value);
    if (found === undefined) byValue.set(r.value, [r]);
    else if (!found.some((f) => f.partition === r.partition && f.offset === r.offset)) found.push(r);
  }
  return byValue;
}

/** Notes in `reordered` the breaks in seq order within each process's values per partition; `reads` sorted by partition, offset; examples start with `view`. */
function reorderings(reads: readonly Read[], attempted: ReadonlySet<string>, reordered: Anomaly, view: string): void {
  const seen = new Set<string>();
  let partition = -1;
  let last = new Map<string, { seq: number; offset: number; value: string }>();
  for (const r of reads) {
    if (r.partition !== partition) {
      partition = r.partition;
      last = new Map();
    }
    if (r.value === null || !attempted.has(r.value) || seen.has(r.value)) continue;
    seen.add(r.value);
    const parsed = parseValue(r.value);
    if (parsed === undefined) continue;
    const before = last.get(parsed.process);
    if (before !== undefined && parsed.seq < before.seq) {
      note(reordered, `${view}${before.value} at ${at(partition, before.offset)} before ${r.value} at ${at(partition, r.offset)}`);
    }
    last.set(parsed.process, { seq: parsed.seq, offset: r.offset, value: r.value });
  }
}

/** Acknowledged commits and observations that go below what was acknowledged or observed before. */
function commitRegressions(events: readonly (Commit | Committed)[]): Anomaly {
  const regressions = anomaly();
  // An observation stamped at the same ms as a commit's acknowledgement did not begin after it.
  const rank = (e: Commit | Committed): number => (e.type === 'committed' ? 0 : 1);
  const sorted = [...events].sort((a, b) => a.t - b.t || rank(a) - rank(b));
  const acked = new Map<string, number>();
  const observed = new Map<string, number>();
  for (const e of sorted) {
    const key = `${e.partition} ${e.group}`;
    const name = `group ${JSON.stringify(e.group)} partition ${e.partition}`;
    const highestAck = acked.get(key);
    if (e.type === 'commit') {
      if (e.outcome !== 'ok') continue;
      if (highestAck !== undefined && e.offset < highestAck) {
        note(regressions, `${name}: commit of ${e.offset} acknowledged at ${e.t} ms after a commit of ${highestAck}`);
      }
      acked.set(key, Math.max(e.offset, highestAck ?? e.offset));
      continue;
    }
    const lastSeen = observed.get(key);
    if (lastSeen !== undefined && e.offset < lastSeen) {
      note(regressions, `${name}: observed ${e.offset} at ${e.t} ms after observing ${lastSeen}`);
    } else if (highestAck !== undefined && e.offset < highestAck) {
      note(regressions, `${name}: observed ${e.offset} at ${e.t} ms after a commit of ${highestAck} was acknowledged`);
    }
    observed.set(key, Math.max(e.offset, lastSeen ?? e.offset));
  }
  return regressions;
}

/** Positions where replicas disagree with each other or with the final read; `reads` sorted by partition, offset. */
function divergence(replicas: readonly Replica[], reads: readonly Read[]): Anomaly {
  const divergent = anomaly();
  const flagged = new Set<string>();
  const flag = (partition: number, offset: number, example: string): void => {
    const position = at(partition, offset);
    if (flagged.has(position)) return;
    flagged.add(position);
    note(divergent, `${position}: ${example}`);
  };
  const readsOf = new Map<number, Read[]>();
  for (const r of reads) {
    const list = readsOf.get(r.partition);
    if (list === undefined) readsOf.set(r.partition, [r]);
    else list.push(r);
  }
  const byPartition = new Map<number, { replica: Replica; records: Map<number, string | null> }[]>();
  for (const replica of replicas) {
    const list = byPartition.get(replica.partition) ?? [];
    list.push({ replica, records: new Map(replica.records) });
    byPartition.set(replica.partition, list);
  }
  const holds = (records: Map<number, string | null>, offset: number): string =>
    records.has(offset) ? shown(records.get(offset) as string | null) : 'nothing';
  for (const [partition, list] of byPartition) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i], list[j]];
        const from = Math.max(a.replica.logStartOffset, b.replica.logStartOffset);
        const to = Math.min(a.replica.highWatermark, b.replica.highWatermark);
        const compare = (offset: number): void => {
          if (offset < from || offset >= to) return;
          if (a.records.has(offset) && b.records.has(offset) && a.records.get(offset) === b.records.get(offset)) return;
          flag(partition, offset, `node ${a.replica.node} holds ${holds(a.records, offset)}, node ${b.replica.node} holds ${holds(b.records, offset)}`);
        };
        for (const offset of a.records.keys()) compare(offset);
        for (const offset of b.records.keys()) if (!a.records.has(offset)) compare(offset);
      }
    }
    for (const { replica, records } of list) {
      for (const r of readsOf.get(partition) ?? []) {
        if (r.offset < replica.logStartOffset || r.offset >= replica.highWatermark) continue;
        if (records.has(r.offset) && records.get(r.offset) === r.value) continue;
        flag(partition, r.offset, `node ${replica.node} holds ${holds(records, r.offset)}, the final read ${shown(r.value)}`);
      }
    }
  }
  return divergent;
}

type Answered = Leadership & { partitions: Led[]; brokers: number[]; quorumEpoch: number };
const answered = (o: Leadership): o is Answered => o.partitions !== null && o.brokers !== null && o.quorumEpoch !== null;

/** Leadership changes from the first observation to the last (see the header). */
function elections(observations: readonly Leadership[]): Elections {
  const sorted = [...observations].sort((a, b) => a.t - b.t);
  const [first, last] = [sorted[0], sorted.at(-1)];
  const unobserved = (why: string): Elections => ({ count: 0, examples: [], unobserved: why });
  if (first === undefined || last === undefined || first === last) return unobserved('leadership was not observed before and after the faults');
  const silent = (o: Leadership): Elections => unobserved(`the cluster did not say who led what at ${o.t} ms`);
  if (!answered(first)) return silent(first);
  if (!answered(last)) return silent(last);
  const idle = first.brokers.filter((id) => !first.partitions.some((p) => p.leader === id));
  if (idle.length > 0) return unobserved(`broker ${idle.join(', ')} led no partition at ${first.t} ms, so its fencing would move no leader`);
  const found: Elections = { ...anomaly(), unobserved: null };
  for (const before of first.partitions) {
    const after = last.partitions.find((p) => p.topic === before.topic && p.partition === before.partition);
    if (after === undefined || after.leaderEpoch === before.leaderEpoch) continue;
    note(found, `${before.topic}-${before.partition}: leader ${before.leader} in epoch ${before.leaderEpoch}, then ${after.leader} in epoch ${after.leaderEpoch}`);
  }
  if (last.quorumEpoch !== first.quorumEpoch) note(found, `metadata quorum: epoch ${first.quorumEpoch}, then ${last.quorumEpoch}`);
  for (const id of first.brokers) if (!last.brokers.includes(id)) note(found, `broker ${id}: live at ${first.t} ms, not at ${last.t} ms`);
  return found;
}
