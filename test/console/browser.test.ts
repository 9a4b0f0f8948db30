/**
 * kb console in headless Chromium (Debian's, driven by puppeteer-core)
 * against a real 3-node cluster, as an operator would use it: every page
 * opens (a PNG of each under test-output/console/), a topic is created in
 * the UI, records produced with kcat show in the message browser, a kcat
 * group's lag shows, the group's offsets are reset from the UI (dry run
 * first, then the group id typed back) and kcat reads from there, a
 * throttled move shows with its bytes left, a killed
 * broker turns the overview WARNING and puts the URP badge on the topic,
 * and a stopped cluster shows the banner. A record produced and a topic
 * deleted (its name typed back) from the UI too. One cluster, one console, one
 * browser; the page must raise no script error throughout. Chromium
 * missing fails the test naming the package (KB_SKIP_INTEROP=1 skips it
 * locally, as for the other external tools).
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import puppeteer, { type Page } from 'puppeteer-core';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { startConsole } from '../helpers/console.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { runKb } from '../helpers/cli.ts';
import { repoRoot, requireTool, tools } from '../helpers/tools.ts';

const outputDir = path.join(repoRoot, 'test-output/console');
const waitMs = 30_000;

/** Waits until the page's text under `selector` matches `pattern`. */
async function waitForText(page: Page, selector: string, pattern: RegExp): Promise<void> {
  try {
    await page.waitForFunction(
      (s, source, flags) => [...(globalThis as any).document.querySelectorAll(s)].some((e: { innerText: string }) => new RegExp(source, flags).test(e.innerText)),
      { timeout: waitMs, polling: 200 },
      selector,
      pattern.source,
      pattern.flags,
    );
  } catch (err) {
    // biome-ignore lint/performance/useDomNodeTextContent: what the page shows, for the failure message
    const text = await page.evaluate(() => (globalThis as any).document.body.innerText);
    throw new Error(`no ${selector} matching ${pattern} within ${waitMs} ms; the page says:\n${text}`, { cause: err });
  }
}

