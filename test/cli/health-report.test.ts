import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHealthReport, renderHealth, unknownReport, type HealthInput } from '../../src/cli/health-report.ts';
import { filterStatuses, partitionStatuses } from '../../src/client/partition-status.ts';
import type { TopicInfo } from '../../src/client/cluster.ts';

const topicInfo = (name: string, partitions: [leader: number, replicas: number[], isr: number[], offline?: number[]][]): TopicInfo => ({
  name, topicId: Buffer.alloc(16), errorCode: 0, internal: false,
  partitions: partitions.map(([leader, replicas, isr, offline = []], partition) => ({ partition, leader, leaderEpoch: 0, replicas, isr, offline, errorCode: 0 })),
});

const healthy: TopicInfo[] = [topicInfo('orders', [[1, [1, 2, 3], [1, 2, 3]], [2, [2, 3, 1], [2, 3, 1]]])];
const input = (topics: TopicInfo[], extra: Partial<HealthInput> = {}, minIsr = new Map([['orders', 2]])): HealthInput => ({
  controllerId: 1,
  liveBrokers: [1, 2, 3],
  unreachableBrokers: [],
  quorum: { leaderId: 1, voters: [1, 2, 3], observers: [], maxLag: 0 },
  partitions: partitionStatuses(topics, minIsr),
  topics: topics.length,
  reassignments: null,
  ...extra,
});
const thresholds = { maxUnderReplicated: 0, maxDownBrokers: 0 };

test('partition statuses: under-replicated, under/at min ISR, offline, missing and offline replicas; filters are OR', () => {
  const rows = partitionStatuses(
    [topicInfo('b', [[1, [1, 2, 3], [1, 2], [3]], [-1, [3], [3], [3]], [2, [2, 3], [2, 3]]]), topicInfo('a', [[1, [1], [1]]])],
    new Map([['b', 2]]),
  );
  assert.deepEqual(rows.map((r) => [`${r.topic}-${r.partition}`, r.underReplicated, r.underMinIsr, r.atMinIsr, r.offline]), [
    ['a-0', false, false, true, false],
    ['b-0', true, false, true, false],
    ['b-1', false, true, false, true],
    ['b-2', false, false, true, false],
  ]);
  assert.deepEqual([rows[1].missingReplicas, rows[1].offlineReplicas, rows[0].minIsr], [[3], [3], 1]);
  assert.deepEqual(filterStatuses(rows, ['underReplicated', 'offline']).map((r) => `${r.topic}-${r.partition}`), ['b-0', 'b-1']);
  assert.equal(filterStatuses(rows, []).length, 4);
});

test('a healthy cluster is OK, exit 0', () => {
  const report = buildHealthReport(input(healthy), thresholds);
  assert.deepEqual([report.status, report.exitCode, report.problems], ['OK', 0, []]);
  assert.deepEqual(renderHealth(report), ['OK: 3 broker(s), 1 topic(s), 2 partition(s) | brokers_up=3 brokers_down=0;0 under_replicated=0;0 offline=0;;0 under_min_isr=0;;0 quorum_max_lag=0']);
});

test('a fenced broker: its replicas are offline and out of the ISR -> WARNING, with counts and examples', () => {
  const topics = [topicInfo('orders', [[1, [1, 2, 3], [1, 2], [3]], [2, [2, 3, 1], [2, 1], [3]], [1, [1, 2], [1, 2]]])];
  const report = buildHealthReport(input(topics, { liveBrokers: [1, 2] }), thresholds);
  assert.equal(report.exitCode, 1);
  assert.deepEqual(renderHealth(report), [
    'WARNING: 2 under-replicated partitions; 1 broker down or fenced (3) | brokers_up=2 brokers_down=1;0 under_replicated=2;0 offline=0;;0 under_min_isr=0;;0 quorum_max_lag=0',
    'WARNING: 2 under-replicated partitions: orders-0, orders-1',
    'WARNING: 1 broker down or fenced: 3',
  ]);
  assert.match(renderHealth(report, { maxUnderReplicated: 1, maxDownBrokers: 0 })[0], / brokers_down=1;0 under_replicated=2;1 /, 'the thresholds in the perfdata');
  assert.deepEqual(report.brokers, { live: [1, 2], down: [3] });
  assert.equal(buildHealthReport(input(topics, { liveBrokers: [1, 2] }), { maxUnderReplicated: 2, maxDownBrokers: 1 }).exitCode, 0, 'within the thresholds');
});

