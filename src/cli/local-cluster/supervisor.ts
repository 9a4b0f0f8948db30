/**
 * The processes of a local development cluster: starts each planned node as
 * a detached child (its own process group, so it outlives `kb cluster up`
 * and a Ctrl-C there) running its recorded command line, stdout and stderr
 * appended to its broker.log; waits for every node's startup line; finds
 * the process that runs a node now; stops nodes with SIGTERM, then SIGKILL
 * after a timeout.
 *
 * The process running a node is the recorded pid or, failing that, the pid
 * the broker wrote to its data dir's lock file (a node restarted by hand),
 * and either counts only while the process exists and its command line's
 * --data-dir (relative to its working directory) is the node's data dir: a
 * pid reused by an unrelated process (or a zombie left for a parent to
 * reap) is never taken for a node, nor signalled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { open } from 'node:fs/promises';
import type { NodePlan, NodeRecord } from './record.ts';
import { lockFileName, processAlive } from '../../broker/data-dir.ts';

export const startedLine = 'kb broker started';
const pollIntervalMs = 100;
const tailLines = 20;
const killWaitMs = 5_000;
/** How long nodes started with one that then failed get to stop (after SIGTERM) before SIGKILL. */
export const stopAfterFailureMs = 10_000;

export interface StartedNode {
  plan: NodePlan;
  child: ChildProcess;
  pid: number;
  /** Where this run's output begins in the (appended) log. */
  logOffset: number;
}

/** A node that exited or did not print its startup line in time. */
export class NodeStartError extends Error {
  override name = 'NodeStartError';
  readonly nodeId: number;
  constructor(nodeId: number, message: string) {
    super(message);
    this.nodeId = nodeId;
  }
}

/** Spawns every node with its command line and returns at once. */
export function spawnNodes(nodes: readonly NodePlan[]): StartedNode[] {
  return nodes.map((plan) => {
    mkdirSync(path.dirname(plan.log), { recursive: true });
    const fd = openSync(plan.log, 'a');
    try {
      const logOffset = fstatSync(fd).size;
      const [command, ...args] = plan.command;
      const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] });
      child.on('error', () => {}); // a spawn failure shows as an exit without pid, reported by waitForStartup
      child.unref();
      return { plan, child, pid: child.pid ?? 0, logOffset };
    } finally {
      closeSync(fd);
    }
  });
}

/** Resolves when every node logged its startup line; throws NodeStartError for the first that exits or is late. */
export async function waitForStartup(nodes: readonly StartedNode[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(nodes);
  for (;;) {
    for (const node of pending) {
      if ((await readFrom(node.plan.log, node.logOffset)).includes(startedLine)) pending.delete(node);
      else if (node.pid === 0 || node.child.exitCode !== null || node.child.signalCode !== null) {
        const status = node.pid === 0 ? 'could not be started' : `exited (${node.child.exitCode ?? node.child.signalCode})`;
        throw new NodeStartError(node.plan.nodeId, `node ${node.plan.nodeId} ${status} before it started:\n${await logTail(node)}`);
      }
    }
    if (pending.size === 0) return;
    if (Date.now() >= deadline) {
      const late = [...pending][0];
      throw new NodeStartError(late.plan.nodeId, `node ${late.plan.nodeId} did not start within ${timeoutMs} ms:\n${await logTail(late)}`);
    }
    await sleep(pollIntervalMs);
  }
}

/** The last lines this run wrote to the node's log. */
export async function logTail(node: StartedNode): Promise<string> {
  const lines = (await readFrom(node.plan.log, node.logOffset)).trimEnd().split('\n');
  return `--- last lines of ${node.plan.log} ---\n${lines.slice(-tailLines).join('\n')}`;
}

/** The pid of the process running `node` now (see the header), or null. */
export function runningPid(node: Pick<NodeRecord, 'pid' | 'dataDir'>): number | null {
  if (runsNode(node.pid, node.dataDir)) return node.pid;
  const locked = lockOwner(node.dataDir);
  return locked !== node.pid && runsNode(locked, node.dataDir) ? locked : null;
}

/** The pid in the data dir's lock file; 0 when there is none. */
function lockOwner(dataDir: string): number {
  try {
    return Number(readFileSync(path.join(dataDir, lockFileName), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** The process `pid` exists and its command line's --data-dir is `dataDir`. */
function runsNode(pid: number, dataDir: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false; // gone (ESRCH), or another user's process (EPERM): not a node we started
  }
  let args;
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return process.platform !== 'linux'; // no /proc to check against: the pid exists
  }
  const at = args.indexOf('--data-dir');
  const given = at >= 0 ? args[at + 1] : args.find((a) => a.startsWith('--data-dir='))?.slice('--data-dir='.length);
  if (given === undefined) return false;
  let cwd = '/';
  try {
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    // not ours to read: an absolute --data-dir still matches
  }
  return path.resolve(cwd, given) === path.resolve(dataDir);
}

export type StopOutcome = 'stopped' | 'killed' | 'not running' | 'still running';

export interface StoppedNode {
  nodeId: number;
  /** The process that ran the node (the recorded pid when none did). */
  pid: number;
  outcome: StopOutcome;
}

/**
 * SIGTERM to the process running each node, SIGKILL to those still running
 * after `timeoutMs`; resolves with each node's outcome, in `nodes` order
 * ('still running' only if even SIGKILL did not end it within a few seconds).
 */
export async function stopNodes(nodes: readonly NodeRecord[], timeoutMs: number): Promise<StoppedNode[]> {
  const running = nodes.flatMap((n) => {
    const pid = runningPid(n);
    return pid === null ? [] : [{ nodeId: n.nodeId, pid, dataDir: n.dataDir }];
  });
  for (const n of running) signal(n.pid, 'SIGTERM');
  const left = await waitUntilGone(running, timeoutMs);
  for (const n of left) signal(n.pid, 'SIGKILL');
  const survivors = await waitUntilGone(left, killWaitMs);
  return nodes.map((node) => {
    const n = running.find((r) => r.nodeId === node.nodeId);
    if (!n) return { nodeId: node.nodeId, pid: node.pid, outcome: 'not running' };
    const outcome = survivors.includes(n) ? 'still running' : left.includes(n) ? 'killed' : 'stopped';
    return { nodeId: n.nodeId, pid: n.pid, outcome };
  });
}

/**
 * Waits until each node's process no longer exists. Its identity was checked
 * before it was signalled; a process that is exiting can already show an
 * empty command line, so only its disappearance counts as gone.
 */
async function waitUntilGone<T extends { pid: number }>(nodes: readonly T[], timeoutMs: number): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  let left = nodes.filter((n) => processAlive(n.pid));
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(pollIntervalMs);
    left = left.filter((n) => processAlive(n.pid));
  }
  return left;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // it ended in the meantime
  }
}

async function readFrom(file: string, offset: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
