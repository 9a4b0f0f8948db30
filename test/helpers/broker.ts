/**
 * Starts a real `kb broker start` child process for a test: loopback only, a
 * free port chosen by the OS (`--listen 127.0.0.1:0`, the client
 * listener, read back from the startup line with every other listener)
 * unless `listen` names one, a fresh temporary data dir unless one is given. `stop()`
 * sends SIGTERM and waits; `kill()` sends SIGKILL. Every broker gets the
 * same cluster secret (`testClusterSecret`, through KB_CLUSTER_SECRET) unless
 * `env` says otherwise, so tests that build `--voters` themselves form
 * authenticated clusters. Register `stop` with
 * `t.after` / `after` so the broker is stopped even when the test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './tools.ts';
import { clusterSecretEnv } from '../../src/broker/cluster-secret.ts';

export interface RunningBroker {
  /** The client listener (the first listener of the startup line). */
  host: string;
  port: number;
  /** host:port, for -b / bootstrap servers. */
  address: string;
  /** host:port of the PEER listener, null without one. */
  peerAddress: string | null;
  /** host:port of each listener, by name, from the startup line. */
  listeners: Map<string, string>;
  dataDir: string;
  process: ChildProcess;
  /** Everything the broker wrote to stderr so far. */
  log(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface BrokerOptions {
  dataDir?: string;
  /** HOST:PORT of the client listener (default 127.0.0.1:0, a free port); null: no --listen (the test gives `listeners`). */
  listen?: string | null;
  /** Extra `--set key=value` settings. */
  sets?: Record<string, string | number | boolean>;
  args?: string[];
  /** Extra environment variables (e.g. an LD_PRELOAD of libfaketime). */
  env?: Record<string, string>;
  /** The broker process's group id (root only): iptables' owner match can then tell its connections apart on loopback. */
  gid?: number;
  /** Runs the broker under `ulimit -n` of this many open files (soft and hard). */
  openFileLimit?: number;
  startTimeoutMs?: number;
}

/** The startup line lists client listeners first: `listening on CLIENT://127.0.0.1:9092, PEER://127.0.0.1:9093, node 1, ...`. */
const startedLine = /listening on (?:[A-Z0-9_-]+:\/\/)?([\d.]+):(\d+)/;
const namedListener = /([A-Z0-9_-]+):\/\/([\d.]+:\d+)/g;

/** The cluster secret test brokers share (KB_CLUSTER_SECRET) unless a test gives another. */
export const testClusterSecret = 'test-cluster-secret-0123456789abcdef';

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'kb-test-broker-')));
  const listen = options.listen === null ? [] : ['--listen', options.listen ?? '127.0.0.1:0'];
  const args = [path.join(repoRoot, 'bin/run.js'), 'broker', 'start', ...listen, '--data-dir', dataDir];
  for (const [key, value] of Object.entries(options.sets ?? {})) args.push('--set', `${key}=${value}`);
  args.push(...(options.args ?? []));
  const [command, commandArgs] =
    options.openFileLimit === undefined ? [process.execPath, args] : ['/bin/sh', ['-c', `ulimit -n ${options.openFileLimit} && exec "$0" "$@"`, process.execPath, ...args]];
  const child = spawn(command, commandArgs, {
    cwd: repoRoot,
    env: { ...process.env, [clusterSecretEnv]: testClusterSecret, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    gid: options.gid,
  });
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const [host, port] = await new Promise<[string, number]>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not start within ${options.startTimeoutMs ?? 20000} ms:\n${stderr}`));
    }, options.startTimeoutMs ?? 20_000);
    const onData = () => {
      const match = startedLine.exec(stderr);
      if (!match || !stderr.includes('\n', match.index)) return; // the whole line: it names every listener
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      resolve([match[1], Number(match[2])]);
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code ?? signal}) before listening:\n${stderr}`));
    });
  });

  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  const started = stderr.slice(stderr.search(startedLine)).split('\n')[0];
  const listeners = new Map([...started.matchAll(namedListener)].map(([, name, address]) => [name, address]));
  return {
    host,
    port,
    address: `${host}:${port}`,
    peerAddress: listeners.get('PEER') ?? null,
    listeners,
    dataDir,
    process: child,
    log: () => stderr,
    stop: async () => {
      await stopWith('SIGTERM');
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
    },
    kill: () => stopWith('SIGKILL'),
  };
}