test('a live broker that does not answer counts as down; a voter missing from Metadata too', () => {
  const report = buildHealthReport(input(healthy, { unreachableBrokers: [2], quorum: { leaderId: 1, voters: [1, 2, 3, 4], observers: [], maxLag: 0 } }), thresholds);
  assert.deepEqual([report.exitCode, report.brokers.down], [1, [2, 4]]);
});

test('offline partitions and partitions under min ISR are CRITICAL, listed before warnings; examples are capped', () => {
  const many = topicInfo('orders', Array.from({ length: 7 }, () => [1, [1, 2, 3], [1]] as [number, number[], number[]]));
  const solo = topicInfo('solo', [[-1, [3], [3], [3]]]);
  const report = buildHealthReport(input([many, solo], { liveBrokers: [1, 2] }), thresholds);
  assert.equal(report.exitCode, 2);
  assert.deepEqual(renderHealth(report).slice(1), [
    'CRITICAL: 1 offline partition: solo-0',
    'CRITICAL: 7 partitions under min ISR: orders-0, orders-1, orders-2, orders-3, orders-4 and 2 more',
    'WARNING: 7 under-replicated partitions: orders-0, orders-1, orders-2, orders-3, orders-4 and 2 more',
    'WARNING: 1 broker down or fenced: 3',
  ]);
  assert.equal(
    renderHealth(report)[0],
    'CRITICAL: 1 offline partition; 7 partitions under min ISR; 7 under-replicated partitions; 1 broker down or fenced (3) | brokers_up=2 brokers_down=1;0 under_replicated=7;0 offline=1;;0 under_min_isr=7;;0 quorum_max_lag=0',
  );
  assert.equal(report.problems[1].items.length, 7, '--json has every item');
});

test('no controller quorum is CRITICAL: DescribeQuorum failing, naming no leader, or Metadata naming no controller', () => {
  for (const extra of [{ quorum: { error: 'the metadata quorum has no leader now' } }, { quorum: { leaderId: -1, voters: [1, 2, 3], observers: [], maxLag: null } }, { controllerId: -1 }]) {
    const report = buildHealthReport(input(healthy, extra), thresholds);
    assert.equal(report.exitCode, 2, JSON.stringify(extra));
    assert.match(report.problems[0].message, /^no controller quorum/);
    assert.match(renderHealth(report)[0], /^CRITICAL: no controller quorum \| /);
  }
});

test('reassignments: skipped when unsupported; stuck when adding a replica on a broker that is not live', () => {
  assert.equal(buildHealthReport(input(healthy), thresholds).reassignments, null);
  const moving = { topic: 'orders', partition: 0, replicas: [1, 2, 3, 4], addingReplicas: [4], removingReplicas: [3] };
  const stuck = buildHealthReport(input(healthy, { reassignments: [moving] }), thresholds);
  assert.deepEqual([stuck.exitCode, stuck.reassignments], [1, { inProgress: ['orders-0'], stuck: ['orders-0'] }]);
  assert.match(renderHealth(stuck)[1], /^WARNING: 1 stuck reassignment .*: orders-0$/);
  const progressing = buildHealthReport(input(healthy, { liveBrokers: [1, 2, 3, 4], reassignments: [moving] }), thresholds);
  assert.deepEqual([progressing.exitCode, progressing.reassignments], [0, { inProgress: ['orders-0'], stuck: [] }]);
});

test('unreachable cluster is UNKNOWN, exit 3', () => {
  const report = unknownReport('no broker reachable: connect ECONNREFUSED');
  assert.equal(report.exitCode, 3);
  assert.deepEqual(renderHealth(report), ['UNKNOWN: no broker reachable: connect ECONNREFUSED']);
});
