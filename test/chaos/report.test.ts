/** The fault suite's report table, JSON and anomaly listing, from fabricated verdicts (elections unobserved shown `?`). No I/O. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from './checker.ts';
import type { Event, Leadership } from './history.ts';
import { formatAnomalies, formatJson, formatTable, reportRow } from './report.ts';

/** kafkajs-1:0 acknowledged and read; kafkajs-1:1 acknowledged 2.5 s after its send, then lost. */
const lossy: Event[] = [
  { type: 'send', t: 0, process: 'kafkajs-1', value: 'kafkajs-1:0' },
  { type: 'ack', t: 4, process: 'kafkajs-1', value: 'kafkajs-1:0', partition: 0, offset: 0 },
  { type: 'send', t: 10, process: 'kafkajs-1', value: 'kafkajs-1:1' },
  { type: 'ack', t: 2510, process: 'kafkajs-1', value: 'kafkajs-1:1', partition: 0, offset: 1 },
  { type: 'read', partition: 0, offset: 0, value: 'kafkajs-1:0' },
];
/** Who led what in every observation of `clean`: nothing changes. */
const leadership = (t: number): Leadership => ({ type: 'leadership', t, partitions: [{ topic: 'chaos', partition: 0, leader: 1, leaderEpoch: 0 }], brokers: [1], quorumEpoch: 1 });
/** Only kafkajs-1:0, acknowledged and read, with leadership observed before and after (no election). */
const clean: Event[] = [leadership(0), lossy[0], lossy[1], lossy[4], leadership(5)];

test('one row per run, as an aligned table and as JSON', () => {
  const ok = reportRow('none', 7, check(clean));
  const lost = reportRow('partition-leader acks=1', 1234567, check(lossy));
  assert.deepEqual(lost, {
    scenario: 'partition-leader acks=1', seed: 1234567, ok: false, acknowledged: 2, committedTransactions: 0, lost: 1, duplicated: 0, mismatched: 0,
    reordered: 0, unexpected: 0, commitRegressions: 0, divergent: 0, abortedRead: 0, txnLost: 0, txnPartial: 0, zombieCommit: 0, notExactlyOnce: 0,
    elections: null, unavailableSeconds: 2.5, longestGapSeconds: 2.5,
  });
  assert.equal(ok.elections, 0);
  assert.equal(formatTable([ok, lost]), [
    'scenario                    seed  result  acked  txns  lost  duplicated  mismatched  reordered  unexpected  commit regressions  divergent  aborted read  txn lost  txn partial  zombie commits  not exactly once  elections  unavailable s  longest gap s',
    'none                           7  ok          1     0     0           0           0          0           0                   0          0             0         0            0               0                 0          0            0.0            0.0',
    'partition-leader acks=1  1234567  FAIL        2     0     1           0           0          0           0                   0          0             0         0            0               0                 0          ?            2.5            2.5',
  ].join('\n'));
  assert.deepEqual(JSON.parse(formatJson([ok, lost])), [ok, lost]);
});

test('a failed run lists each anomaly with its examples', () => {
  assert.equal(formatAnomalies(check(lossy)), 'lost: 1\n  kafkajs-1:1 acknowledged at p0@1, not read');
  assert.equal(formatAnomalies(check(clean)), '');
});
