/**
 * The checker's self-test: fabricated histories, a clean one and one per
 * anomaly (each caught, with the right count), plus the subtle cases that
 * are not anomalies, and the elections it counts. No I/O, no brokers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exampleLimit } from './anomaly.ts';
import { anomalies, check, type Verdict } from './checker.ts';
import { parseHistory, type Event, type Leadership, type Led, type Read, type Replica } from './history.ts';

const producers = ['kafkajs-1', 'confluent-1'];
const nodes = [1, 2, 3];

/**
 * A run where nothing went wrong: each producer sends seq 0..9, seq s to
 * partition s % 2, one every 100 ms, each acknowledged 5 ms later; the final
 * read and all three replicas hold exactly what was acknowledged; the group
 * member's commits and the observer's fetches only go up; one nemesis window.
 */
function cleanRun(): Event[] {
  const events: Event[] = [{ type: 'phase', t: 250, name: 'nemesis-start', detail: 'kill -9 node 2' }];
  const logs: [number, string][][] = [[], []];
  for (let seq = 0; seq < 10; seq++) {
    for (const [i, process] of producers.entries()) {
      const value = `${process}:${seq}`;
      const partition = seq % 2;
      const offset = logs[partition].length;
      const t = seq * 100 + i * 10;
      events.push({ type: 'send', t, process, value }, { type: 'ack', t: t + 5, process, value, partition, offset });
      logs[partition].push([offset, value]);
    }
  }
  events.push(
    { type: 'phase', t: 550, name: 'nemesis-stop' },
    { type: 'committed', t: 100, process: 'observer', group: 'g', partition: 0, offset: -1 },
    { type: 'commit', t: 300, process: 'member-1', group: 'g', partition: 0, offset: 4, outcome: 'ok' },
    { type: 'committed', t: 400, process: 'observer', group: 'g', partition: 0, offset: 4 },
    { type: 'commit', t: 600, process: 'member-1', group: 'g', partition: 0, offset: 8, outcome: 'ok' },
    { type: 'commit', t: 650, process: 'member-1', group: 'g', partition: 1, offset: 2, outcome: 'ok' },
    { type: 'committed', t: 700, process: 'observer', group: 'g', partition: 0, offset: 8 },
    { type: 'committed', t: 700, process: 'observer', group: 'g', partition: 1, offset: 2 },
    { type: 'phase', t: 1000, name: 'heal' },
    { type: 'phase', t: 1100, name: 'end' },
  );
  for (const [partition, log] of logs.entries()) {
    for (const [offset, value] of log) events.push({ type: 'read', partition, offset, value });
    for (const node of nodes) {
      events.push({ type: 'replica', node, partition, highWatermark: log.length, logStartOffset: 0, records: log.map(([o, v]) => [o, v]) });
    }
  }
  return events;
}

/** Asserts that exactly the anomalies in `counts` were found, with those counts, and all others are zero. */
function assertFound(verdict: Verdict, counts: Partial<Record<(typeof anomalies)[number], number>>): void {
  for (const name of anomalies) {
    const expected = counts[name] ?? 0;
    assert.equal(verdict[name].count, expected, `${name}: ${JSON.stringify(verdict[name].examples)}`);
    assert.equal(verdict[name].examples.length, Math.min(expected, exampleLimit), `${name} examples`);
  }
  assert.equal(verdict.ok, Object.values(counts).every((c) => c === 0), 'ok');
}

/** The value at a position of the clean run (producers alternate within a partition). */
function valueAt(partition: number, offset: number): string {
  return `${producers[offset % 2]}:${2 * Math.floor(offset / 2) + partition}`;
}

/** `events` with the records at two offsets of a partition swapped everywhere: acks, the read, every replica. */
function swapped(events: Event[], partition: number, a: number, b: number): Event[] {
  const other = (offset: number): number => (offset === a ? b : offset === b ? a : offset);
  return events.map((e) => {
    if (e.type === 'read' && e.partition === partition) return { ...e, offset: other(e.offset) };
    if (e.type === 'ack' && e.partition === partition && e.offset !== null) return { ...e, offset: other(e.offset) };
    if (e.type === 'replica' && e.partition === partition) {
      return { ...e, records: e.records.map(([o, v]) => [other(o), v] as [number, string | null]).sort((x, y) => x[0] - y[0]) };
    }
    return e;
  });
}

const isRead = (partition: number, offset: number) => (e: Event): e is Read =>
  e.type === 'read' && e.partition === partition && e.offset === offset;

