/**
 * The fault suite's cluster: one real `kb broker start` process per node,
 * each launched with `ip netns exec` in its own namespace (topology.ts),
 * listening on its namespace address (clients on `port`, peers on
 * `peerPort`, its --voters entry), every node a voter, its data dir
 * `<dir>/node-N/data` and its log appended to `<dir>/node-N.log` (kept
 * across restarts), all with the cluster secret generated into
 * `<dir>/cluster.secret` (--cluster-secret-file). With `faketime`, each node runs under libfaketime with
 * the monotonic clock untouched and its wall clock offset read from
 * `<dir>/node-N.faketime` on every call (FAKETIME_NO_CACHE), which
 * `setClock` rewrites ("+0", "-30s", "+120s"). `start`/`kill` (SIGKILL)/
 * `terminate` (SIGTERM, then SIGKILL after a deadline)/`pause`/`resume` act
 * on one node by its process id; an exit none of those caused is a crash,
 * listed by `crashes()`; `stopAll` stops every node and must be
 * called (in `finally`) by whoever started the cluster.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, createWriteStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/tools.ts';
import { addressOf, namespaceOf } from './topology.ts';
import { generateClusterSecret } from '../../src/broker/cluster-secret.ts';

/** Every node's client listener port, and its peer listener's (its --voters entry). */
export const port = 9092;
export const peerPort = 9093;
export const libfaketime = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const startTimeoutMs = 60_000;
const terminateTimeoutMs = 20_000;

export interface ClusterNodes {
  ids: number[];
  bootstrap: string;
  logFile(id: number): string;
  dataDir(id: number): string;
  isRunning(id: number): boolean;
  start(id: number): Promise<void>;
  kill(id: number): Promise<void>;
  terminate(id: number): Promise<void>;
  pause(id: number): void;
  resume(id: number): void;
  /** The nodes that exited without being told to (crashed), with their exit status, in order. */
  crashes(): string[];
  /** Sets node `id`'s wall-clock offset (a libfaketime offset such as "+120s"); needs `faketime`. */
  setClock(id: number, offset: string): void;
  stopAll(): Promise<void>;
}

export interface NodesOptions {
  dir: string;
  ids: number[];
  sets: Record<string, string | number>;
  faketime: boolean;
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  /** Set before a signal that ends it, so its exit is not a crash. */
  stopping: boolean;
}

export async function startNodes(options: NodesOptions): Promise<ClusterNodes> {
  const { dir, ids } = options;
  const voters = ids.map((id) => `${id}@${addressOf(id)}:${peerPort}`).join(',');
  const secretFile = path.join(dir, 'cluster.secret');
  writeFileSync(secretFile, `${generateClusterSecret()}\n`, { mode: 0o600 });
  const running = new Map<number, Running>();
  const crashes: string[] = [];
  const logFile = (id: number) => path.join(dir, `node-${id}.log`);
  const dataDir = (id: number) => path.join(dir, `node-${id}`, 'data');
  const clockFile = (id: number) => path.join(dir, `node-${id}.faketime`);

  const start = async (id: number) => {
    if (running.has(id)) throw new Error(`node ${id} is running already`);
    mkdirSync(dataDir(id), { recursive: true });
    const args = ['netns', 'exec', namespaceOf(id), process.execPath, path.join(repoRoot, 'bin/run.js'), 'broker', 'start'];
    args.push('--listen', `${addressOf(id)}:${port}`, '--data-dir', dataDir(id), '--node-id', String(id), '--voters', voters, '--cluster-secret-file', secretFile);
    for (const [key, value] of Object.entries(options.sets)) args.push('--set', `${key}=${value}`);
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (options.faketime) {
      if (!existsSync(clockFile(id))) writeFileSync(clockFile(id), '+0\n');
      Object.assign(env, {
        LD_PRELOAD: libfaketime,
        FAKETIME_TIMESTAMP_FILE: clockFile(id),
        FAKETIME_NO_CACHE: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      });
    }
    // `ip netns exec` execs the command, so the child's pid is the broker's.
    const child = spawn('ip', args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(logFile(id), { flags: 'a' });
    const exited = new Promise<void>((resolve) => child.once('close', () => (log.end(), resolve())));
    const node: Running = { child, exited, stopping: false };
    running.set(id, node);
    let output: string | null = ''; // until the startup line
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${id} did not start within ${startTimeoutMs} ms; see ${logFile(id)}`)), startTimeoutMs);
      const onData = (chunk: string) => {
        log.write(chunk);
        if (output === null) return;
        output += chunk;
        if (output.includes(`listening on CLIENT://${addressOf(id)}:${port}`)) {
          output = null;
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.setEncoding('utf8').on('data', onData);
      child.stderr!.setEncoding('utf8').on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`node ${id} exited (${code ?? signal}) while starting; see ${logFile(id)}`));
      });
    }).catch(async (err) => {
      node.stopping = true;
      child.kill('SIGKILL');
      await exited;
      running.delete(id);
      throw err;
    });
    child.once('exit', (code, signal) => {
      if (!node.stopping) crashes.push(`node ${id} exited by itself (${code ?? signal}) at ${new Date().toISOString()}; see ${logFile(id)}`);
      if (running.get(id) === node) running.delete(id);
    });
  };

  const signal = (id: number, sig: NodeJS.Signals) => void running.get(id)?.child.kill(sig);
  const kill = async (id: number) => {
    const node = running.get(id);
    if (!node) return;
    node.stopping = true;
    node.child.kill('SIGKILL');
    await node.exited;
    running.delete(id);
  };
  const terminate = async (id: number) => {
    const node = running.get(id);
    if (!node) return;
    node.stopping = true;
    node.child.kill('SIGCONT');
    node.child.kill('SIGTERM');
    const timer = setTimeout(() => node.child.kill('SIGKILL'), terminateTimeoutMs);
    await node.exited;
    clearTimeout(timer);
    running.delete(id);
  };

  const nodes: ClusterNodes = {
    ids,
    bootstrap: ids.map((id) => `${addressOf(id)}:${port}`).join(','),
    logFile,
    dataDir,
    isRunning: (id) => running.has(id),
    crashes: () => [...crashes],
    start,
    kill,
    terminate,
    pause: (id) => signal(id, 'SIGSTOP'),
    resume: (id) => signal(id, 'SIGCONT'),
    setClock: (id, offset) => {
      if (!options.faketime) throw new Error('setClock needs a cluster started with faketime');
      writeFileSync(clockFile(id), `${offset}\n`);
    },
    stopAll: async () => {
      await Promise.all([...running.keys()].map(terminate));
    },
  };
  const started = await Promise.allSettled(ids.map(start));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await nodes.stopAll();
    throw failed.reason;
  }
  return nodes;
}
