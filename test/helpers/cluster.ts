/**
 * A real cluster of `kb broker start` processes for a test: every node a
 * voter of the metadata quorum, on loopback ports that were free when the
 * cluster was made (taken by binding port 0), two per node: its client
 * listener (`--listen`) and its peer listener (its `--voters` entry;
 * `--peer-listen` for a broker-only node), each with its own temporary
 * data dir, and the test cluster secret in a `cluster.secret` file (as
 * `kb cluster up` writes, passed with --cluster-secret-file; the same secret
 * as startBroker's, so a test may start a node of the cluster by hand).
 * Nodes start together (none can finish starting before a
 * majority is up). `addBroker()` starts one more node outside the voter
 * list (a broker-only node, as Kafka's brokers beside a controller
 * quorum), with the next node id. `kill(id)` (SIGKILL), `stopNode(id)`
 * (SIGTERM, data kept), `restart(id)`, `pause(id)` / `resume(id)` (SIGSTOP /
 * SIGCONT) act on one node; `stop()` stops all and removes the data dirs: register it with
 * `t.after` so it runs even when the test fails.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBroker, testClusterSecret, type RunningBroker } from './broker.ts';
import { freePorts as freePortsOn } from '../../src/cli/local-cluster/ports.ts';

/** Loopback ports free right now (taken by binding port 0). */
export const freePorts = (count: number): Promise<number[]> => freePortsOn('127.0.0.1', count);

/** Settings that make elections, fencing and ISR changes take a few seconds instead of tens. */
export const fastFailover = {
  'controller.quorum.election.timeout.ms': 300,
  'controller.quorum.fetch.timeout.ms': 1000,
  'broker.session.timeout.ms': 3000,
  'broker.heartbeat.interval.ms': 300,
  'replica.lag.time.max.ms': 3000,
};

export interface ClusterOptions {
  nodes: number;
  /** `--set` settings for every node, or node `id`'s (its own certificate files). */
  sets?: Record<string, string | number | boolean> | ((id: number) => Record<string, string | number | boolean>);
  /** Extra `kb broker start` arguments for every node (e.g. `--metrics-listen 127.0.0.1:0`). */
  args?: string[];
  /** The group id of node `id`'s process (root only; startBroker's `gid`). */
  gid?: (id: number) => number;
  /** Extra environment variables of node `id`'s process, each time it starts. */
  env?: (id: number) => Record<string, string>;
}

export interface RunningCluster {
  /** host:port,... of every node's client listener. */
  bootstrap: string;
  /** Every node started so far, voters first. */
  nodeIds: number[];
  node(id: number): RunningBroker;
  /** Starts a broker-only node with the next id; resolves with its id once it has started. */
  addBroker(): Promise<number>;
  /** host:port of node `id`'s client listener. */
  address(id: number): string;
  /** host:port of node `id`'s peer listener (its --voters entry, or --peer-listen for a broker-only node). */
  peerAddress(id: number): string;
  dataDir(id: number): string;
  kill(id: number): Promise<void>;
  stopNode(id: number): Promise<void>;
  restart(id: number): Promise<RunningBroker>;
  pause(id: number): void;
  resume(id: number): void;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'kb-test-cluster-'));
  const free = await freePorts(2 * options.nodes);
  /** Node id - 1 -> its client port, and its peer port. */
  const ports = free.slice(0, options.nodes);
  const peerPorts = free.slice(options.nodes);
  const nodeIds = ports.map((_, i) => i + 1);
  const voterCount = options.nodes;
  const voters = nodeIds.map((id, i) => `${id}@127.0.0.1:${peerPorts[i]}`).join(',');
  const secretFile = path.join(root, 'cluster.secret');
  await writeFile(secretFile, `${testClusterSecret}\n`, { mode: 0o600 });
  const running = new Map<number, RunningBroker>();
  const launch = async (id: number): Promise<RunningBroker> => {
    const peerListen = id > voterCount ? ['--peer-listen', `127.0.0.1:${peerPorts[id - 1]}`] : [];
    const broker = await startBroker({
      dataDir: path.join(root, `node-${id}`),
      listen: `127.0.0.1:${ports[id - 1]}`,
      sets: typeof options.sets === 'function' ? options.sets(id) : options.sets,
      args: ['--node-id', String(id), '--voters', voters, ...peerListen, '--cluster-secret-file', secretFile, ...(options.args ?? [])],
      env: options.env?.(id),
      gid: options.gid?.(id),
      startTimeoutMs: 30_000,
    });
    running.set(id, broker);
    return broker;
  };
  const stopAll = async () => {
    for (const broker of running.values()) broker.process.kill('SIGCONT');
    await Promise.all([...running.values()].map((b) => b.stop()));
    await rm(root, { recursive: true, force: true });
  };
  const started = await Promise.allSettled(nodeIds.map(launch));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  const node = (id: number) => {
    const broker = running.get(id);
    if (!broker) throw new Error(`node ${id} is not running`);
    return broker;
  };
  return {
    bootstrap: nodeIds.map((id) => `127.0.0.1:${ports[id - 1]}`).join(','),
    nodeIds,
    node,
    addBroker: async () => {
      const [port, peerPort] = await freePorts(2);
      ports.push(port);
      peerPorts.push(peerPort);
      const id = ports.length;
      nodeIds.push(id);
      await launch(id);
      return id;
    },
    address: (id) => `127.0.0.1:${ports[id - 1]}`,
    peerAddress: (id) => `127.0.0.1:${peerPorts[id - 1]}`,
    dataDir: (id) => path.join(root, `node-${id}`),
    kill: async (id) => {
      await node(id).kill();
      running.delete(id);
    },
    stopNode: async (id) => {
      await node(id).stop();
      running.delete(id);
    },
    pause: (id) => void node(id).process.kill('SIGSTOP'),
    resume: (id) => void node(id).process.kill('SIGCONT'),
    restart: async (id) => {
      if (running.has(id)) await node(id).stop();
      running.delete(id);
      return launch(id);
    },
    stop: stopAll,
  };
}