test('a clean run is ok, with every anomaly at zero', () => {
  const verdict = check(cleanRun());
  assertFound(verdict, {});
  assert.equal(verdict.acknowledged, 20);
  assert.equal(verdict.indeterminate, 0);
  assert.equal(verdict.unavailability.seconds, 0);
  assert.equal(verdict.unavailability.longestGapMs, 5);
  assert.deepEqual(verdict.unavailability.windows, [{ detail: 'kill -9 node 2', startMs: 250, stopMs: 550, seconds: 0, longestGapMs: 5 }]);
});

test('lost: acknowledged values absent from the final read', () => {
  const events = cleanRun().filter((e) => !isRead(0, 3)(e) && !isRead(1, 6)(e));
  const verdict = check(events);
  assertFound(verdict, { lost: 2 });
  assert.match(verdict.lost.examples.join('\n'), new RegExp(`${valueAt(0, 3)} acknowledged at p0@3, not read`));
});

test('duplicated: one value read at two offsets, counted once per value', () => {
  const events = [...cleanRun(), { type: 'read', partition: 0, offset: 10, value: valueAt(0, 2) } as const, { type: 'read', partition: 1, offset: 10, value: valueAt(0, 2) } as const];
  const verdict = check(events);
  assertFound(verdict, { duplicated: 1 });
  assert.deepEqual(verdict.duplicated.examples, [`"${valueAt(0, 2)}" read at p0@2, p0@10, p1@10`]);
});

test('mismatched: the read holds an acknowledged value elsewhere than its acknowledgement said', () => {
  const events = cleanRun().map((e) => (e.type === 'ack' && e.value === valueAt(1, 4) ? { ...e, partition: 0, offset: 4 } : e));
  const verdict = check(events);
  assertFound(verdict, { mismatched: 1 });
  assert.deepEqual(verdict.mismatched.examples, [`${valueAt(1, 4)} acknowledged at p0@4, read at p1@4`]);
});

test('mismatched: one value acknowledged at two different positions', () => {
  const events = cleanRun();
  events.push({ type: 'ack', t: 2000, process: 'kafkajs-1', value: valueAt(0, 0), partition: 0, offset: 7 });
  assertFound(check(events), { mismatched: 1 });
});

test('an ack without an offset (librdkafka implicit ack) is held to its partition only', () => {
  const unknownOffset = (e: Event): Event => (e.type === 'ack' && e.value === valueAt(1, 4) ? { ...e, offset: null } : e);
  const verdict = check(cleanRun().map(unknownOffset));
  assertFound(verdict, {});
  assert.equal(verdict.acknowledged, 20);
  // The same ack naming the wrong partition, then a later ack with the offset: both are held to the read.
  const wrongPartition = cleanRun().map((e) => (e.type === 'ack' && e.value === valueAt(1, 4) ? { ...e, partition: 0, offset: null } : e));
  const wrong = check(wrongPartition);
  assertFound(wrong, { mismatched: 1 });
  assert.deepEqual(wrong.mismatched.examples, [`${valueAt(1, 4)} acknowledged at p0@?, read at p1@4`]);
  const later = cleanRun().map(unknownOffset);
  later.push({ type: 'ack', t: 2000, process: 'confluent-1', value: valueAt(1, 4), partition: 0, offset: 4 });
  assertFound(check(later), { mismatched: 2 });
  // Not read at all: lost, whatever the ack knew.
  assertFound(check(cleanRun().map(unknownOffset).filter((e) => !(e.type === 'read' && e.value === valueAt(1, 4)))), { lost: 1 });
});

test('reordered: a process stream read out of seq order within a partition, counted per break', () => {
  // p0 holds kafkajs-1:0,2,4,6,8 at offsets 0,2,4,6,8; swapping offsets 2 and 4 reads 0,4,2,6,8: one break.
  const once = check(swapped(cleanRun(), 0, 2, 4));
  assertFound(once, { reordered: 1 });
  assert.deepEqual(once.reordered.examples, ['kafkajs-1:4 at p0@2 before kafkajs-1:2 at p0@4']);
  // Offsets 2 and 8 swapped reads 0,8,4,6,2: breaks at 8>4 and 6>2.
  assertFound(check(swapped(cleanRun(), 0, 2, 8)), { reordered: 2 });
});

