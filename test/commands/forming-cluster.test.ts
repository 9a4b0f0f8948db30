/**
 * Admin commands right after the nodes of a cluster start (as `kb cluster
 * up` starts them: all at once, nobody waiting): while the cluster has no
 * controller yet, `kb topic create` waits for one within its --timeout and
 * then creates the topic; when none comes in time it says the cluster is
 * still forming (not "broker -1 is not in the cluster metadata"), as do the
 * other admin commands that go to the controller.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { freePorts } from '../helpers/cluster.ts';
import { runKb } from '../helpers/cli.ts';

/** Resolves once something accepts connections on 127.0.0.1:`port`. */
async function listening(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    assert.ok(Date.now() < deadline, `nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('kb topic create right after the nodes start waits for the controller, or says the cluster is still forming', { timeout: 180_000 }, async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'kb-test-forming-'));
  const [ports, peerPorts] = await freePorts(6).then((all) => [all.slice(0, 3), all.slice(3)]);
  const voters = peerPorts.map((port, i) => `${i + 1}@127.0.0.1:${port}`).join(',');
  const bootstrap = ports.map((port) => `127.0.0.1:${port}`).join(',');
  const starting = new Map<number, Promise<RunningBroker>>();
  const start = (id: number) => {
    const broker = startBroker({
      dataDir: path.join(root, `node-${id}`),
      listen: `127.0.0.1:${ports[id - 1]}`,
      args: ['--node-id', String(id), '--voters', voters],
      startTimeoutMs: 120_000,
    });
    starting.set(id, broker);
  };
  t.after(async () => {
    // Every node, so that node 1 finishes starting (it cannot alone) and stops at once when the test failed early.
    for (const id of [1, 2, 3]) if (!starting.has(id)) start(id);
    const started = await Promise.allSettled(starting.values());
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    await rm(root, { recursive: true, force: true });
  });

  // Node 1 alone: its listener is open (peers reach the quorum through it), but no quorum, so no controller.
  start(1);
  await listening(ports[0]);
  // The admin commands that go to the controller share the wait (src/client/cluster.ts).
  for (const command of [
    ['topic', 'create', 'early', '--partitions', '1'],
    ['topic', 'add-partitions', 'early', '--to', '2'],
    ['partitions', 'elect-leaders'],
  ]) {
    const early = await runKb([...command, '-b', bootstrap, '--timeout', '2000']);
    assert.equal(early.code, 1, `kb ${command.join(' ')}: exit code; stderr: ${early.stderr}`);
    assert.match(early.stderr, /the cluster is still forming \(no controller yet\)/, `kb ${command.join(' ')}`);
  }

  // Asked while only node 1 runs, the command waits and creates the topic once the others are up.
  // The others start once the command has had time to ask (or, before this fix, to fail).
  const creating = runKb(['topic', 'create', 'orders', '--partitions', '3', '-b', bootstrap, '--timeout', '90000'], { timeoutMs: 120_000 });
  await Promise.race([creating, new Promise((resolve) => setTimeout(resolve, 3_000))]);
  start(2);
  start(3);
  const created = await creating;
  assert.equal(created.code, 0, `exit code; stderr: ${created.stderr}`);
  assert.match(created.stdout, /created topic orders with 3 partition\(s\)/);
  await Promise.all(starting.values());
});
