/**
 * kcat (librdkafka 2.0.2) against a real `kb broker start`: keyed lines in
 * with -P -K, read back to the end with -C -e (format string and JSON
 * envelope), metadata with -L -J. Auto-created topics get 3 partitions here
 * (`num.partitions=3`), and kcat uses Kafka's murmur2 partitioner, so every
 * record's partition is known in advance. A batch of 300k records from
 * kcat (lz4, long linger) is stored as one and reads back whole through
 * kb consume.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { kcatConsumeAll, kcatMetadata, kcatOk } from '../helpers/kcat.ts';
import { runKb } from '../helpers/cli.ts';
import { assertSameRecords, murmur2Partition, uniqueTopic, withOffsets, type Header, type StoredRecord } from '../helpers/records.ts';

const partitions = 3;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ sets: { 'num.partitions': partitions } });
});
after(async () => {
  await broker?.stop();
});

const murmur2 = ['-X', 'topic.partitioner=murmur2_random'];

/** Parses `%k|%s|%p|%o|%h` lines; %h is `name=value` pairs separated by commas. */
function parseFormatted(stdout: string): StoredRecord[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [key, value, partition, offset, headerText] = line.split('|');
      assert.notEqual(headerText, undefined, `unexpected kcat output line: ${line}`);
      const headers: Header[] = headerText === '' ? [] : headerText.split(',').map((pair) => {
        const eq = pair.indexOf('=');
        return [pair.slice(0, eq), pair.slice(eq + 1)];
      });
      return { key, value, partition: Number(partition), offset: Number(offset), headers };
    });
}

test('kcat: keyed lines with headers go to their murmur2 partitions and come back with key, value, headers, partition, offset', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const topic = uniqueTopic('kcat-keyed');
  const headers: Header[] = [['source', 'kcat'], ['topic', topic]];
  const lines: { key: string; value: string }[] = [];
  for (let i = 0; i < 300; i++) lines.push({ key: `user-${i % 37}`, value: `event ${i} für ${'x'.repeat(i % 50)}` });
  lines.push({ key: 'big', value: 'B'.repeat(200_000) });

  await kcatOk(['-b', broker.address, '-P', '-t', topic, '-K', ':', ...murmur2, ...headers.flatMap(([k, v]) => ['-H', `${k}=${v}`])], {
    input: lines.map((l) => `${l.key}:${l.value}\n`).join(''),
  });

  const expected = withOffsets(lines.map((l) => ({ ...l, partition: murmur2Partition(l.key, partitions), headers })));
  const formatted = await kcatOk(['-b', broker.address, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k|%s|%p|%o|%h\n']);
  assertSameRecords(parseFormatted(formatted.stdout), expected, 'kcat -f %k|%s|%p|%o|%h');

  const json = await kcatConsumeAll(broker.address, topic);
  assertSameRecords(json, expected, 'kcat -J');
  const used = new Set(expected.map((r) => r.partition));
  assert.equal(used.size, partitions, 'the keys spread over every partition');
});

test('kcat: null keys, empty values, a null header value and an explicit partition round-trip', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const topic = uniqueTopic('kcat-nulls');
  // Lines without the key delimiter have a null key; "k:" has an empty value; -H name without = is a null header value.
  await kcatOk(['-b', broker.address, '-P', '-t', topic, '-K', ':', '-p', '2', '-H', 'nothing', '-H', 'empty='], {
    input: 'no key here\nk-empty:\n:empty key\nk:v\n',
  });
  const expected = withOffsets(
    [
      { key: null, value: 'no key here' },
      { key: 'k-empty', value: '' },
      { key: '', value: 'empty key' },
      { key: 'k', value: 'v' },
    ].map((r) => ({ ...r, partition: 2, headers: [['nothing', null], ['empty', '']] satisfies Header[] })),
  );
  assertSameRecords(await kcatConsumeAll(broker.address, topic), expected, 'kcat -J after -p 2');
});