test('unexpected: read values that were never sent, and a null value', () => {
  const events = [
    ...cleanRun(),
    { type: 'read', partition: 0, offset: 10, value: 'kafkajs-1:99' } as const,
    { type: 'read', partition: 1, offset: 10, value: null } as const,
  ];
  const verdict = check(events);
  assertFound(verdict, { unexpected: 2 });
  assert.deepEqual(verdict.unexpected.examples, ['"kafkajs-1:99" read at p0@10, never sent', 'null read at p1@10, never sent']);
});

test('commit regressions: an acknowledged commit below an earlier acknowledged one', () => {
  const events = cleanRun();
  events.push(
    { type: 'commit', t: 800, process: 'member-2', group: 'g', partition: 0, offset: 6, outcome: 'ok' },
    // A failed commit is not acknowledged: lower is fine.
    { type: 'commit', t: 810, process: 'member-2', group: 'g', partition: 0, offset: 1, outcome: 'fail' },
    // Other groups and partitions are separate.
    { type: 'commit', t: 820, process: 'member-2', group: 'h', partition: 0, offset: 1, outcome: 'ok' },
  );
  const verdict = check(events);
  assertFound(verdict, { commitRegressions: 1 });
  assert.deepEqual(verdict.commitRegressions.examples, ['group "g" partition 0: commit of 6 acknowledged at 800 ms after a commit of 8']);
});

test('commit regressions: an observation below an earlier observation, or below a commit acknowledged before it began', () => {
  const events = cleanRun();
  events.push(
    { type: 'committed', t: 900, process: 'observer', group: 'g', partition: 1, offset: -1 },
    { type: 'commit', t: 950, process: 'member-1', group: 'g', partition: 1, offset: 6, outcome: 'ok' },
    { type: 'committed', t: 990, process: 'observer', group: 'g', partition: 1, offset: 4 },
  );
  const verdict = check(events);
  assertFound(verdict, { commitRegressions: 2 });
  assert.deepEqual(verdict.commitRegressions.examples, [
    'group "g" partition 1: observed -1 at 900 ms after observing 2',
    'group "g" partition 1: observed 4 at 990 ms after a commit of 6 was acknowledged',
  ]);
});

test('an observation that began before a commit was acknowledged may still see the older offset', () => {
  const events = cleanRun();
  events.push(
    // Logged in this order, stamped the same ms: the fetch did not begin after the commit's acknowledgement.
    { type: 'commit', t: 900, process: 'member-1', group: 'g', partition: 1, offset: 6, outcome: 'ok' },
    { type: 'committed', t: 900, process: 'observer', group: 'g', partition: 1, offset: 2 },
    { type: 'committed', t: 910, process: 'observer', group: 'g', partition: 1, offset: 6 },
  );
  assertFound(check(events), {});
});

test('divergence: replicas holding different values below both high watermarks, counted per position', () => {
  const events = cleanRun().map((e): Event => {
    if (e.type !== 'replica' || e.partition !== 0 || e.node === 1) return e;
    // Nodes 2 and 3 both hold something else at offset 3: one position.
    return { ...e, records: e.records.map(([o, v]) => [o, o === 3 ? 'ghost:0' : v]) };
  });
  const verdict = check(events);
  assertFound(verdict, { divergence: 1 });
  assert.deepEqual(verdict.divergence.examples, [`p0@3: node 1 holds "${valueAt(0, 3)}", node 2 holds "ghost:0"`]);
});

test('divergence: a replica lacking a record the final read has, inside its log start and high watermark', () => {
  const events = cleanRun().map((e): Event =>
    e.type === 'replica' && e.partition === 1 && e.node === 3 ? { ...e, records: e.records.filter(([o]) => o !== 5) } : e,
  );
  const verdict = check(events);
  assertFound(verdict, { divergence: 1 });
  assert.deepEqual(verdict.divergence.examples, [`p1@5: node 1 holds "${valueAt(1, 5)}", node 3 holds nothing`]);
  // Every replica lacking it, the read still has it.
  const allLack = cleanRun().map((e): Event =>
    e.type === 'replica' && e.partition === 1 ? { ...e, records: e.records.filter(([o]) => o !== 5) } : e,
  );
  assert.deepEqual(check(allLack).divergence.examples, [`p1@5: node 1 holds nothing, the final read "${valueAt(1, 5)}"`]);
});

