/**
 * kb produce and kb consume against a real broker: keys, headers,
 * partitions, offset specs, format strings, --json round trips (a topic
 * copied exactly through a pipe), tombstones, compression, count limits,
 * `| head` ending cleanly (on an idle topic too), and the error cases with their exit codes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { kbShell } from '../helpers/kb-shell.ts';
import { describeRun } from '../helpers/process.ts';

let broker: RunningBroker;
let env: NodeJS.ProcessEnv;
const kb = (args: string[], input?: string) => runKb(args, { env, input });

async function createTopic(name: string, partitions: number): Promise<void> {
  const r = await kb(['topic', 'create', name, '--partitions', String(partitions)]);
  assert.equal(r.code, 0, r.stderr);
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

before(async () => {
  broker = await startBroker();
  env = { KB_BROKERS: broker.address };
});
after(() => broker?.stop());

test('keys and headers go through a pipeline, and -f prints every field', async () => {
  await createTopic('keyed', 3);
  const produced = await kb(['produce', 'keyed', '-K', ':', '-H', 'source=cli', '-H', 'trace=a=b'], 'user1:signed-in\nuser2:paid\nuser1:left\nno-key-here\n');
  assert.equal(produced.code, 0, produced.stderr);
  assert.equal(produced.stdout, '', 'produce prints nothing on stdout');

  const consumed = await kb(['consume', 'keyed', '-e', '-f', '%t|%p|%o|%k|%v|%h|%d\\n']);
  assert.equal(consumed.code, 0, consumed.stderr);
  const rows = consumed.stdout.trim().split('\n').map((l) => l.split('|'));
  assert.equal(rows.length, 4);
  for (const [topic, , , , , headers, timestamp] of rows) {
    assert.equal(topic, 'keyed');
    assert.equal(headers, 'source=cli,trace=a=b');
    assert.ok(Math.abs(Number(timestamp) - Date.now()) < 60_000, `timestamp ${timestamp}`);
  }
  const user1 = rows.filter((r) => r[3] === 'user1');
  assert.deepEqual(user1.map((r) => r[4]), ['signed-in', 'left'], 'records of one key keep their order');
  assert.equal(user1[0][1], user1[1][1], 'records of one key land on one partition');
  assert.deepEqual(rows.find((r) => r[4] === 'no-key-here')?.[3], '', 'a line without the delimiter has no key');
  assert.equal(new Set(rows.map((r) => `${r[1]}/${r[2]}`)).size, 4, 'partition/offset pairs are distinct');

  const valueOnly = await kb(['consume', 'keyed', '-e', '-p', user1[0][1]]);
  assert.deepEqual(valueOnly.stdout.split('\n').filter((l) => l === 'signed-in' || l === 'left'), ['signed-in', 'left']);
});

test("offset specs: beginning, end, N, -N and @timestamp, per partition; -n counts; kcat's s@/e@ range", async () => {
  await createTopic('offsets', 1);
  const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ value: `v${i}`, timestamp: 1_000_000 + i * 1000 }));
  assert.equal((await kb(['produce', 'offsets', '--json'], `${lines.join('\n')}\n`)).code, 0);
  const values = async (...args: string[]) => {
    const r = await kb(['consume', 'offsets', '-e', ...args]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split('\n').filter(Boolean);
  };
  const all = Array.from({ length: 10 }, (_, i) => `v${i}`);
  const [beginning, absolute, fromEnd, at, end, counted, beyond] = await Promise.all([
    values('-o', 'beginning'),
    values('-o', '7'),
    values('-o', '-3'),
    values('-o', '@1004500'),
    values('-o', 'end'),
    values('-n', '4'),
    values('-o', '@9999999'),
  ]);
  assert.deepEqual(beginning, all);
  assert.deepEqual(absolute, ['v7', 'v8', 'v9']);
  assert.deepEqual(fromEnd, ['v7', 'v8', 'v9']);
  assert.deepEqual(at, ['v5', 'v6', 'v7', 'v8', 'v9'], 'the first record at or after the timestamp');
  assert.deepEqual(end, []);
  assert.deepEqual(counted, ['v0', 'v1', 'v2', 'v3']);
  assert.deepEqual(beyond, [], 'a timestamp after every record starts at the end');

  const waiting = await kb(['consume', 'offsets', '-o', '-2', '-n', '2', '-f', '%o:%v %d\\n']);
  assert.equal(waiting.code, 0, 'without -e, -n ends the command');
  assert.equal(waiting.stdout, '8:v8 1008000\n9:v9 1009000\n');

  const range = await kb(['consume', '-o', 'e@1005000', '-o', 's@1002000', 'offsets']);
  assert.equal(range.code, 0, 'without -e, the end time ends the command');
  assert.equal(range.stdout, 'v2\nv3\nv4\n', "kcat's -o s@T1 -o e@T2 (before the topic, as kcat users write it): from the first record at T1 to the last before T2");
});

test('offset specs: earliest and latest as synonyms, ISO-8601 dates and times relative to now (@-10m)', async () => {
  await createTopic('offsets-relative', 1);
  const now = Date.now();
  // Three records two hours old, then two from a minute ago.
  const stamps = [now - 7_200_000, now - 7_100_000, now - 7_000_000, now - 60_000, now - 50_000];
  const lines = stamps.map((timestamp, i) => JSON.stringify({ value: `r${i}`, timestamp }));
  assert.equal((await kb(['produce', 'offsets-relative', '--json'], `${lines.join('\n')}\n`)).code, 0);
  const values = async (...args: string[]) => {
    const r = await kb(['consume', 'offsets-relative', '-e', ...args]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split('\n').filter(Boolean);
  };
  const [earliest, latest, lastTenMinutes, lastThreeHours, sinceIso] = await Promise.all([
    values('-o', 'earliest'),
    values('-o', 'latest'),
    values('-o', '@-10m'),
    values('-o', '@-3h'),
    values('-o', `@${new Date(now - 3_600_000).toISOString()}`),
  ]);
  assert.deepEqual(earliest, ['r0', 'r1', 'r2', 'r3', 'r4']);
  assert.deepEqual(latest, []);
  assert.deepEqual(lastTenMinutes, ['r3', 'r4'], 'the records of the last ten minutes');
  assert.deepEqual(lastThreeHours, ['r0', 'r1', 'r2', 'r3', 'r4']);
  assert.deepEqual(sinceIso, ['r3', 'r4'], 'the records since an hour ago, as an ISO-8601 time');
});

test('kb consume a --json -e | kb produce b --json copies a topic exactly, binary bytes and nulls included', async () => {
  await createTopic('source', 3);
  await createTopic('copy', 3);
  const records = [
    { key: 'k1', value: 'plain', headers: [{ key: 'h', value: 'x' }], partition: 0, timestamp: 1_700_000_000_000 },
    { key: { base64: Buffer.from([0xff, 0x00, 0xfe]).toString('base64') }, value: { base64: Buffer.from([0x80, 0x0a, 0x0d]).toString('base64') }, headers: [], partition: 1, timestamp: 1_700_000_000_001 },
    { key: 'tomb', value: null, headers: [{ key: 'null-header', value: null }, { key: 'h', value: 'dup1' }, { key: 'h', value: 'dup2' }], partition: 2, timestamp: 1_700_000_000_002 },
    { key: null, value: 'ünïcödé ✓ "quoted"\n', headers: [], partition: 2, timestamp: 1_700_000_000_003 },
  ];
  const input = records.map((r) => JSON.stringify(r)).join('\n');
  assert.equal((await kb(['produce', 'source', '--json'], input)).code, 0);

  const copy = await kbShell(`kb consume source --json -e | kb produce copy --json`, { env });
  assert.equal(copy.code, 0, describeRun(copy));
  const [source, copied] = await Promise.all([kb(['consume', 'source', '--json', '-e']), kb(['consume', 'copy', '--json', '-e'])]);
  const strip = ({ topic, ...rest }: Record<string, unknown>) => rest;
  const sourceRecords = jsonLines(source.stdout);
  assert.equal(sourceRecords.length, 4);
  assert.deepEqual(jsonLines(copied.stdout).map(strip), sourceRecords.map(strip));
  assert.deepEqual(
    sourceRecords.map(({ topic, offset, ...rest }) => rest).sort((a, b) => Number(a.timestamp) - Number(b.timestamp)),
    records,
    'the JSON written is the JSON read: key, value, headers, partition, timestamp',
  );
});

test('--null-value-marker produces tombstones; -p sends to one partition; every codec round-trips', async () => {
  await createTopic('codecs', 2);
  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    const r = await kb(['produce', 'codecs', '-p', '1', '-K', '\\t', '--null-value-marker', 'NULL', '--compression', compression], `${compression}\tvalue-${compression}\n${compression}\tNULL\n`);
    assert.equal(r.code, 0, `${compression}: ${r.stderr}`);
  }
  const consumed = jsonLines((await kb(['consume', 'codecs', '--json', '-e'])).stdout);
  assert.equal(consumed.length, 10);
  assert.ok(consumed.every((r) => r.partition === 1));
  assert.deepEqual(
    consumed.map((r) => [r.key, r.value]),
    ['none', 'gzip', 'snappy', 'lz4', 'zstd'].flatMap((c) => [[c, `value-${c}`], [c, null]]),
  );
});

test('kb consume | head -3 ends cleanly: exit 0 and nothing on stderr; large inputs are batched', async () => {
  await createTopic('many', 2);
  const produced = await kbShell('seq 1 50000 | kb produce many --acks 1 -v', { env });
  assert.equal(produced.code, 0, describeRun(produced));
  assert.match(produced.stderr, /produced 50000 of 50000 records to many/);

  // biome-ignore lint/suspicious/noTemplateCurlyInString: bash expands it, not JavaScript
  const headed = await kbShell('kb consume many | head -3; echo "status ${PIPESTATUS[0]}" >&2', { env });
  assert.equal(headed.stdout.split('\n').filter(Boolean).length, 3);
  assert.equal(headed.stderr, 'status 0\n', describeRun(headed));

  const counted = await kbShell('kb consume many -e | wc -l', { env });
  assert.equal(counted.stdout.trim(), '50000');
});

test("a topic argument starting with '^' reads every matching topic; invalid names and patterns are usage errors", async () => {
  await Promise.all([createTopic('orders-eu', 1), createTopic('orders-us', 2), createTopic('refunds', 1)]);
  for (const topic of ['orders-eu', 'orders-us', 'refunds']) assert.equal((await kb(['produce', topic], `${topic}-record\n`)).code, 0);

  const matched = await kb(['consume', '^orders-.*', 'refunds', '-e', '-f', '%t %v\\n']);
  assert.equal(matched.code, 0, matched.stderr);
  assert.deepEqual(matched.stdout.trim().split('\n').sort(), ['orders-eu orders-eu-record', 'orders-us orders-us-record', 'refunds refunds-record']);
  const cases: [string[], number, RegExp][] = [
    [['consume', '^nothing-.*', '-e'], 1, /^Error: no topic matches '\^nothing-\.\*'/],
    [['consume', 'bad name', '-e'], 2, /^Error: topic name "bad name" has characters other than[\s\S]*starts with '\^'[\s\S]*--help/],
    [['consume', '', '-e'], 2, /^Error: topic name is empty/],
    [['consume', '^(', '-e'], 2, /^Error: '\^\(' is not a regular expression/],
  ];
  const results = await Promise.all(cases.map(([args]) => kb(args)));
  results.forEach((r, i) => {
    assert.equal(r.code, cases[i][1], `kb ${cases[i][0].join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, cases[i][2], `kb ${cases[i][0].join(' ')}`);
    assert.equal(r.stdout, '');
  });
});

test('an -o offset past the end says so on stderr and starts at the end', async () => {
  await createTopic('short', 1);
  assert.equal((await kb(['produce', 'short'], 'a\nb\n')).code, 0);
  const past = await kb(['consume', 'short', '-o', '100', '-e']);
  assert.equal(past.code, 0, past.stderr);
  assert.equal(past.stdout, '');
  assert.match(past.stderr, /^Warning: offset 100 is past the end of partition 0 of 'short' \(it ends at 2\): nothing to read there/);
  const within = await kb(['consume', 'short', '-o', '1', '-e']);
  assert.deepEqual([within.stdout, within.stderr], ['b\n', ''], 'an offset inside the log reads from it, quietly');
});

test("kb produce to a missing topic follows the broker's auto.create.topics.enable; kb topic create defaults to its num.partitions", async (t) => {
  const created = await kb(['produce', 'made-on-use'], 'first\n');
  assert.equal(created.code, 0, created.stderr);
  assert.equal((await kb(['consume', 'made-on-use', '-e'])).stdout, 'first\n', 'auto-created (auto.create.topics.enable defaults to true) and produced to');

  const strict = await startBroker({ sets: { 'auto.create.topics.enable': false, 'num.partitions': 3 } });
  t.after(() => strict.stop());
  const strictKb = (args: string[], input?: string) => runKb(args, { env: { KB_BROKERS: strict.address }, input });
  const refused = await strictKb(['produce', 'absent'], 'x\n');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^Error: topic 'absent' does not exist and the cluster does not create topics on use \(auto\.create\.topics\.enable=false\)/);
  assert.match((await strictKb(['topic', 'list'])).stdout, /^(?![\s\S]*absent)/, 'nothing was created');

  const plain = await strictKb(['topic', 'create', 'plain']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /created topic plain with 3 partition\(s\)/);
  const described = await strictKb(['topic', 'describe', 'plain', '--json']);
  assert.equal(JSON.parse(described.stdout).partitions.length, 3, "the broker's num.partitions");
});

test("kcat's habits: produce -D record delimiter, -k one key for all, -Z empty as null; consume -f with %K %S %T %s and rpk's %v{json}", async () => {
  await createTopic('kcat-habits', 1);
  const delimited = await kb(['produce', '-H', 'via=kcat', '-X', 'security.protocol=PLAINTEXT', 'kcat-habits', '-D', ';', '-k', 'batch-7'], 'a;b\nc;;');
  assert.equal(delimited.code, 0, delimited.stderr);
  const nulls = await kb(['produce', 'kcat-habits', '-K', ':', '-Z'], ':v\nk:\n');
  assert.equal(nulls.code, 0, nulls.stderr);
  const records = jsonLines((await kb(['consume', 'kcat-habits', '--json', '-e'])).stdout).map((r) => [r.key, r.value]);
  assert.deepEqual(records, [
    ['batch-7', 'a'],
    ['batch-7', 'b\nc'],
    ['batch-7', ''],
    [null, 'v'],
    ['k', null],
  ]);
  const kcatFormat = await kb(['consume', 'kcat-habits', '-e', '-f', '%K %S %T|%k=%s\\n']);
  assert.match(kcatFormat.stdout.split('\n')[4], /^-1 1 \d{13}\|=v$/, "kcat's %K %S %T %s, a null key of length -1");
  assert.match(kcatFormat.stdout.split('\n')[5], /^1 -1 \d{13}\|k=$/, 'a null value of length -1');
  const rpkFormat = await kb(['consume', 'kcat-habits', '-e', '-o', '3', '-f', '%k{json} %v{json} %v{hex}\\n']);
  assert.equal(rpkFormat.stdout, 'null "v" 76\n"k" null \n', "rpk's %v{json} and %v{hex}");
  const usage = await Promise.all([kb(['produce', 'kcat-habits', '-D', '\\r\\n']), kb(['produce', 'kcat-habits', '-k', 'a', '-K', ':']), kb(['produce', 'kcat-habits', '--json', '-Z'])]);
  assert.deepEqual(usage.map((r) => r.code), [2, 2, 2]);
  assert.match(usage[0].stderr, /--delimiter must be one byte, not 2/);
  assert.match(usage[1].stderr, /--key-delimiter=: cannot also be provided when using --key|--key=a cannot also be provided/);
  assert.match(usage[2].stderr, /drop -K\/--key-delimiter, -k\/--key, -Z/);
});

test('kb consume | head -3 on a topic that then goes idle exits 0 soon after head has gone, not at the next record', async () => {
  await createTopic('idle', 1);
  assert.equal((await kb(['produce', 'idle'], 'a\nb\nc\n')).code, 0);
  // A watchdog (its output away from the pipes, which must close) kills a kb still waiting after 30 s
  // (the node under the subshell that runs the kb function, then the subshell: exit 137).
  const script = `{ kb consume idle & pid=$!
    (sleep 30; pkill -9 -P $pid; kill -9 $pid) >/dev/null 2>&1 </dev/null & watchdog=$!
    wait $pid; echo "status $?" >&2
    kill $watchdog; } | head -3`;
  const headed = await kbShell(script, { env, timeoutMs: 60_000 });
  assert.equal(headed.stdout, 'a\nb\nc\n');
  assert.equal(headed.stderr, 'status 0\n', describeRun(headed));
});

test('errors: missing topics and partitions exit 1 naming them; bad flags exit 2 with a hint', async () => {
  await createTopic('small', 2);
  const cases: [string[], string | undefined, number, RegExp][] = [
    [['consume', 'missing', '-e'], undefined, 1, /topic 'missing' does not exist/],
    [['consume', 'small', 'missing2', '-e'], undefined, 1, /topic 'missing2' does not exist/],
    [['produce', 'bad name'], 'x\n', 2, /topic name "bad name" has characters/],
    [['consume', 'small', '-p', '5', '-e'], undefined, 1, /has no partition 5 \(it has 2/],
    [['produce', 'small', '-p', '5'], 'a\nb\n', 1, /^Error: topic 'small' has no partition 5 \(it has 2: 0\.\.1\)\n$/],
    [['consume', 'small', '-o', 'yesterday'], undefined, 2, /"yesterday" is not an offset[\s\S]*--help/],
    [['consume', 'small', '-f', '%x'], undefined, 2, /unknown directive "%x"/],
    [['consume', 'small', '-f', '%v', '--json'], undefined, 2, /cannot also be provided when using --json|--format/],
    [['produce', 'small', '--acks', '2'], '', 2, /Expected --acks=2 to be one of: all, 1, 0/],
    [['produce', 'small', '--json', '-K', ':'], '', 2, /drop -K/],
    [['produce', 'small', '--json'], '{"value":"ok"}\nnot json\n', 1, /line 2: not JSON[\s\S]*the 1 records before it were sent/],
    [['produce', 'small', '--json'], '{"value":{"hex":"00"}}\n', 1, /line 1: "value" must be a string, \{"base64": "..."\} or null/],
    [['consume', 'small', '-e', '-b', '127.0.0.1:1'], undefined, 1, /no broker reachable[\s\S]*-b\/--brokers/],
    [['consume'], undefined, 2, /Missing 1 required arg/],
    [['topic', 'describe', 'missing', '--json'], undefined, 1, /^Error: describing 'missing': topic 'missing' does not exist/],
  ];
  // Four kb processes at a time: fifteen starting at once on a loaded 2-core machine outlasted runKb's 30 s.
  const results: Awaited<ReturnType<typeof kb>>[] = [];
  for (let i = 0; i < cases.length; i += 4) {
    results.push(...(await Promise.all(cases.slice(i, i + 4).map(([args, input]) => kb(args, input)))));
  }
  results.forEach((r, i) => {
    const [args, , code, message] = cases[i];
    assert.equal(r.code, code, `kb ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, `kb ${args.join(' ')}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
  const lostNothing = await kb(['consume', 'small', '-e']);
  assert.equal(lostNothing.stdout, 'ok\n', 'the record before the bad JSON line was produced');
});
