/**
 * LinkedIn's Burrow (Debian `burrow`) for an interop test, with the
 * ZooKeeper it needs for its own coordination (Debian `zookeeper`, run
 * standalone from its jar). `startBurrow` starts both on free loopback
 * ports with temporary dirs, Burrow watching one Kafka cluster (named
 * `kb`) whose `__consumer_offsets` it reads directly; `stop()` kills both
 * and removes the dirs: register it with `t.after` so it runs even when the
 * test fails. Each start waits with a deadline and fails with the
 * process's output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './cluster.ts';

export const burrowBinary = '/usr/bin/Burrow';
export const zookeeperJar = '/usr/share/java/zookeeper.jar';
/** The cluster name Burrow's API uses in its paths. */
export const burrowCluster = 'kb';

const startTimeoutMs = 60_000;

/** One partition of Burrow's `GET /v3/kafka/<cluster>/consumer/<group>/lag`. */
export interface BurrowPartitionLag {
  topic: string;
  partition: number;
  current_lag: number;
  end: { offset: number } | null;
}

export interface RunningBurrow {
  /** The groups Burrow knows (`GET /v3/kafka/kb/consumer`). */
  consumers(): Promise<string[]>;
  /** The group's lag per partition; null while Burrow does not know the group. */
  lag(group: string): Promise<BurrowPartitionLag[] | null>;
  /** Burrow's and ZooKeeper's output so far. */
  log(): string;
  stop(): Promise<void>;
}

interface Child {
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function launch(command: string, args: string[]): Child {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined); // a missing binary shows as an exit
  return {
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resolves once `check` holds; fails with the output when the child exits or the deadline passes. */
async function waitFor(check: () => Promise<boolean>, child: Child, what: string): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  while (!(await check())) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) throw new Error(`${what} exited:\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${startTimeoutMs} ms:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Whether ZooKeeper answers its `srvr` command as a serving standalone server (it accepts connections before it serves). */
function zookeeperServes(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(5_000, () => socket.destroy());
    socket.setEncoding('utf8').on('data', (d: string) => (reply += d));
    socket.once('connect', () => socket.end('srvr'));
    socket.once('close', () => resolve(/^Mode: standalone/m.test(reply)));
    socket.once('error', () => undefined); // close follows
  });
}

async function getJson(url: string): Promise<Record<string, unknown> | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return (await response.json()) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Starts ZooKeeper, then Burrow watching the Kafka cluster at `brokers` (host:port each). */
export async function startBurrow(brokers: string[]): Promise<RunningBurrow> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-test-burrow-'));
  const [zkPort, httpPort] = await freePorts(2);
  const children: Child[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => c.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const zookeeper = launch('java', [
      '-Dzookeeper.admin.enableServer=false',
      '-cp',
      zookeeperJar,
      'org.apache.zookeeper.server.ZooKeeperServerMain',
      String(zkPort),
      path.join(dir, 'zookeeper'),
    ]);
    children.push(zookeeper);
    await waitFor(() => zookeeperServes(zkPort), zookeeper, 'ZooKeeper');

    const servers = JSON.stringify(brokers);
    await writeFile(
      path.join(dir, 'burrow.toml'),
      [
        '[general]',
        `pidfile="${path.join(dir, 'burrow.pid')}"`,
        '[logging]',
        'level="info"',
        '[zookeeper]',
        `servers=["127.0.0.1:${zkPort}"]`,
        'timeout=6',
        'root-path="/burrow"',
        '[client-profile.kb]',
        'client-id="burrow"',
        'kafka-version="2.0.0"',
        `[cluster.${burrowCluster}]`,
        'class-name="kafka"',
        `servers=${servers}`,
        'client-profile="kb"',
        'topic-refresh=2',
        'offset-refresh=2',
        `[consumer.${burrowCluster}]`,
        'class-name="kafka"',
        `cluster="${burrowCluster}"`,
        `servers=${servers}`,
        'client-profile="kb"',
        'start-latest=false',
        '[httpserver.default]',
        `address="127.0.0.1:${httpPort}"`,
        '[storage.default]',
        'class-name="inmemory"',
        'workers=4',
        'intervals=10',
        'expire-group=604800',
        'min-distance=1',
        '',
      ].join('\n'),
    );
    const burrow = launch(burrowBinary, ['--config-dir', dir]);
    children.push(burrow);
    const api = `http://127.0.0.1:${httpPort}/v3/kafka/${burrowCluster}`;
    await waitFor(async () => (await getJson(api)) !== null, burrow, 'Burrow');
    return {
      consumers: async () => ((await getJson(`${api}/consumer`))?.consumers as string[] | undefined) ?? [],
      lag: async (group) => {
        const body = await getJson(`${api}/consumer/${encodeURIComponent(group)}/lag`);
        if (body === null || body.error !== false) return null;
        return ((body.status as { partitions?: BurrowPartitionLag[] }).partitions ?? []).filter((p) => p !== null);
      },
      log: () => `--- Burrow ---\n${burrow.output()}\n--- ZooKeeper ---\n${zookeeper.output()}`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
