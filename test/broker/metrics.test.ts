/**
 * The Prometheus endpoint of a real broker (`--metrics-listen 127.0.0.1:0`):
 * records produced with kcat, consumed, and a group offset committed move
 * the per-topic byte and record counters, the per-API request histogram,
 * the partition count, the log size and the group lag (high watermark -
 * committed offset); other paths are 404, and the endpoint closes with the
 * broker. A bad or busy metrics address is refused with a clear message.
 * A fetch still parked when its client leaves counts nothing when data
 * arrives later (kcat leaves one behind when it exits at the end).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { metricsUrl, scrape } from '../helpers/metrics.ts';
import { requireTool, tools } from '../helpers/tools.ts';

let broker: RunningBroker;
let url: string;
const kb = (args: string[]) => runKb(args, { env: { KB_BROKERS: broker.address } });

before(async () => {
  broker = await startBroker({
    args: ['--metrics-listen', '127.0.0.1:0'],
    sets: { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 2 },
  });
  url = metricsUrl(broker.log());
});
after(() => broker?.stop());

test('produce, consume and a committed group offset move the metrics', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const created = await kb(['topic', 'create', 'metered', '--partitions', '1', '--rf', '1']);
  assert.equal(created.code, 0, created.stderr);
  const before = await scrape(url);
  assert.equal(before.value('kb_log_size_bytes', { topic: 'metered', partition: 0 }), 0);
  assert.equal(before.matching('kb_topic_bytes_in_total', { topic: 'metered' }).length, 0, 'no traffic yet');

  await kcatOk(['-b', broker.address, '-P', '-t', 'metered', '-p', '0'], { input: 'one\ntwo\nthree\nfour\nfive\n' });
  await kcatOk(['-b', broker.address, '-C', '-t', 'metered', '-o', 'beginning', '-e', '-q']);
  const consumed = await kb(['consume', 'metered', '-g', 'metering', '-n', '2']);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.equal(consumed.stdout, 'one\ntwo\n');

  const s = await scrape(url);
  const bytesIn = s.value('kb_topic_bytes_in_total', { topic: 'metered' });
  assert.ok(bytesIn > 5 * 'three'.length, `bytes in ${bytesIn}`);
  assert.equal(s.value('kb_topic_messages_in_total', { topic: 'metered' }), 5);
  assert.ok(s.value('kb_topic_messages_out_total', { topic: 'metered' }) >= 5 + 2, 'kcat read 5, kb at least 2');
  assert.ok(s.value('kb_topic_bytes_out_total', { topic: 'metered' }) >= bytesIn, 'kcat alone read every byte produced');
  assert.ok(s.value('kb_request_duration_seconds_count', { api: 'Produce' }) >= 1);
  assert.ok(s.value('kb_request_duration_seconds_count', { api: 'Fetch' }) >= 2);
  assert.ok(s.value('kb_request_duration_seconds_count', { api: 'OffsetCommit' }) >= 1);
  assert.ok(s.value('kb_request_duration_seconds_bucket', { api: 'Produce', le: '+Inf' }) >= 1);
  assert.equal(s.value('kb_partitions'), 1 + 2, 'metered-0 and the 2 partitions of __consumer_offsets');
  assert.ok(s.value('kb_log_size_bytes', { topic: 'metered', partition: 0 }) >= bytesIn, 'the log holds every byte produced');
  assert.equal(s.value('kb_consumer_group_lag', { group: 'metering', topic: 'metered', partition: 0 }), 5 - 2);
  assert.equal(s.value('kb_active_controller'), 1);
  assert.equal(s.value('kb_under_replicated_partitions'), 0);
  assert.equal(s.value('kb_offline_partitions'), 0);

  await kcatOk(['-b', broker.address, '-P', '-t', 'metered', '-p', '0'], { input: 'six\nseven\n' });
  const later = await scrape(url);
  assert.equal(later.value('kb_topic_messages_in_total', { topic: 'metered' }), 7);
  assert.equal(later.value('kb_consumer_group_lag', { group: 'metering', topic: 'metered', partition: 0 }), 7 - 2, 'lag follows the log');
  assert.ok(later.value('kb_log_size_bytes', { topic: 'metered', partition: 0 }) > s.value('kb_log_size_bytes', { topic: 'metered', partition: 0 }));

  // Reading both batches again counts each record once, from the batch headers of one fetch response.
  await kcatOk(['-b', broker.address, '-C', '-t', 'metered', '-o', 'beginning', '-e', '-q']);
  const reread = await scrape(url);
  const out = (x: typeof s) => x.value('kb_topic_messages_out_total', { topic: 'metered' });
  assert.equal(out(reread) - out(later), 7);
});

test('a fetch parked for a client that has gone reads and counts nothing when data arrives', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const created = await kb(['topic', 'create', 'left-behind', '--partitions', '1', '--rf', '1']);
  assert.equal(created.code, 0, created.stderr);
  await kcatOk(['-b', broker.address, '-P', '-t', 'left-behind', '-p', '0'], { input: 'one\ntwo\nthree\nfour\nfive\n' });
  // kcat -e exits at the end with its next fetch (offset 5) parked here, for up to fetch.wait.max.ms.
  await kcatOk(['-b', broker.address, '-C', '-t', 'left-behind', '-o', 'beginning', '-e', '-q', '-X', 'fetch.wait.max.ms=1500']);
  const out = async () => (await scrape(url)).value('kb_topic_messages_out_total', { topic: 'left-behind' });
  assert.equal(await out(), 5);
  await kcatOk(['-b', broker.address, '-P', '-t', 'left-behind', '-p', '0'], { input: 'six\nseven\n' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(await out(), 5, 'no answer went to the closed connection');
});

test('only /metrics is served: other paths are 404, other methods 405', async () => {
  const base = url.slice(0, -'/metrics'.length);
  for (const other of ['/', '/metric', '/metrics/x', '/favicon.ico']) {
    const response = await fetch(base + other);
    assert.equal(response.status, 404, other);
    await response.text();
  }
  const post = await fetch(url, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  await post.text();
  assert.equal((await scrape(`${url}?name[]=x`)).value('kb_active_controller'), 1, 'a query string is ignored');
});

test('a bad or busy metrics address is refused; the endpoint closes with the broker', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'kb-test-metrics-'));
  try {
    const start = (metrics: string) => runKb(['broker', 'start', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--metrics-listen', metrics]);
    const bad = await start('nowhere');
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /"nowhere" is not host:port/);
    const busy = await start(broker.address);
    assert.equal(busy.code, 1, busy.stderr);
    assert.match(busy.stderr, new RegExp(`cannot serve metrics on ${broker.address}: .*EADDRINUSE`));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }

  const other = await startBroker({ args: ['--metrics-listen', '127.0.0.1:0'] });
  const otherUrl = metricsUrl(other.log());
  assert.equal((await scrape(otherUrl)).value('kb_partitions'), 0);
  await other.stop();
  await assert.rejects(fetch(otherUrl), 'nothing listens once the broker stopped');
});