test('replicas may differ at and above the smaller high watermark, and below the larger log start', () => {
  const events = cleanRun().map((e): Event => {
    if (e.type !== 'replica' || e.partition !== 0 || e.node !== 3) return e;
    // Node 3's unreplicated tail differs (above its high watermark 8), and its log starts at 2.
    const replica: Replica = { ...e, highWatermark: 8, logStartOffset: 2 };
    replica.records = [...e.records.filter(([o]) => o >= 2 && o < 8), [8, 'other:0'], [9, 'other:1'], [10, 'other:2']];
    return replica;
  });
  assertFound(check(events), {});
});

test('an indeterminate write may appear in the read once: not lost, not unexpected', () => {
  const events = cleanRun();
  events.push(
    { type: 'send', t: 1000, process: 'kafkajs-1', value: 'kafkajs-1:10' },
    { type: 'fail', t: 1500, process: 'kafkajs-1', value: 'kafkajs-1:10', error: 'Request timed out' },
    { type: 'read', partition: 0, offset: 10, value: 'kafkajs-1:10' },
    // Sent, never resolved, never read: indeterminate too.
    { type: 'send', t: 1001, process: 'confluent-1', value: 'confluent-1:10' },
  );
  const verdict = check(events);
  assertFound(verdict, {});
  assert.equal(verdict.indeterminate, 2);
  assert.equal(verdict.acknowledged, 20);
  // Twice is a duplicate.
  events.push({ type: 'read', partition: 1, offset: 10, value: 'kafkajs-1:10' });
  assertFound(check(events), { duplicated: 1 });
});

test('failed sends leave gaps in a stream\'s seqs, which is not reordering', () => {
  // kafkajs-1:2 and kafkajs-1:4 failed and were never written: p0 reads kafkajs-1:0,6,8 after removing them.
  const gone = new Set([valueAt(0, 2), valueAt(0, 4)]);
  const events = cleanRun().flatMap((e): Event[] => {
    if (!('value' in e) || !gone.has(e.value as string)) return [e];
    if (e.type === 'ack') return [{ type: 'fail', t: e.t, process: e.process, value: e.value, error: 'Broker: Not enough in-sync replicas' }];
    return e.type === 'send' ? [e] : [];
  });
  const withoutInReplicas = events.map((e): Event => (e.type === 'replica' ? { ...e, records: e.records.filter(([, v]) => !gone.has(v as string)) } : e));
  const verdict = check(withoutInReplicas);
  assertFound(verdict, {});
  assert.equal(verdict.indeterminate, 2);
});

test('a value acknowledged twice at the same position (a client retry) is one acknowledgement', () => {
  const events = cleanRun();
  events.push({ type: 'ack', t: 2000, process: 'kafkajs-1', value: valueAt(0, 0), partition: 0, offset: 0 });
  const verdict = check(events);
  assertFound(verdict, {});
  assert.equal(verdict.acknowledged, 20);
});

test('unavailability: gaps with attempts outstanding and no acknowledgement, overall and per nemesis window', () => {
  const p = 'kafkajs-1';
  const events: Event[] = [
    { type: 'send', t: 0, process: p, value: `${p}:0` },
    { type: 'ack', t: 10, process: p, value: `${p}:0`, partition: 0, offset: 0 },
    { type: 'send', t: 100, process: p, value: `${p}:1` },
    { type: 'phase', t: 150, name: 'nemesis-start', detail: 'SIGSTOP node 1' },
    { type: 'send', t: 200, process: p, value: `${p}:2` },
    { type: 'fail', t: 2200, process: p, value: `${p}:2`, error: 'timed out' },
    { type: 'ack', t: 3100, process: p, value: `${p}:1`, partition: 0, offset: 1 },
    { type: 'phase', t: 3200, name: 'nemesis-stop' },
    // Idle from 3100 to 10000: nothing outstanding, not a gap.
    { type: 'send', t: 10_000, process: p, value: `${p}:3` },
    { type: 'ack', t: 10_600, process: p, value: `${p}:3`, partition: 0, offset: 2 },
    // Every attempt failed: the gap ends when nothing is outstanding.
    { type: 'send', t: 11_000, process: p, value: `${p}:4` },
    { type: 'fail', t: 13_000, process: p, value: `${p}:4`, error: 'timed out' },
    // Still outstanding at the end: a gap to the end of the run.
    { type: 'send', t: 14_000, process: p, value: `${p}:5` },
    { type: 'phase', t: 15_500, name: 'end' },
  ];
  const { unavailability } = check(events);
  // Gaps: 0-10, 100-3100, 10000-10600 (short: longest only), 11000-13000, 14000-15500.
  assert.equal(unavailability.seconds, 3 + 2 + 1.5);
  assert.equal(unavailability.longestGapMs, 3000);
  assert.deepEqual(unavailability.windows, [{ detail: 'SIGSTOP node 1', startMs: 150, stopMs: 3200, seconds: 2.95, longestGapMs: 2950 }]);
});

