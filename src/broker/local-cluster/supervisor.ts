/**
 * The processes of a local development cluster: starts each planned node as
 * a detached child (its own process group, so it outlives `kb cluster up`
 * and a Ctrl-C there), stdout and stderr appended to its broker.log; waits
 * for every node's startup line; tells whether a recorded node still runs;
 * stops nodes with SIGTERM, then SIGKILL after a timeout.
 *
 * A recorded pid counts as running only while the process exists and its
 * command line names the node's data dir, so a pid reused by an unrelated
 * process (or a zombie left for a parent to reap) is not taken for a node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { open } from 'node:fs/promises';
import type { NodePlan, NodeRecord } from './record.ts';

export const startedLine = 'kb broker started';
const pollIntervalMs = 100;
const tailLines = 20;
const killWaitMs = 5_000;

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

/** Spawns every node of the plan with `kb` (the command line running kb with some arguments) and returns at once. */
export function spawnNodes(nodes: readonly NodePlan[], kb: (args: readonly string[]) => { command: string; args: string[] }): StartedNode[] {
  return nodes.map((plan) => {
    mkdirSync(path.dirname(plan.log), { recursive: true });
    const fd = openSync(plan.log, 'a');
    try {
      const logOffset = fstatSync(fd).size;
      const { command, args } = kb(plan.args);
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

export function nodeRunning(node: Pick<NodeRecord, 'pid' | 'dataDir'>): boolean {
  if (!(node.pid > 0)) return false;
  try {
    process.kill(node.pid, 0);
  } catch {
    return false; // gone (ESRCH), or another user's process (EPERM): not a node we started
  }
  let commandLine;
  try {
    commandLine = readFileSync(`/proc/${node.pid}/cmdline`, 'utf8');
  } catch {
    return process.platform !== 'linux'; // no /proc to check against: the pid exists
  }
  return commandLine.split('\0').includes(node.dataDir);
}

export type StopOutcome = 'stopped' | 'killed' | 'not running' | 'still running';

/**
 * SIGTERM to every running node, SIGKILL to those still running after
 * `timeoutMs`; resolves with each node's outcome ('still running' only if
 * even SIGKILL did not end it within a few seconds).
 */
export async function stopNodes(nodes: readonly NodeRecord[], timeoutMs: number): Promise<Map<number, StopOutcome>> {
  const outcomes = new Map<number, StopOutcome>();
  const running = nodes.filter((n) => nodeRunning(n));
  for (const n of nodes) if (!running.includes(n)) outcomes.set(n.nodeId, 'not running');
  for (const n of running) signal(n, 'SIGTERM');
  const left = await waitUntilGone(running, timeoutMs);
  for (const n of running) if (!left.includes(n)) outcomes.set(n.nodeId, 'stopped');
  for (const n of left) signal(n, 'SIGKILL');
  const survivors = await waitUntilGone(left, killWaitMs);
  for (const n of left) outcomes.set(n.nodeId, survivors.includes(n) ? 'still running' : 'killed');
  return outcomes;
}

async function waitUntilGone(nodes: readonly NodeRecord[], timeoutMs: number): Promise<NodeRecord[]> {
  const deadline = Date.now() + timeoutMs;
  let left = nodes.filter((n) => nodeRunning(n));
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(pollIntervalMs);
    left = left.filter((n) => nodeRunning(n));
  }
  return left;
}

function signal(node: NodeRecord, name: NodeJS.Signals): void {
  try {
    process.kill(node.pid, name);
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
