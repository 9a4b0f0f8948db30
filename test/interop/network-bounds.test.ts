/**
 * The network layer's resource bounds (issue #22), each attacked over real
 * sockets against a real `kb broker start`, with limits set low so the
 * attacks stay small; after every attack kcat still produces (acks=all) and
 * consumes on fresh connections. Attackers connect from their own loopback
 * addresses (127.0.0.2 ...), kcat from 127.0.0.1:
 * - max.connections.per.ip and its overrides refuse the connection past
 *   the limit (and count a closed one out); max.connection.creation.rate
 *   refuses a burst past it (on a broker of its own);
 * - a size prefix alone costs no memory (memory grows as bytes arrive) and
 *   a first frame larger than sasl.server.max.receive.size that names no
 *   API the broker serves closes the connection;
 * - queued.max.request.bytes stops reading large frames once they hold
 *   that much, while small requests are still served, and a frame not
 *   finished within connections.max.idle.ms closes its connection (a
 *   trickle too), which gives its memory back;
 * - fetch.max.bytes caps a Fetch whatever max_bytes it asks, and partition
 *   max bytes are honoured, with at least one batch from the first
 *   partition that has data (even past those bounds: KIP-74).
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { kcatConsumeAll, kcatOk } from '../helpers/kcat.ts';
import { RawConnection } from '../helpers/raw-kafka.ts';
import { uniqueTopic } from '../helpers/records.ts';
import { runKb } from '../helpers/cli.ts';
import { encodeRequest } from '../../src/protocol/frames.ts';
import * as fetch from '../../src/protocol/generated/fetch-request.ts';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.ts';

const mib = 1024 * 1024;
const perIp = 6;
const requestMemoryBytes = 16 * mib;
const idleMs = 4_000;
const fetchMaxBytes = 256 * 1024;
const apiVersionsKey = 18;

let broker: RunningBroker;
const healthTopic = uniqueTopic('net-bounds-health');
let probes = 0;

before(async () => {
  broker = await startBroker({
    sets: {
      'max.connections.per.ip': perIp,
      'max.connections.per.ip.overrides': '127.0.0.3:2',
      'queued.max.request.bytes': requestMemoryBytes,
      'connections.max.idle.ms': idleMs,
      'fetch.max.bytes': fetchMaxBytes,
    },
  });
});
after(async () => {
  await broker?.stop();
});

/** kcat produces (acks=all) and consumes everything produced so far, on fresh connections. */
async function assertServing(what: string): Promise<void> {
  assert.equal(broker.process.exitCode, null, `the broker exited during ${what}:\n${broker.log()}`);
  probes++;
  await kcatOk(['-b', broker.address, '-P', '-t', healthTopic, '-X', 'acks=all'], { input: `${what}\n` });
  const records = await kcatConsumeAll(broker.address, healthTopic);
  assert.equal(records.length, probes, `every probe record is stored (during ${what})`);
  assert.equal(records.at(-1)?.value, what);
}

/** A connection from `from` that has had a request answered (so large frames are allowed). */
async function proven(from: string): Promise<RawConnection> {
  const connection = await RawConnection.open(broker.host, broker.port, 5_000, from);
  await connection.request(apiVersionsKey, 0, {});
  return connection;
}

/** An ApiVersions v0 request padded to `payloadBytes` (the broker ignores bytes past a body). */
function paddedApiVersions(payloadBytes: number): Buffer {
  const request = encodeRequest(apiVersionsKey, 0, 99, 'padded', {});
  const frame = Buffer.alloc(4 + payloadBytes);
  request.copy(frame);
  frame.writeInt32BE(payloadBytes, 0);
  return frame;
}

/** A frame's size and the start of its header: API key and version (ApiVersions v0 unless told). */
function sizePrefix(payloadBytes: number, apiKey = apiVersionsKey, apiVersion = 0): Buffer {
  const prefix = Buffer.alloc(8);
  prefix.writeInt32BE(payloadBytes, 0);
  prefix.writeInt16BE(apiKey, 4);
  prefix.writeInt16BE(apiVersion, 6);
  return prefix;
}

