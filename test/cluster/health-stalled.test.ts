/**
 * `kb health` against brokers that accept connections and never answer:
 * --timeout bounds the whole command. A plain listener that never answers
 * and a SIGSTOPped single broker are UNKNOWN (nothing answers), and the
 * process ends by the timeout; in a 3-node cluster whose controller alone
 * is stalled the other two nodes give the verdict: never UNKNOWN, WARNING
 * with the stalled node down once a new controller leads; other commands
 * given the stalled node first are answered by the others and exit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../helpers/broker.ts';
import { fastFailover, startCluster } from '../helpers/cluster.ts';
import { runKb, runKbTimed, type CliResult } from '../helpers/cli.ts';
import { silentListener } from '../helpers/silent-listener.ts';

const timeoutMs = 3000;
/** Start-up of the CLI on a loaded machine, on top of --timeout. */
const slackMs = 12_000;

/** `kb ARGS -b bootstrap --timeout 3000`, asserting that it exits by itself within the timeout (and start-up). */
async function kbBounded(args: string[], bootstrap: string): Promise<CliResult & { ms: number }> {
  const result = await runKbTimed([...args, '-b', bootstrap, '--timeout', args[0] === 'health' ? `${timeoutMs}ms` : String(timeoutMs)], { timeoutMs: timeoutMs + slackMs + 10_000 });
  assert.notEqual(result.code, null, `kb ${args.join(' ')} did not exit on its own (killed after ${result.ms} ms):\n${result.stdout}${result.stderr}`);
  assert.ok(result.ms < timeoutMs + slackMs, `kb ${args.join(' ')} took ${result.ms} ms with --timeout ${timeoutMs}`);
  return result;
}

const health = (bootstrap: string, extra: string[] = []) => kbBounded(['health', ...extra], bootstrap);

test('a listener that accepts and never answers: UNKNOWN, and kb health exits by its --timeout', async (t) => {
  const silent = await silentListener(t);
  const result = await health(silent.address);
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.match(result.stdout, /^UNKNOWN: [^\n]+\n$/);
  assert.ok(silent.accepted() > 0, 'kb health did connect');
});

test('a stalled (SIGSTOP) single broker: UNKNOWN by --timeout', async (t) => {
  const broker = await startBroker();
  t.after(async () => {
    broker.process.kill('SIGCONT');
    await broker.stop();
  });
  broker.process.kill('SIGSTOP');
  const result = await health(broker.address);
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.match(result.stdout, /^UNKNOWN: [^\n]+\n$/);
});

test('3 nodes, only the controller stalled: the others answer, never UNKNOWN, WARNING with the stalled node down', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3, sets: fastFailover });
  t.after(() => cluster.stop());
  const created = await runKb(['topic', 'create', 'orders', '--partitions', '3', '--rf', '3', '-b', cluster.bootstrap]);
  assert.equal(created.code, 0, created.stderr);
  const healthy = await health(cluster.bootstrap);
  assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
  const controllerId = JSON.parse((await health(cluster.bootstrap, ['--json'])).stdout).controllerId as number;

  cluster.pause(controllerId);
  // The stalled node first: it accepts the connection and never answers.
  const bootstrap = [controllerId, ...cluster.nodeIds.filter((id) => id !== controllerId)].map((id) => cluster.address(id)).join(',');
  const deadline = Date.now() + 60_000;
  const seen: string[] = [];
  for (;;) {
    const result = await health(bootstrap, ['--json']);
    assert.ok(result.code === 1 || result.code === 2, `WARNING or CRITICAL, not ${result.code}:\n${result.stdout}${result.stderr}`);
    const report = JSON.parse(result.stdout);
    seen.push(`${report.status} in ${result.ms} ms: ${report.problems.map((p: { message: string }) => p.message).join('; ')}`);
    assert.ok(report.brokers.down.includes(controllerId), `the stalled node ${controllerId} is down: ${result.stdout}`);
    if (report.status === 'WARNING') {
      assert.notEqual(report.controllerId, controllerId, result.stdout);
      break;
    }
    assert.ok(Date.now() < deadline, `never WARNING within 60 s:\n${seen.join('\n')}`);
  }
  // Other commands, the stalled node first in -b too: answered by the others, and they exit.
  for (const args of [['topic', 'list'], ['cluster', 'info']]) {
    const result = await kbBounded(args, bootstrap);
    assert.equal(result.code, 0, `kb ${args.join(' ')}: ${result.stderr}`);
  }
});