test('a gap that starts before a nemesis window counts in it for its part inside', () => {
  const p = 'kafkajs-1';
  const events: Event[] = [
    { type: 'send', t: 0, process: p, value: `${p}:0` },
    { type: 'phase', t: 2500, name: 'nemesis-start', detail: 'partition node 1' },
    { type: 'ack', t: 3000, process: p, value: `${p}:0`, partition: 0, offset: 0 },
    { type: 'phase', t: 4000, name: 'nemesis-stop' },
  ];
  const { unavailability } = check(events);
  assert.equal(unavailability.seconds, 3);
  assert.deepEqual(unavailability.windows, [{ detail: 'partition node 1', startMs: 2500, stopMs: 4000, seconds: 0.5, longestGapMs: 500 }]);
});

test('an outcome stamped before its send (two processes\' clocks) resolves the attempt when it starts', () => {
  const p = 'kafkajs-1';
  const events: Event[] = [
    { type: 'send', t: 0, process: p, value: `${p}:0` },
    { type: 'fail', t: 5, process: p, value: `${p}:1`, error: 'timed out' },
    { type: 'send', t: 1000, process: p, value: `${p}:1` },
    { type: 'ack', t: 3000, process: p, value: `${p}:0`, partition: 0, offset: 0 },
  ];
  // kafkajs-1:0 was outstanding from 0 to 3000 with no acknowledgement: one gap.
  assert.equal(check(events).unavailability.longestGapMs, 3000);
});

test('a nemesis window with no stop ends at the next start, the heal, or the end of the run', () => {
  const events: Event[] = [
    { type: 'phase', t: 0, name: 'nemesis-start', detail: 'a' },
    { type: 'phase', t: 100, name: 'nemesis-start', detail: 'b' },
    { type: 'phase', t: 200, name: 'heal' },
    { type: 'phase', t: 300, name: 'nemesis-start' },
    { type: 'send', t: 400, process: 'p', value: 'p:0' },
  ];
  assert.deepEqual(
    check(events).unavailability.windows.map((w) => [w.detail, w.startMs, w.stopMs]),
    [['a', 0, 100], ['b', 100, 200], ['', 300, 400]],
  );
});

/** Who leads what at `t`: chaos-N led by node N+1, each in `epochs[N]`; the three brokers live; quorum epoch `quorumEpoch`. */
function leadership(t: number, epochs = [0, 0, 0], quorumEpoch = 1): Leadership {
  const partitions: Led[] = epochs.map((leaderEpoch, partition) => ({ topic: 'chaos', partition, leader: partition + 1, leaderEpoch }));
  return { type: 'leadership', t, partitions, brokers: [...nodes], quorumEpoch };
}

test('elections: none when leadership is the same before and after the faults', () => {
  const verdict = check([...cleanRun(), leadership(200), leadership(600)]);
  assert.deepEqual(verdict.elections, { count: 0, examples: [], unobserved: null });
  assertFound(verdict, {});
});

test('elections: leader epochs that moved, a new quorum epoch and a broker no longer live, first to last observation', () => {
  const after = leadership(900, [0, 2, 0], 3);
  after.partitions![1].leader = 3;
  after.brokers = [1, 3];
  const verdict = check([...cleanRun(), leadership(200), leadership(500, [1, 1, 1]), after]);
  assert.deepEqual(verdict.elections, {
    count: 3,
    examples: ['chaos-1: leader 2 in epoch 0, then 3 in epoch 2', 'metadata quorum: epoch 1, then 3', 'broker 2: live at 200 ms, not at 900 ms'],
    unobserved: null,
  });
  assertFound(verdict, {});
});

test('elections: unobserved without two answered observations, or when a live broker led nothing', () => {
  const unobserved = (...events: Event[]) => check([...cleanRun(), ...events]).elections.unobserved;
  assert.equal(unobserved(), 'leadership was not observed before and after the faults');
  assert.equal(unobserved(leadership(200)), 'leadership was not observed before and after the faults');
  assert.equal(unobserved(leadership(200), { ...leadership(600), partitions: null }), 'the cluster did not say who led what at 600 ms');
  assert.equal(unobserved({ ...leadership(200), quorumEpoch: null }, leadership(600)), 'the cluster did not say who led what at 200 ms');
  const idle = leadership(200);
  idle.partitions![2].leader = 1;
  assert.equal(unobserved(idle, leadership(600)), 'broker 3 led no partition at 200 ms, so its fencing would move no leader');
});

