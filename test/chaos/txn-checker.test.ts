/**
 * The checker's transaction rules (txn-checker.ts, and checker.ts's
 * duplicated/reordered/mismatched on the transactional reads) against
 * fabricated histories: a clean transactional run (with a faithful copy
 * stage), then one violation of each rule, each caught with the right
 * count. No I/O, no brokers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anomalies, check, type Verdict } from './checker.ts';
import { parseHistory, type Event, type Txn } from './history.ts';

const producer = 'txn-1';

/** A transaction of the clean run: its outcome, fenced or not, each value's partition, and whether it is committed in the end. */
interface Planned { outcome: Txn['outcome']; fenced: boolean; partitions: number[]; visible: boolean }

/**
 * t0 committed to p0, p1; t1 aborted; t2 fenced (its commit refused); t3 in doubt, committed in the
 * end; t4 in doubt, aborted in the end; t5 committed to p0, p1, p0. seq counts up across them.
 */
const plan: Planned[] = [
  { outcome: 'committed', fenced: false, partitions: [0, 1], visible: true },
  { outcome: 'aborted', fenced: false, partitions: [0, 1], visible: false },
  { outcome: 'indeterminate', fenced: true, partitions: [0, 1], visible: false },
  { outcome: 'indeterminate', fenced: false, partitions: [0, 1], visible: true },
  { outcome: 'indeterminate', fenced: false, partitions: [0], visible: false },
  { outcome: 'committed', fenced: false, partitions: [0, 1, 0], visible: true },
];

/**
 * The clean run: every value sent and acknowledged at its offset, each transaction's marker taking
 * the next offset of every partition it wrote; the final reads at both isolation levels, a live
 * reader at each level that read everything it should, and three replicas holding the data records.
 */
function cleanRun(): Event[] {
  const events: Event[] = [];
  const next = [0, 0];
  const logs: [number, string][][] = [[], []];
  const committed: [number, number, string][] = [];
  let seq = 0;
  for (const [i, txn] of plan.entries()) {
    const values: string[] = [];
    for (const partition of txn.partitions) {
      const value = `${producer}:${seq++}`;
      const offset = next[partition]++;
      const t = i * 100 + values.length;
      events.push({ type: 'send', t, process: producer, value }, { type: 'ack', t: t + 2, process: producer, value, partition, offset });
      values.push(value);
      logs[partition].push([offset, value]);
      if (txn.visible) committed.push([partition, offset, value]);
    }
    for (const partition of new Set(txn.partitions)) next[partition]++; // the marker
    events.push({ type: 'txn', t: i * 100 + 50, process: producer, values, outcome: txn.outcome, fenced: txn.fenced });
  }
  for (const [partition, log] of logs.entries()) {
    for (const [offset, value] of log) {
      events.push({ type: 'read', partition, offset, value, isolation: 'read_uncommitted' });
      events.push({ type: 'consumed', t: 900, process: 'reader-uncommitted', isolation: 'read_uncommitted', partition, offset, value });
    }
    for (const node of [1, 2, 3]) {
      events.push({ type: 'replica', node, partition, highWatermark: next[partition], logStartOffset: 0, records: log.map(([o, v]) => [o, v]) });
    }
  }
  for (const [partition, offset, value] of committed) {
    events.push({ type: 'read', partition, offset, value, isolation: 'read_committed' });
    events.push({ type: 'consumed', t: 900, process: 'reader-committed', isolation: 'read_committed', partition, offset, value });
  }
  return events;
}

/** The value of transaction `txn`'s `index`th record in the clean run. */
function valueOf(txn: number, index: number): string {
  return `${producer}:${plan.slice(0, txn).reduce((n, p) => n + p.partitions.length, 0) + index}`;
}

/** Where the clean run acknowledged `value`. */
function positionOf(value: string): { partition: number; offset: number } {
  const ack = cleanRun().find((e) => e.type === 'ack' && e.value === value);
  assert.ok(ack?.type === 'ack' && ack.offset !== null);
  return { partition: ack.partition, offset: ack.offset };
}