test('kcat: -L -J lists this broker as controller and every partition of a topic led by it', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const topic = uniqueTopic('kcat-metadata');
  await kcatOk(['-b', broker.address, '-P', '-t', topic, '-K', ':', ...murmur2], { input: 'a:1\nb:2\n' });

  const all = await kcatMetadata(broker.address);
  assert.deepEqual(all.brokers, [{ id: 1, name: broker.address }]);
  assert.equal(all.originating_broker.id, 1);
  assert.equal(all.controllerid, 1, 'the broker is its own controller');
  assert.ok(all.topics.some((tp) => tp.topic === topic), `topic ${topic} is listed: ${JSON.stringify(all.topics.map((tp) => tp.topic))}`);

  const one = await kcatMetadata(broker.address, topic);
  assert.equal(one.topics.length, 1);
  const [described] = one.topics;
  assert.equal(described.topic, topic);
  assert.equal(described.error, undefined, `no topic error: ${JSON.stringify(described)}`);
  assert.deepEqual(
    described.partitions
      .map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas, isrs: p.isrs, error: p.error }))
      .sort((a, b) => a.partition - b.partition),
    [0, 1, 2].map((partition) => ({ partition, leader: 1, replicas: [{ id: 1 }], isrs: [{ id: 1 }], error: undefined })),
  );
});

test('kcat: one lz4 batch of 300k records is stored whole and kb consume reads every record back', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const topic = uniqueTopic('kcat-big-batch');
  const kb = (args: string[]) => runKb(args, { env: { KB_BROKERS: broker.address }, timeoutMs: 60_000 });
  const created = await kb(['topic', 'create', topic, '--partitions', '1', '--config', 'max.message.bytes=8000000']);
  assert.equal(created.code, 0, created.stderr);
  const count = 300_000;
  const oneBatch = ['batch.num.messages=1000000', 'queue.buffering.max.messages=1000000', 'batch.size=8000000', 'message.max.bytes=9000000', 'linger.ms=2000'];
  await kcatOk(['-b', broker.address, '-P', '-t', topic, '-p', '0', '-z', 'lz4', ...oneBatch.flatMap((c) => ['-X', c])], {
    input: Array.from({ length: count }, (_, i) => `${i % 10}\n`).join(''),
  });

  const dump = await kb(['log', 'dump', `${broker.dataDir}/logs/${topic}-0/00000000000000000000.log`]);
  assert.equal(dump.code, 0, dump.stderr);
  assert.match(dump.stdout, /baseOffset: 0 lastOffset: 299999 count: 300000 /, 'kcat sent the records as one batch');

  const consumed = await kb(['consume', topic, '-e', '-f', '%o %v\\n']);
  assert.equal(consumed.code, 0, consumed.stderr);
  const lines = consumed.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, count);
  const wrong = lines.filter((line, i) => line !== `${i} ${i % 10}`);
  assert.deepEqual(wrong.slice(0, 3), [], 'every line is "offset value" in offset order');
});

test('kcat: a consumer positioned past the log end gets OFFSET_OUT_OF_RANGE, resets per auto.offset.reset and reads on', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const topic = uniqueTopic('kcat-out-of-range');
  await kcatOk(['-b', broker.address, '-P', '-t', topic, '-p', '0'], { input: 'r0\nr1\nr2\nr3\nr4\n' });
  // librdkafka drops a whole Fetch answer whose partition carries null records (MessageSetSize -1), never sees the
  // error and retries the same fetch in a loop; with empty records it resets to the beginning and reads all five.
  const result = await kcatOk(['-b', broker.address, '-C', '-t', topic, '-p', '0', '-o', '1000', '-c', '5', '-q', '-f', '%o:%s\n', '-X', 'auto.offset.reset=earliest']);
  assert.equal(result.stdout, '0:r0\n1:r1\n2:r2\n3:r3\n4:r4\n');
  assert.doesNotMatch(result.stderr, /parse failure|MessageSetSize/);
});