test('examples stop at the limit while the count goes on', () => {
  const verdict = check(cleanRun().filter((e) => e.type !== 'read'));
  assert.equal(verdict.lost.count, 20);
  assert.equal(verdict.lost.examples.length, exampleLimit);
});

test('a few hundred thousand events are checked in seconds', () => {
  const events: Event[] = [];
  const perPartition = 25_000;
  const records: [number, string][][] = [];
  for (let partition = 0; partition < 3; partition++) {
    records.push([]);
    for (let offset = 0; offset < perPartition; offset++) {
      const process = producers[offset % 2];
      const value = `${process}:${partition * perPartition + offset}`;
      const t = offset;
      events.push(
        { type: 'send', t, process, value },
        { type: 'ack', t: t + 3, process, value, partition, offset },
        { type: 'read', partition, offset, value },
      );
      records[partition].push([offset, value]);
    }
    for (const node of nodes) {
      events.push({ type: 'replica', node, partition, highWatermark: perPartition, logStartOffset: 0, records: records[partition] });
    }
  }
  const started = performance.now();
  const verdict = check(events);
  const ms = performance.now() - started;
  assertFound(verdict, {});
  assert.equal(verdict.acknowledged, 3 * perPartition);
  // Well under a second when the machine is idle; the bound only catches a quadratic slip.
  assert.ok(ms < 20_000, `took ${ms} ms`);
});

test('a history file: events parsed, a bad line named with its number and what is wrong', () => {
  const text = [
    '{"type":"send","t":0,"process":"kafkajs-1","value":"kafkajs-1:0","extra":"ignored"}',
    '',
    '{"type":"ack","t":5.5,"process":"kafkajs-1","value":"kafkajs-1:0","partition":0,"offset":0}',
    '{"type":"phase","t":6,"name":"end"}',
  ].join('\n');
  const events = parseHistory(`${text}\n`, 'h.jsonl');
  assert.deepEqual(events.map((e) => e.type), ['send', 'ack', 'phase']);
  const bad = (line: string, message: string): void => {
    assert.throws(() => parseHistory(`${text}\n${line}`, 'h.jsonl'), { message: `h.jsonl:5: ${message}` });
  };
  assert.throws(() => parseHistory(`${text}\n{"type":"ack","t":1`, 'h.jsonl'), /^Error: h\.jsonl:5: not JSON \(.+\)$/);
  bad('[]', 'not a JSON object');
  bad('{"type":"produce"}', 'unknown type "produce" (expected one of send, ack, fail, commit, committed, read, consumed, copied, txn, replica, leadership, phase)');
  bad(
    '{"type":"leadership","t":1,"partitions":[{"topic":"c","partition":0,"leader":-2,"leaderEpoch":0}],"brokers":null,"quorumEpoch":null}',
    'leadership event: field "partitions" is [{"topic":"c","partition":0,"leader":-2,"leaderEpoch":0}], expected a list of {topic, partition, leader, leaderEpoch} or null',
  );
  bad('{"type":"send","t":1,"process":"p","value":"p-1"}', 'send event: field "value" is "p-1", expected a value "<process>:<seq>"');
  bad('{"type":"ack","t":1,"process":"p","value":"p:1","partition":0}', 'ack event: field "offset" is missing, expected an integer >= 0 or null');
  bad('{"type":"committed","t":-1,"process":"o","group":"g","partition":0,"offset":-1}', 'committed event: field "t" is -1, expected a time in ms (a finite number >= 0)');
  bad('{"type":"commit","t":1,"process":"m","group":"g","partition":0,"offset":3,"outcome":"maybe"}', 'commit event: field "outcome" is "maybe", expected one of ok, fail');
  bad(
    `{"type":"replica","node":1,"partition":0,"highWatermark":1,"logStartOffset":0,"records":[${'[0,"a"],'.repeat(20)}[1]]}`,
    'replica event: field "records" is [[0,"a"],[0,"a"],[0,"a"],[0,"a"],[0,"a"],[0,"a"],[0,"a"],[0,"a"],[0,"a"],[0,"a"]..., expected a list of [offset, value] pairs',
  );
});
