/**
 * A confluent-kafka group consumer in its own process
 * (test/interop/scripts/confluent_group_member.py) that a test starts,
 * watches and stops: it reports its assignment after every rebalance step
 * and the records whose offsets it committed. `stop()` sends SIGTERM (the
 * consumer closes and leaves the group), `kill()` SIGKILL (no LeaveGroup).
 * Register `kill` with `t.after` so no member outlives its test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { scriptsDir } from './python.ts';
import { debianPython } from './tools.ts';

export interface MemberOptions {
  bootstrap: string;
  group: string;
  topic: string;
  name: string;
  sessionTimeoutMs: number;
  strategy: string;
  /** group.instance.id: a static member. */
  instanceId?: string;
}

/** [partition, offset, value] of a record whose offset the member committed. */
export type CommittedRecord = [number, number, string];

interface MemberEvent {
  event: 'assignment' | 'revoked' | 'committed' | 'commit_failed' | 'closed';
  partitions?: number[];
  records?: CommittedRecord[];
  error?: string;
}

const pollMs = 50;

/** Resolves once `condition()` holds; fails after `timeoutMs` with `what` and `detail()`. */
export async function until(condition: () => boolean, timeoutMs: number, what: string, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export class GroupMember {
  readonly name: string;
  readonly events: MemberEvent[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private stderr = '';

  constructor(options: MemberOptions) {
    this.name = options.name;
    this.child = spawn(debianPython, [path.join(scriptsDir, 'confluent_group_member.py'), JSON.stringify(options)], {
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line.trim() !== '') this.events.push(JSON.parse(line) as MemberEvent);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** The partitions assigned now (after the last reported rebalance step). */
  assignment(): number[] {
    return this.events.findLast((e) => e.event === 'assignment')?.partitions ?? [];
  }

  /** Partitions revoked since event index `from`. */
  revokedSince(from: number): number[] {
    return this.events.slice(from).flatMap((e) => (e.event === 'revoked' ? e.partitions! : []));
  }

  committed(): CommittedRecord[] {
    return this.events.flatMap((e) => (e.event === 'committed' ? e.records! : []));
  }

  describe(): string {
    return `--- ${this.name}: ${this.events.length} events, assignment [${this.assignment()}], ${this.committed().length} committed; stderr tail ---\n${this.stderr.slice(-2000)}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