/** A field of the broker's /proc status in MiB (VmSize: mapped, VmRSS: resident). */
function brokerMemoryMib(field: 'VmSize' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${broker.process.pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function skipWithoutKcat(t: TestContext): boolean {
  return !requireTool(t, tools.kcat);
}

test('connections from one address past max.connections.per.ip (or its override) are refused; others are served', async (t) => {
  if (skipWithoutKcat(t)) return;
  const held: RawConnection[] = [];
  t.after(() => held.forEach((c) => c.destroy()));
  for (let i = 0; i < perIp; i++) held.push(await proven('127.0.0.2'));
  const refused = /closed the connection instead of answering/;
  const extra = await RawConnection.open(broker.host, broker.port, 5_000, '127.0.0.2');
  await assert.rejects(extra.request(apiVersionsKey, 0, {}), refused, 'the connection past the limit is closed unanswered');
  assert.match(broker.log(), /refusing connection from 127\.0\.0\.2: 6 connections open from 127\.0\.0\.2 \(max\.connections\.per\.ip 6\)/);
  for (let i = 0; i < 2; i++) held.push(await proven('127.0.0.3'));
  const overridden = await RawConnection.open(broker.host, broker.port, 5_000, '127.0.0.3');
  await assert.rejects(overridden.request(apiVersionsKey, 0, {}), refused, 'the override applies to its address');
  await assertServing('per-ip limit reached');

  held.shift()!.destroy();
  await until(
    async () => {
      const again = await RawConnection.open(broker.host, broker.port, 5_000, '127.0.0.2');
      held.push(again);
      return again.request(apiVersionsKey, 0, {}).then(() => true, () => false);
    },
    10_000,
    'a closed connection frees its slot',
  );
});

test('max.connection.creation.rate refuses a burst of new connections past it; clients get in again the next second', async (t) => {
  if (skipWithoutKcat(t)) return;
  const limited = await startBroker({ sets: { 'max.connection.creation.rate': 5 } });
  t.after(() => limited.stop());
  const burst = await Promise.all(Array.from({ length: 30 }, () => RawConnection.open(limited.host, limited.port, 5_000, '127.0.0.8')));
  t.after(() => burst.forEach((c) => c.destroy()));
  const answered = await Promise.all(burst.map((c) => c.request(apiVersionsKey, 0, {}).then(() => true, () => false)));
  const admitted = answered.filter(Boolean).length;
  assert.ok(admitted >= 5 && admitted < 30, `${admitted} of a burst of 30 admitted at 5 a second`);
  assert.match(limited.log(), /refusing connection from 127\.0\.0\.8: more than 5 new connections this second \(max\.connection\.creation\.rate\)/);
  // The next second's window: kcat -L gives up when its first connections are refused, as they may be within the burst's second.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  await kcatOk(['-b', limited.address, '-L'], { timeoutMs: 20_000 });
});

test('a size prefix alone costs no memory, and a large first frame must name an API served (sasl.server.max.receive.size)', async (t) => {
  if (skipWithoutKcat(t)) return;
  const garbage = await RawConnection.open(broker.host, broker.port, 5_000, '127.0.0.4');
  await garbage.write(sizePrefix(600 * 1024, 999));
  assert.ok(await garbage.waitClosed(10_000), 'a first frame over 512 KiB naming no API closes the connection');
  assert.match(broker.log(), /a first frame of 614400 bytes, over 524288 \(sasl\.server\.max\.receive\.size\), names no API served \(key 999 v0\)/);
  const client = await RawConnection.open(broker.host, broker.port, 5_000, '127.0.0.4');
  await client.write(paddedApiVersions(600 * 1024));
  assert.notEqual(await client.nextFrame(10_000), null, 'a large first request the broker serves is answered (clients that skip ApiVersions)');
  client.destroy();

  const promising: RawConnection[] = [];
  t.after(() => promising.forEach((c) => c.destroy()));
  for (let i = 0; i < perIp; i++) promising.push(await proven('127.0.0.4'));
  const before = brokerMemoryMib('VmSize');
  for (const connection of promising) await connection.write(sizePrefix(100 * mib));
  await (await proven('127.0.0.1')).request(apiVersionsKey, 0, {}); // the prefixes, written earlier, have been read by now
  const grown = brokerMemoryMib('VmSize') - before;
  assert.ok(grown < 200, `${perIp} frames promising 100 MiB each grew the broker's mapped memory by ${grown.toFixed(0)} MiB`);
  await assertServing('frames promising 100 MiB');
});

test('queued.max.request.bytes bounds what large frames hold while small requests are served; an unfinished frame is closed after connections.max.idle.ms', async (t) => {
  if (skipWithoutKcat(t)) return;
  const attackers: RawConnection[] = [];
  t.after(() => attackers.forEach((c) => c.destroy()));
  for (let i = 0; i < 4; i++) attackers.push(await proven('127.0.0.5'));
  const rssBefore = brokerMemoryMib('VmRSS');
  const chunk = Buffer.alloc(mib, 1);
  for (const attacker of attackers) {
    attacker.socket.write(sizePrefix(64 * mib));
    for (let i = 0; i < 48; i++) attacker.socket.write(chunk); // 48 of 64 MiB, never finished
  }
  // The broker reads until the budget is full, then stops: what the attackers could not hand over stops changing.
  const unsent = () => attackers.reduce((n, a) => n + a.socket.writableLength, 0);
  for (let last = -1; unsent() !== last; await sleep(300)) last = unsent();
  assert.ok(unsent() > 0, 'the attackers could not send everything');
  const grown = brokerMemoryMib('VmRSS') - rssBefore;
  assert.ok(grown < 100, `4 frames of 48 MiB sent grew the broker's resident memory by ${grown.toFixed(0)} MiB`);
  await assertServing('request memory full');

  for (const attacker of attackers) assert.ok(await attacker.waitClosed(idleMs + 15_000), 'an unfinished frame closes its connection');
  assert.match(broker.log(), /a request frame was not finished within 4000 ms \(connections\.max\.idle\.ms\)/);
  const large = await proven('127.0.0.6');
  t.after(() => large.destroy());
  await large.write(paddedApiVersions(8 * mib));
  assert.notEqual(await large.nextFrame(15_000), null, 'once the attackers are gone, their memory is free for a large request');
});

test('a frame trickled a byte at a time is closed after connections.max.idle.ms', async (t) => {
  const trickler = await proven('127.0.0.7');
  t.after(() => trickler.destroy());
  const frame = paddedApiVersions(1_000);
  const started = Date.now();
  for (let at = 0; !trickler.closed && at < frame.length; at++) {
    await trickler.write(frame.subarray(at, at + 1));
    await sleep(500);
    if (Date.now() - started > idleMs + 15_000) assert.fail('a trickled frame was not closed');
  }
  assert.ok(trickler.closed, 'the trickled frame was closed before it was complete');
});

test('fetch.max.bytes caps a Fetch whatever max_bytes it asks; partition max bytes are honoured', async (t) => {
  if (skipWithoutKcat(t)) return;
  const topic = uniqueTopic('net-bounds-fetch');
  const created = await runKb(['topic', 'create', topic, '--partitions', '2', '-b', broker.address]);
  assert.equal(created.code, 0, created.stderr);
  const records = 100;
  const value = 'v'.repeat(10_000);
  await kcatOk(['-b', broker.address, '-P', '-t', topic, '-p', '1', '-X', 'batch.num.messages=1'], { input: `${value}\n`.repeat(records) });
  const client = await proven('127.0.0.1');
  t.after(() => client.destroy());
  /** The bytes of partition 1 a Fetch of partitions 0 (empty) and 1 returns. */
  const fetchBytes = async (version: number, maxBytes: number, partitionMaxBytes: number) => {
    const partitions = [0, 1].map((partition) => ({ ...fetch.defaultFetchPartition(), partition, fetchOffset: 0n, partitionMaxBytes }));
    const request = { ...fetch.defaultFetchRequest(), replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes, topics: [{ ...fetch.defaultFetchTopic(), topic, partitions }] };
    const { body } = await client.request<FetchResponse>(1, version, request);
    const [empty, full] = body.responses[0].partitions;
    assert.deepEqual([empty.errorCode, empty.records!.length, full.errorCode], [0, 0, 0]);
    return full.records!.length;
  };
  const all = 0x7fffffff;
  for (const version of [0, 4, 11]) {
    const bytes = await fetchBytes(version, all, all);
    assert.ok(bytes > 0 && bytes <= fetchMaxBytes, `v${version} with max_bytes 2^31-1 returned ${bytes} bytes, expected 1..${fetchMaxBytes}`);
  }
  const partitionBytes = await fetchBytes(4, all, 30_000);
  assert.ok(partitionBytes > 10_000 && partitionBytes <= 30_000, `partition max bytes 30000 returned ${partitionBytes} bytes`);
  const oneBatch = await fetchBytes(4, all, 5_000);
  assert.ok(oneBatch > 10_000 && oneBatch < 20_000, `a batch larger than partition max bytes comes whole, alone, after an empty partition (${oneBatch} bytes)`);
  const consumed = await kcatConsumeAll(broker.address, topic);
  assert.equal(consumed.length, records, 'a consumer still reads the whole topic');
});