test('kb console in Chromium: pages, create, browse, lag, reset offsets, a broker down, the cluster down', { timeout: 240_000 }, async (t) => {
  if (!requireTool(t, tools.kcat) || !requireTool(t, tools.chromium)) return;
  await mkdir(outputDir, { recursive: true });
  const cluster = await startCluster({ nodes: 3, sets: { ...fastFailover, 'num.partitions': 3 } });
  t.after(() => cluster.stop());
  const console_ = await startConsole({ brokers: cluster.bootstrap, args: ['--timeout', '3000'] });
  t.after(() => console_.stop());
  const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const scriptErrors: string[] = [];
  page.on('pageerror', (err) => scriptErrors.push(String(err)));
  const open = async (hash: string, heading: RegExp) => {
    await page.goto(`${console_.url}${hash}`);
    await waitForText(page, 'h1', heading);
  };
  const shot = (name: string) => page.screenshot({ path: path.join(outputDir, `${name}.png`) });

  await open('#/', /Overview/);
  await waitForText(page, '[data-test=health-status]', /^OK/);
  await waitForText(page, '[data-table=brokers] tbody', /alive.*alive.*alive/s);
  await shot('overview');

  // Create a topic in the UI.
  await open('#/topics', /Topics/);
  await page.click('summary::-p-text(Create a topic)');
  await page.type('[data-test=create-topic] input[name=name]', 'orders');
  await page.type('[data-test=create-topic] input[name=partitions]', '3');
  await page.type('[data-test=create-topic] input[name=replicationFactor]', '3');
  await page.click('[data-test=create-topic] button[type=submit]');
  await waitForText(page, '[data-table=topics] tbody', /orders\s+3\s+3\s+ok/);
  await shot('topics');

  // kcat's records in the message browser.
  const bootstrap = cluster.bootstrap.split(',')[0];
  await kcatOk(['-b', bootstrap, '-P', '-t', 'orders', '-K:'], { input: `${Array.from({ length: 10 }, (_, i) => `key-${i}:{"order":${i}}`).join('\n')}\n` });
  await open('#/topics/orders', /Topic orders/);
  await waitForText(page, '[data-table=messages] tbody', /key-9/);
  assert.equal(await page.$$eval('[data-table=messages] tbody tr', (rows) => rows.length), 10);
  await shot('topic');
  // Produce a record from the UI; kcat reads it.
  await page.click('summary::-p-text(Produce a record)');
  await page.type('[data-test=produce] input', 'from-ui');
  await page.type('[data-test=produce] textarea', 'hello from the browser');
  await page.click('[data-test=produce] button[type=submit]');
  await waitForText(page, '[data-test=produce]', /produced at partition \d+, offset \d+/);
  const fromUi = await kcatOk(['-b', bootstrap, '-C', '-t', 'orders', '-e', '-q', '-f', '%k=%s\n']);
  assert.match(fromUi.stdout, /^from-ui=hello from the browser$/m);

  // Delete a topic by typing its name.
  await console_.api('topics', { method: 'POST', body: { name: 'scratch' } });
  await open('#/topics/scratch', /Topic scratch/);
  await waitForText(page, '[data-table=partitions] tbody', /\d/);
  await page.click('summary::-p-text(Delete this topic)');
  await page.type('.confirm input', 'scratch');
  await page.click('.confirm button');
  await waitForText(page, 'h1', /^Topics$/);
  assert.equal((await console_.api('topics/scratch')).status, 422);

  // A group with lag: kcat reads the 11 records and commits, 5 more arrive.
  await kcatOk(['-b', bootstrap, '-G', 'billing', 'orders', '-e', '-q', '-X', 'auto.offset.reset=earliest']);
  await kcatOk(['-b', bootstrap, '-P', '-t', 'orders', '-K:'], { input: 'key-10:a\nkey-11:b\nkey-12:c\nkey-13:d\nkey-14:e\n' });
  await open('#/groups', /Consumer groups/);
  await waitForText(page, '[data-table=groups] tbody', /billing\s+Empty/);
  await shot('groups');
  await open('#/groups/billing', /Group billing/);
  await waitForText(page, '[data-test=group-lag]', /^5$/);
  await shot('group');

  // Reset its offsets from the UI: the dry run first, then confirmed; kcat reads from there.
  await page.click('[data-test=reset-offsets] button[type=submit]');
  await waitForText(page, '[data-test=reset-plan] tbody', /orders/);
  await page.type('[data-test=reset-plan] input', 'billing');
  await page.click('[data-test=reset-plan] button::-p-text(Reset offsets)');
  await waitForText(page, '[data-test=group-lag]', /^16$/); // kcat's 15 records and the one produced from the UI
  const reread = await kcatOk(['-b', bootstrap, '-G', 'billing', 'orders', '-e', '-q', '-f', '%k\n']);
  assert.equal(reread.stdout.trim().split('\n').length, 16, reread.stdout);

  // A move in progress (throttled) shows with the bytes it has left.
  await console_.api('topics', { method: 'POST', body: { name: 'moving', partitions: 1, replicationFactor: 1 } });
  const kib = 'x'.repeat(1024);
  // 3 MiB: more than a follower's first fetch takes, so the throttle holds the rest back.
  await kcatOk(['-b', bootstrap, '-P', '-t', 'moving'], { input: `${Array.from({ length: 3072 }, () => kib).join('\n')}\n` });
  const [moving] = (await console_.api('topics/moving')).body.partitions;
  const plan = path.join(outputDir, 'move.json');
  await writeFile(plan, JSON.stringify({ version: 1, partitions: [{ topic: 'moving', partition: 0, replicas: [moving.leader, cluster.nodeIds.find((id) => id !== moving.leader)] }] }));
  const moved = await runKb(['partitions', 'reassign', '--plan', plan, '--yes', '--throttle', '1024', '--rollback-out', path.join(outputDir, 'rollback.json'), '-b', cluster.bootstrap]);
  assert.equal(moved.code, 0, moved.stderr);

  // The other pages open.
  await open('#/balance', /Reassignments and balance/);
  await waitForText(page, '[data-table=reassignments] tbody', /moving\t0\t.*\t[1-9][\d.]* (KiB|MiB)\t/);
  await page.click('button::-p-text(Compute the plan)');
  await waitForText(page, '[data-test=balance-plan]', /./);
  await shot('balance');
  const kb = async (args: string[]) => {
    const result = await runKb([...args, '-b', cluster.bootstrap], { env: { KB_PASSWORD: 'alice-secret-password' } });
    assert.equal(result.code, 0, result.stderr);
  };
  await kb(['user', 'create', 'alice']);
  await kb(['quota', 'set', '--user', 'alice', '--producer-byte-rate', '1MB']);
  for (const [hash, heading, row] of [
    ['#/acls', /ACLs/, /no authorizer/],
    ['#/users', /Users/, /alice\tSCRAM-SHA-512 \(4096\)/],
    ['#/quotas', /Client quotas/, /user=alice\tproducer_byte_rate=1048576/],
    ['#/transactions', /Transactions/, /Transactional id/],
  ] as const) {
    await open(hash, heading);
    await waitForText(page, 'main', row);
    await shot(hash.slice(2));
  }

  // Tables sort from the keyboard; the dark theme.
  await open('#/topics', /Topics/);
  await waitForText(page, '[data-table=topics] tbody', /moving.*\n.*orders/);
  await page.focus('[data-table=topics] th button');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await waitForText(page, '[data-table=topics] tbody', /orders.*\n.*moving/);
  await page.click('button.theme');
  await page.waitForFunction(() => (globalThis as any).document.documentElement.dataset.theme === 'dark', { timeout: waitMs });
  await open('#/', /Overview/);
  await waitForText(page, '[data-test=health-status]', /^WARNING/); // the throttled move's partition is under-replicated
  await shot('overview-dark');

  // A broker down: WARNING on the overview, URP badges on the topic.
  const controllerId = (await console_.api('overview')).body.brokers.find((b: any) => b.controller).id;
  const victim = cluster.nodeIds.find((id) => id !== controllerId)!;
  await cluster.kill(victim);
  await open('#/', /Overview/);
  await waitForText(page, '[data-test=health-status]', /^WARNING/);
  await waitForText(page, '[data-test=health-problems]', /broker.? down or fenced/);
  assert.notDeepEqual((await console_.api('reassignments')).body.notPreferredLeaders, [], "the victim's partitions are led by others now");
  await shot('overview-broker-down');
  await open('#/topics', /Topics/);
  await waitForText(page, '[data-table=topics] tbody', /orders.*URP/);
  await shot('topics-under-replicated');

  // The whole cluster stopped: the banner.
  await cluster.stop();
  await open('#/', /Overview/);
  await waitForText(page, '[data-test=cluster-down]', /cluster cannot be reached/);
  await shot('cluster-down');
  assert.deepEqual(scriptErrors, []);
});
