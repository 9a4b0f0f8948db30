/**
 * kb console's JSON API against a real `kb broker start`: the overview's
 * health verdict, topics (create with the CLI's validation, add
 * partitions, configs, delete by the name typed back), the message
 * browser (newest, from an offset, filtered, capped) and produce, groups
 * (lag, reset offsets: the plan first, then executed, checked with kcat),
 * the balance plan, the security headers, the request bounds, the login
 * and the cluster-down answers. One broker and one console serve the file;
 * a second console with a password and a third against nothing cover the
 * login and the banner.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { startConsole, type RunningConsole } from '../helpers/console.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { freePorts } from '../helpers/cluster.ts';
import { runKb } from '../helpers/cli.ts';
import { metricsUrl } from '../helpers/metrics.ts';
import { requireTool, tools } from '../helpers/tools.ts';

/** The first 200 answer of `call`, asked again for up to 15 s. */
async function answered(call: () => Promise<{ status: number; body: any }>): Promise<{ status: number; body: any }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const answer = await call();
    if (answer.status === 200 || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let broker: RunningBroker;
let console_: RunningConsole;

before(async () => {
  broker = await startBroker({ args: ['--metrics-listen', '127.0.0.1:0'] });
  console_ = await startConsole({ brokers: broker.address, args: ['--metrics', metricsUrl(broker.log())] });
});
after(async () => {
  await console_?.stop();
  await broker?.stop();
});

test('the page and the API carry the security headers; the UI is served gzipped', async () => {
  for (const path of ['', 'ui.js', 'api/overview']) {
    const response = await fetch(new URL(path, console_.url), { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(response.status, 200, path);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    await response.arrayBuffer();
  }
  const page = await (await fetch(console_.url)).text();
  assert.match(page, /<script defer src="\/ui.js"><\/script>/);
  assert.doesNotMatch(page, /<script>/, 'no inline script');
});

test('overview: the health verdict, brokers and quorum', async () => {
  const { status, body } = await console_.api('overview');
  assert.equal(status, 200);
  assert.equal(body.health.status, 'OK');
  assert.deepEqual(body.brokers.map((b: any) => [b.id, b.address, b.controller, b.alive]), [[1, broker.address, true, true]]);
  assert.equal(body.quorum.leaderId, 1);
});

test('topics: create with the CLI validation, add partitions, configs, delete by name', async () => {
  const bad = await console_.api('topics', { method: 'POST', body: { name: 'orders', partitions: 0 } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /partition count must be a whole number from 1/);
  const created = await console_.api('topics', { method: 'POST', body: { name: 'orders', partitions: 2, configs: { 'retention.ms': '3600000' } } });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal(created.body.numPartitions, 2);
  const again = await console_.api('topics', { method: 'POST', body: { name: 'orders' } });
  assert.equal(again.status, 422);
  assert.match(again.body.error, /topic 'orders' already exists/);

  assert.equal((await console_.api('topics/orders/partitions', { method: 'POST', body: { count: 3 } })).status, 200);
  assert.equal((await console_.api('topics/orders/configs', { method: 'PATCH', body: { set: { 'cleanup.policy': 'compact' }, delete: ['retention.ms'] } })).status, 200);
  // The new partition's leader may take a moment: the page polls, the test waits for it.
  const detail = await answered(() => console_.api('topics/orders'));
  assert.equal(detail.body.partitions.length, 3);
  const config = (name: string) => detail.body.configs.find((c: any) => c.name === name);
  assert.equal(config('cleanup.policy').value, 'compact');
  assert.equal(config('cleanup.policy').isDefault, false);
  assert.equal(config('retention.ms').isDefault, true);

  const listed = await console_.api('topics');
  assert.deepEqual(
    listed.body.topics.filter((t: any) => t.name === 'orders').map((t: any) => [t.partitions, t.replicationFactor, t.underReplicated, t.offline]),
    [[3, 1, 0, 0]],
  );

  await console_.api('topics', { method: 'POST', body: { name: 'scratch' } });
  const unconfirmed = await console_.api('topics/scratch', { method: 'DELETE', body: { confirm: 'scratc' } });
  assert.equal(unconfirmed.status, 400);
  assert.equal((await console_.api('topics/scratch', { method: 'DELETE', body: { confirm: 'scratch' } })).status, 200);
  assert.equal((await console_.api('topics/scratch')).status, 422);
});

test('messages: kcat records browsed newest, from an offset, filtered and capped; produced records read back', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  await console_.api('topics', { method: 'POST', body: { name: 'events', partitions: 1 } });
  const lines = Array.from({ length: 600 }, (_, i) => `k${i}:${i === 7 ? '{"seven":7}' : `value-${i}`}`);
  await kcatOk(['-b', broker.address, '-P', '-t', 'events', '-K:', '-p', '0'], { input: `${lines.join('\n')}\n` });

  const newest = await console_.api('topics/events/messages?limit=3');
  assert.deepEqual(newest.body.records.map((r: any) => [r.offset, r.key, r.value]), [[597, 'k597', 'value-597'], [598, 'k598', 'value-598'], [599, 'k599', 'value-599']]);
  assert.deepEqual(Object.keys(newest.body.records[0]), ['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers'], "kb consume --json's fields");

  const fromOffset = await console_.api('topics/events/messages?from=offset&offset=5&limit=3&partition=0');
  assert.deepEqual(fromOffset.body.records.map((r: any) => r.offset), [5, 6, 7]);
  const filtered = await console_.api('topics/events/messages?from=offset&offset=0&filter=seven');
  assert.deepEqual(filtered.body.records.map((r: any) => [r.offset, r.value]), [[7, '{"seven":7}']]);

  const capped = await console_.api('topics/events/messages?from=offset&offset=0&limit=100000');
  assert.equal(capped.body.records.length, 500, 'the limit is capped at 500');

  const produced = await console_.api('topics/events/messages', { method: 'POST', body: { key: 'from-console', value: { base64: Buffer.from([0, 1, 2, 255]).toString('base64') }, headers: [{ key: 'h', value: 'v' }] } });
  assert.equal(produced.status, 200, JSON.stringify(produced.body));
  assert.equal(produced.body.offset, 600);
  const read = await console_.api('topics/events/messages?limit=1&partition=0');
  assert.deepEqual(read.body.records[0].value, { base64: 'AAEC/w==' });
  assert.deepEqual(read.body.records[0].headers, [{ key: 'h', value: 'v' }]);

  const badTime = await console_.api('topics/events/messages?from=timestamp&timestamp=yesterday');
  assert.equal(badTime.status, 400);
});

test('groups: lag, reset offsets (plan, then executed and read by kcat), delete', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  await console_.api('topics', { method: 'POST', body: { name: 'jobs', partitions: 1 } });
  await kcatOk(['-b', broker.address, '-P', '-t', 'jobs', '-p', '0'], { input: 'a\nb\nc\n' });
  const consumeAll = () => kcatOk(['-b', broker.address, '-G', 'workers', 'jobs', '-e', '-q', '-X', 'auto.offset.reset=earliest', '-f', '%s\n']);
  await consumeAll();
  await kcatOk(['-b', broker.address, '-P', '-t', 'jobs', '-p', '0'], { input: 'd\ne\n' });

  const group = await console_.api('groups/workers');
  assert.equal(group.status, 200, JSON.stringify(group.body));
  assert.equal(group.body.state, 'Empty');
  assert.equal(group.body.totalLag, 2);
  assert.deepEqual(group.body.lag.map((p: any) => [p.topic, p.partition, p.committedOffset, p.logEndOffset, p.lag]), [['jobs', 0, 3, 5, 2]]);

  const plan = await console_.api('groups/workers/reset-offsets', { method: 'POST', body: { topics: ['jobs'], to: 'earliest' } });
  assert.deepEqual(plan.body, { group: 'workers', executed: false, partitions: [{ topic: 'jobs', partition: 0, currentOffset: 3, newOffset: 0 }] });
  assert.equal((await console_.api('groups/workers')).body.totalLag, 2, 'the dry run changed nothing');
  const unconfirmed = await console_.api('groups/workers/reset-offsets', { method: 'POST', body: { topics: ['jobs'], to: 'earliest', execute: true } });
  assert.equal(unconfirmed.status, 400);
  const done = await console_.api('groups/workers/reset-offsets', { method: 'POST', body: { topics: ['jobs'], to: 'earliest', execute: true, confirm: 'workers' } });
  assert.equal(done.body.executed, true);
  assert.equal((await consumeAll()).stdout, 'a\nb\nc\nd\ne\n', 'kcat reads from the reset offset');

  assert.equal((await console_.api('groups/workers', { method: 'DELETE', body: { confirm: 'workers' } })).status, 200);
  assert.equal((await console_.api('groups/workers')).status, 422);
});

test('balance, reassignments and the read-only lists answer; ACLs without an authorizer say so', async () => {
  assert.deepEqual((await console_.api('balance')).body, { moves: [] });
  assert.deepEqual((await console_.api('reassignments')).body, { reassignments: [], notPreferredLeaders: [] });
  assert.deepEqual((await console_.api('users')).body, { users: [] });
  assert.deepEqual((await console_.api('quotas')).body, { quotas: [] });
  assert.deepEqual((await console_.api('transactions')).body, { transactions: [] });
  const acls = await console_.api('acls');
  assert.equal(acls.status, 422);
  assert.match(acls.body.error, /no authorizer/);
});

test('bounds and refusals: body size, bad JSON, other origins, plain forms, other host names, unknown routes', async () => {
  const huge = await fetch(new URL('api/topics', console_.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }) });
  assert.equal(huge.status, 413);
  const notJson = await fetch(new URL('api/topics', console_.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{' });
  assert.equal(notJson.status, 400);
  const form = await fetch(new URL('api/topics', console_.url), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=x' });
  assert.equal(form.status, 415);
  const crossSite = await console_.api('topics', { method: 'POST', body: { name: 'x' }, headers: { Origin: 'http://evil.example' } });
  assert.equal(crossSite.status, 403);
  const rebound = await new Promise<number>((resolve, reject) => {
    const { port } = new URL(console_.url);
    http.get({ host: '127.0.0.1', port, path: '/api/overview', headers: { Host: `attacker.example:${port}` } }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject);
  });
  assert.equal(rebound, 403, 'without a login, only loopback host names are served (DNS rebinding)');
  assert.equal((await console_.api('nothing')).status, 404);
  assert.equal((await console_.api('topics', { method: 'PUT', body: {} })).status, 405);
  assert.equal((await console_.api('topics')).body.topics.some((t: any) => t.name === 'x'), false);
});

test('login: a password gates the API with an HttpOnly SameSite=Strict session; other addresses need one; a port in use is an error', async (t) => {
  const password = 'correct horse battery staple';
  const gated = await startConsole({ brokers: broker.address, env: { KB_CONSOLE_PASSWORD: password } });
  t.after(() => gated.stop());
  assert.deepEqual((await gated.api('session')).body, { loginRequired: true, authenticated: false });
  assert.equal((await gated.api('overview')).status, 401);
  // Guesses sent at once are checked one a second: the second waits for the first's second, the right password for the second's.
  const login = async (guess: string) => ({ ...(await gated.api('login', { method: 'POST', body: { password: guess } })), at: Date.now() });
  const started = Date.now();
  const wrongs = await Promise.all(['guess', 'guess2'].map(login));
  assert.deepEqual(wrongs.map((w) => w.status), [401, 401]);
  const lastWrong = Math.max(...wrongs.map((w) => w.at));
  assert.ok(lastWrong - started >= 1000, `the second guess was answered ${lastWrong - started} ms after the first was sent`);
  const right = await login(password);
  assert.equal(right.status, 200);
  assert.ok(right.at - lastWrong >= 900, `the right password was answered ${right.at - lastWrong} ms after the last wrong one`);
  const cookie = right.headers.get('set-cookie') ?? '';
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const session = cookie.split(';')[0];
  const overview = await gated.api('overview', { headers: { Cookie: session } });
  assert.equal(overview.status, 200);
  assert.equal(JSON.stringify(overview.body).includes(password), false);
  await gated.api('logout', { method: 'POST', body: {}, headers: { Cookie: session } });
  assert.equal((await gated.api('overview', { headers: { Cookie: session } })).status, 401);

  const taken = await runKb(['console', '-b', broker.address, '--listen', new URL(console_.url).host]);
  assert.equal(taken.code, 1, taken.stderr);
  assert.match(taken.stderr, /^Error: cannot serve on 127\.0\.0\.1:\d+: the address is in use; choose another with --listen HOST:PORT\n$/);

  const open = await runKb(['console', '-b', broker.address, '--listen', '0.0.0.0:0'], { env: { KB_CONSOLE_PASSWORD: '' } });
  assert.equal(open.code, 2, open.stderr);
  assert.match(open.stderr, /not a loopback address: the console then needs a login; give a password with --password-file FILE or KB_CONSOLE_PASSWORD/);
});

test('a cluster that is down: the overview is UNKNOWN with the reason, other pages 503 with clusterDown, no stack trace', async (t) => {
  const [port] = await freePorts(1);
  const down = await startConsole({ brokers: `127.0.0.1:${port}`, args: ['--timeout', '2000'] });
  t.after(() => down.stop());
  const overview = await down.api('overview');
  assert.equal(overview.status, 200);
  assert.equal(overview.body.health.status, 'UNKNOWN');
  const topics = await down.api('topics');
  assert.equal(topics.status, 503);
  assert.equal(topics.body.clusterDown, true);
  assert.match(topics.body.error, /the cluster cannot be reached/);
  assert.doesNotMatch(JSON.stringify(topics.body), /\n\s+at /);
  assert.equal((await fetch(down.url)).status, 200, 'the UI is served to show the banner');
});

test('live series: messages in/s per topic from the log end offsets, bytes in/s from the broker\'s /metrics', async () => {
  // The console has polled `events` (every 5 s) since an earlier test: a record now shows as a rate above 0 at the next poll.
  assert.equal((await console_.api('topics/events/messages', { method: 'POST', body: { value: 'tick' } })).status, 200);
  const deadline = Date.now() + 20_000;
  let series: Record<string, [number, number][]> = {};
  const risen = (name: string) => series[name]?.some(([, rate]) => rate > 0);
  while (Date.now() < deadline) {
    series = (await console_.api('history?series=messagesIn:events&series=bytesIn:events')).body.series;
    if (risen('messagesIn:events') && risen('bytesIn:events')) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.ok(risen('messagesIn:events'), `${JSON.stringify(series)}\n${console_.log()}`);
  assert.ok(risen('bytesIn:events'), `bytes in/s from the broker's /metrics (--metrics): ${JSON.stringify(series)}\n${console_.log()}`);
  assert.ok(series['messagesIn:events'].every(([at]) => Math.abs(at - Date.now()) < 3_600_000));
  const listed = (await console_.api('topics')).body.topics.find((t: any) => t.name === 'events');
  assert.equal(typeof listed.messagesInPerSec, 'number');
});
