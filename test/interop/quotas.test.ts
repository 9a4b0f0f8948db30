/**
 * Client quotas against kcat (librdkafka) going as fast as it can, on a
 * real broker: a 1 MB/s producer_byte_rate and a 1 MB/s
 * consumer_byte_rate (client-id entities), set with kb quota. Both start
 * with the burst Kafka allows (a first burst is measured over the whole
 * window); once that has aged out of the window, each client's throughput
 * over 20 s is within 20% of its quota, and kcat reports the throttle
 * times the broker answered with. Nothing is dropped: every record
 * produced is stored.
 *
 * The window is 2 x 1 s: with Kafka's default 11 x 1 s, Kafka's rate (and
 * kb's, the same) lets a client that was throttled long burst again as old
 * samples leave the window, so 20-second averages swing by up to a
 * quarter around the quota (test/broker/auth/client-quotas.test.ts shows
 * the long-run rate converging).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { kcat, kcatOk } from '../helpers/kcat.ts';

const mib = 1024 * 1024;
const valueBytes = 1000;
/** Long enough to last the whole test at the quota, burst included. */
const records = 50_000;
/** quota.window.num x quota.window.size.seconds. */
const quotaWindow = { num: 2, sizeSeconds: 1 };
const windowMs = quotaWindow.num * quotaWindow.sizeSeconds * 1000;
const measuredMs = 20_000;

async function endOffset(address: string, topic: string): Promise<number> {
  const r = await kcatOk(['-b', address, '-Q', '-t', `${topic}:0:-1`]);
  const match = /offset (\d+)/.exec(r.stdout);
  assert.ok(match, r.stdout);
  return Number(match[1]);
}

/** Polls `condition` every 200 ms until it holds or `timeoutMs` passes. */
async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('1 MB/s produce and consume quotas hold against kcat going as fast as it can, and kcat sees the throttle', { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-quota-kcat-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const broker = await startBroker({ dataDir: path.join(dir, 'data'), sets: { 'quota.window.num': quotaWindow.num, 'quota.window.size.seconds': quotaWindow.sizeSeconds } });
  t.after(() => broker.stop());
  const kb = (args: string[]) => runKb(args, { env: { KB_BROKERS: broker.address } });
  for (const args of [['--client-id', 'quota-producer', '--producer-byte-rate', '1MB'], ['--client-id', 'quota-consumer', '--consumer-byte-rate', '1MB']]) {
    const set = await kb(['quota', 'set', ...args]);
    assert.equal(set.code, 0, set.stderr);
  }
  const input = path.join(dir, 'records.txt');
  await writeFile(input, `${'x'.repeat(valueBytes)}\n`.repeat(records));
  // The consumer's topic, filled by an unlimited client.
  await kcatOk(['-b', broker.address, '-P', '-t', 'quota-in', '-l', input], { timeoutMs: 120_000 });
  assert.equal(await endOffset(broker.address, 'quota-in'), records);

  const inputFile = await open(input);
  t.after(() => inputFile.close());
  const common = ['-b', broker.address, '-X', 'statistics.interval.ms=0'];
  const producer = spawn('kcat', [...common, '-P', '-t', 'quota-out', '-X', 'client.id=quota-producer'], { stdio: [inputFile.fd, 'ignore', 'pipe'] });
  const consumer = spawn('kcat', [...common, '-C', '-t', 'quota-in', '-o', 'beginning', '-X', 'client.id=quota-consumer', '-f', '%s\n'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    producer.kill('SIGKILL');
    consumer.kill('SIGKILL');
  });
  let producerLog = '';
  let consumerLog = '';
  let consumedBytes = 0;
  producer.stderr!.setEncoding('utf8').on('data', (d: string) => (producerLog += d));
  consumer.stderr.setEncoding('utf8').on('data', (d: string) => (consumerLog += d));
  consumer.stdout.on('data', (d: Buffer) => (consumedBytes += d.length));

  // librdkafka logs each throttled response: "throttled request for N ms".
  const throttled = /throttled request for \d+ms/;
  await until('kcat producing sees a throttle time', () => throttled.test(producerLog), 60_000);
  await until('kcat consuming sees a throttle time', () => throttled.test(consumerLog), 60_000);
  // The first burst counts until it has left the window; then measure.
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const [produced0, consumed0, started] = [await endOffset(broker.address, 'quota-out'), consumedBytes, Date.now()];
  await new Promise((resolve) => setTimeout(resolve, measuredMs));
  const [produced1, consumed1, elapsedMs] = [await endOffset(broker.address, 'quota-out'), consumedBytes, Date.now() - started];

  const producedRate = ((produced1 - produced0) * valueBytes * 1000) / elapsedMs / mib;
  const consumedRate = ((consumed1 - consumed0) * 1000) / elapsedMs / mib;
  t.diagnostic(`produced ${producedRate.toFixed(3)} MiB/s, consumed ${consumedRate.toFixed(3)} MiB/s over ${elapsedMs} ms`);
  assert.ok(producedRate > 0.8 && producedRate < 1.2, `produced ${producedRate} MiB/s of values with a 1 MiB/s quota`);
  assert.ok(consumedRate > 0.8 && consumedRate < 1.2, `consumed ${consumedRate} MiB/s of values with a 1 MiB/s quota`);
  assert.ok(!/error|fail/i.test(producerLog), `producer:\n${producerLog.slice(-2000)}`);

  // Nothing dropped: once kcat has sent everything, every record is stored.
  producer.kill('SIGKILL');
  const all = await kcat(['-b', broker.address, '-C', '-t', 'quota-out', '-o', 'beginning', '-e', '-q', '-f', '%o\n'], { timeoutMs: 60_000 });
  const offsets = all.stdout.split('\n').filter(Boolean).map(Number);
  assert.deepEqual(offsets, offsets.map((_, i) => i), 'offsets 0..n-1 with no gap');
});