/** `events` with the consume-transform-produce stage's output: a copy of every record of the final read_committed read, once. */
function withCopies(events: Event[]): Event[] {
  const copies = events.filter((e) => e.type === 'read' && e.isolation === 'read_committed');
  return [...events, ...copies.map((r, offset): Event => ({ type: 'copied', partition: 0, offset, value: r.type === 'read' ? r.value : null }))];
}

/** The verdict on `events` with a faithful copy stage. */
const judged = (events: Event[]): Verdict => check(withCopies(events));

const committedRead = (value: string): Event => ({ type: 'read', ...positionOf(value), value, isolation: 'read_committed' });
const consumedCommitted = (value: string): Event => ({ type: 'consumed', t: 950, process: 'reader-committed', isolation: 'read_committed', ...positionOf(value), value });
/** Drops every read_committed read and read_committed live read of `value`. */
const unread = (value: string) => (e: Event): boolean =>
  !((e.type === 'read' || e.type === 'consumed') && e.isolation === 'read_committed' && e.value === value);

function assertFound(verdict: Verdict, counts: Partial<Record<(typeof anomalies)[number], number>>): void {
  for (const name of anomalies) assert.equal(verdict[name].count, counts[name] ?? 0, `${name}: ${JSON.stringify(verdict[name].examples)}`);
  assert.equal(verdict.ok, Object.values(counts).every((c) => c === 0), 'ok');
}

test('a clean transactional run is ok: aborted, fenced and in-doubt-aborted records only in read_uncommitted', () => {
  const verdict = judged(cleanRun());
  assertFound(verdict, {});
  assert.equal(verdict.acknowledged, 12);
  assert.equal(verdict.committedTransactions, 2);
});

test('the history format carries transactions and live reads', () => {
  const lines = cleanRun().map((e) => JSON.stringify(e)).join('\n');
  assert.deepEqual(parseHistory(lines, 'h.jsonl'), cleanRun());
  assert.throws(() => parseHistory('{"type":"txn","t":1,"process":"p","values":["p:0"],"outcome":"maybe","fenced":false}', 'h.jsonl'), {
    message: 'h.jsonl:1: txn event: field "outcome" is "maybe", expected one of committed, aborted, indeterminate',
  });
  assert.throws(() => parseHistory('{"type":"read","partition":0,"offset":0,"value":"p:0","isolation":"dirty"}', 'h.jsonl'), {
    message: 'h.jsonl:1: read event: field "isolation" is "dirty", expected one of read_committed, read_uncommitted or absent',
  });
});

test('abortedRead: an aborted transaction\'s record read at read_committed, finally or live', () => {
  const aborted = valueOf(1, 1);
  const final = judged([...cleanRun(), committedRead(aborted)]);
  assertFound(final, { abortedRead: 1 });
  assert.match(final.abortedRead.examples[0], new RegExp(`^aborted transaction \\[${valueOf(1, 0)}, ${aborted}\\] \\(150 ms\\): ${aborted} read by the final read at p1@`));
  const live = judged([...cleanRun(), consumedCommitted(aborted)]);
  assertFound(live, { abortedRead: 1 });
  assert.match(live.abortedRead.examples[0], /read by reader-committed at p1@\d+ \(950 ms\)/);
});

test('abortedRead: a fenced producer\'s records read at read_committed', () => {
  assertFound(judged([...cleanRun(), committedRead(valueOf(2, 0)), committedRead(valueOf(2, 1))]), { abortedRead: 1 });
});

test('zombieCommit: a fenced producer\'s commit acknowledged, even when nothing of it is read', () => {
  const events = cleanRun().map((e) => (e.type === 'txn' && e.fenced ? { ...e, outcome: 'committed' as const } : e));
  const verdict = judged(events);
  assertFound(verdict, { zombieCommit: 1 });
  assert.match(verdict.zombieCommit.examples[0], /^committed fenced transaction .*: its commit was acknowledged$/);
});

test('txnLost: a committed transaction missing some or all of its records at read_committed', () => {
  const partly = judged(cleanRun().filter(unread(valueOf(5, 2))));
  assertFound(partly, { txnLost: 1 });
  assert.match(partly.txnLost.examples[0], new RegExp(`the final read_committed read lacks ${valueOf(5, 2)}$`));
  assertFound(judged(cleanRun().filter((e) => unread(valueOf(0, 0))(e) && unread(valueOf(0, 1))(e))), { txnLost: 1 });
  // Seen live, gone from the final read: lost too.
  const vanished = cleanRun().filter((e) => !(e.type === 'read' && e.isolation === 'read_committed' && e.value === valueOf(0, 1)));
  assertFound(judged(vanished), { txnLost: 1 });
});

test('txnPartial: an in-doubt transaction read in part at read_committed', () => {
  // t4 (aborted in the end) with its one record visible is fine: in doubt may go either way.
  assertFound(judged([...cleanRun(), committedRead(valueOf(4, 0))]), {});
  // t3 (committed in the end) with one record gone from the final read, or seen live and then gone.
  assertFound(judged(cleanRun().filter(unread(valueOf(3, 1)))), { txnPartial: 1 });
  const vanished = cleanRun().filter((e) => !(e.type === 'read' && e.isolation === 'read_committed' && e.value === valueOf(3, 0)));
  const verdict = judged(vanished);
  assertFound(verdict, { txnPartial: 1 });
  assert.match(verdict.txnPartial.examples[0], new RegExp(`${valueOf(3, 0)} read by reader-committed .*, the final read_committed read lacks ${valueOf(3, 0)}$`));
});

test('duplicated and reordered at read_committed: a committed record twice, or out of order within its partition', () => {
  const twice = check([...withCopies(cleanRun()), { type: 'read', partition: 0, offset: 99, value: valueOf(5, 0), isolation: 'read_committed' }]);
  assertFound(twice, { duplicated: 1 });
  assert.match(twice.duplicated.examples[0], /^read_committed: /);
  // t5's two p0 records read in swapped places.
  const [first, last] = [positionOf(valueOf(5, 0)), positionOf(valueOf(5, 2))];
  const swap = (e: Event): Event => {
    if (e.type !== 'read' || e.isolation !== 'read_committed') return e;
    if (e.value === valueOf(5, 0)) return { ...e, offset: last.offset };
    if (e.value === valueOf(5, 2)) return { ...e, offset: first.offset };
    return e;
  };
  const reordered = judged(cleanRun().map(swap));
  assertFound(reordered, { reordered: 1 });
  assert.match(reordered.reordered.examples[0], /^read_committed: /);
});

test('mismatched: a live reader read a record the final read does not hold there', () => {
  const { partition, offset } = positionOf(valueOf(0, 0));
  const events: Event[] = [...cleanRun(), { type: 'consumed', t: 990, process: 'reader-uncommitted', isolation: 'read_uncommitted', partition, offset, value: 'txn-1:77' }];
  const verdict = judged(events);
  assertFound(verdict, { mismatched: 1 });
  assert.equal(verdict.mismatched.examples[0], `reader-uncommitted (read_uncommitted) read "txn-1:77" at p${partition}@${offset} (990 ms), the final read holds "${valueOf(0, 0)}" there`);
});

test('notExactlyOnce: the copy stage\'s output lacks a committed input record, holds one twice, or holds an aborted one', () => {
  const copies = withCopies(cleanRun());
  const isCopyOf = (value: string) => (e: Event): boolean => e.type === 'copied' && e.value === value;
  const missing = check(copies.filter((e) => !isCopyOf(valueOf(5, 1))(e)));
  assertFound(missing, { notExactlyOnce: 1 });
  assert.match(missing.notExactlyOnce.examples[0], new RegExp(`^"${valueOf(5, 1)}" committed in the input at p1@\\d+, not copied$`));
  const twice = check([...copies, { type: 'copied', partition: 1, offset: 0, value: valueOf(0, 0) }]);
  assertFound(twice, { notExactlyOnce: 1 });
  assert.equal(twice.notExactlyOnce.examples[0], `"${valueOf(0, 0)}" copied 2 times, at p0@0, p1@0`);
  const aborted = check([...copies, { type: 'copied', partition: 1, offset: 0, value: valueOf(1, 0) }]);
  assertFound(aborted, { notExactlyOnce: 1 });
  assert.equal(aborted.notExactlyOnce.examples[0], `"${valueOf(1, 0)}" copied at p1@0, not committed in the input`);
  // A run without transactions has no copy stage.
  assertFound(check(cleanRun().filter((e) => e.type !== 'txn')), {});
});
