/**
 * A hand-driven cluster for focused tests: NodeHosts on a FIFO message
 * queue that the test delivers, drops or holds back, with a clock it
 * advances and nodes it isolates, crashes and restarts. Every node is
 * checked with QuorumInvariants after each event, as in the simulation.
 */
import assert from 'node:assert/strict';
import type { RaftConfig } from '../../../src/controller/raft/constants.ts';
import type { RaftMessage, VoteRequest, VoteResponse } from '../../../src/controller/raft/messages.ts';
import type { ProposeResult, RaftNode } from '../../../src/controller/raft/node.ts';
import { QuorumInvariants } from './invariants.ts';
import { NodeHost, payload, payloadText } from './node-host.ts';
import { Prng } from './prng.ts';

export interface Envelope {
  readonly from: number;
  readonly to: number;
  readonly message: RaftMessage;
}

/** Short timings so tests run few steps; elections wait [100, 200) ms. */
export const testConfig: Partial<RaftConfig> = {
  electionTimeoutMs: 100,
  fetchTimeoutMs: 200,
  checkQuorumTimeoutMs: 300,
  fetchMaxWaitMs: 50,
  requestTimeoutMs: 100,
  retryBackoffMs: 10,
  snapshotChunkBytes: 64,
};

/** A voter's grant of `vote` (of a pre-vote: answered from the epoch before the one it is for, which the voter does not move to). */
export function grantOf(vote: VoteRequest): VoteResponse {
  const leaderEpoch = vote.preVote ? vote.candidateEpoch - 1 : vote.candidateEpoch;
  return { type: 'VoteResponse', correlationId: vote.correlationId, errorCode: 0, leaderId: -1, leaderEpoch, voteGranted: true };
}

export interface ClusterOptions {
  readonly voters: readonly number[];
  readonly observers?: readonly number[];
  readonly config?: Partial<RaftConfig>;
  readonly seed?: number;
}

const deliveriesMax = 100_000;

export class ManualCluster {
  nowMs = 0;
  queue: Envelope[] = [];
  /** Every message sent, in order. */
  readonly history: Envelope[] = [];
  readonly invariants: QuorumInvariants;
  private readonly hosts = new Map<number, NodeHost>();
  private readonly isolated = new Set<number>();
  private correlationId = 0;

  private constructor(options: ClusterOptions) {
    const observers = options.observers ?? [];
    this.invariants = new QuorumInvariants(new Set(observers));
    const random = new Prng(options.seed ?? 1);
    for (const nodeId of [...options.voters, ...observers]) {
      this.hosts.set(
        nodeId,
        new NodeHost({
          nodeId,
          voters: options.voters,
          config: { ...testConfig, ...options.config },
          random: random.fork(),
          nextCorrelationId: () => ++this.correlationId,
          hooks: {
            send: (from, to, message) => {
              this.queue.push({ from, to, message });
              this.history.push({ from, to, message });
            },
            output: (host, output) => this.invariants.checkOutput(host, output),
            applied: (host) => this.invariants.checkApplied(host),
          },
        }),
      );
    }
  }

  static async start(options: ClusterOptions): Promise<ManualCluster> {
    const cluster = new ManualCluster(options);
    for (const host of cluster.hosts.values()) assert.ok(await host.start(0));
    return cluster;
  }

  host(id: number): NodeHost {
    const host = this.hosts.get(id);
    assert.ok(host, `no node ${id}`);
    return host;
  }

  node(id: number): RaftNode {
    return this.host(id).node;
  }

  /** The live leader of the highest epoch, or null. */
  leader(): number | null {
    const leaders = [...this.hosts.values()].filter((h) => h.alive && h.node.roleName === 'leader').sort((a, b) => b.node.epoch - a.node.epoch);
    return leaders[0]?.id ?? null;
  }

  /** Messages from or to an isolated node are dropped when delivered. */
  isolate(...ids: number[]): void {
    for (const id of ids) this.isolated.add(id);
  }

  reconnect(...ids: number[]): void {
    for (const id of ids) this.isolated.delete(id);
  }

  /** Removes queued messages that match; returns them. */
  drop(filter: (envelope: Envelope) => boolean): Envelope[] {
    const dropped = this.queue.filter(filter);
    this.queue = this.queue.filter((envelope) => !filter(envelope));
    return dropped;
  }

  /** Delivers queued messages that match, in order, and the ones they cause, until none that matches is left. */
  async deliver(filter: (envelope: Envelope) => boolean = () => true): Promise<void> {
    for (let delivered = 0; ; delivered++) {
      assert.ok(delivered < deliveriesMax, 'message storm');
      const index = this.queue.findIndex(filter);
      if (index < 0) return;
      const [{ from, to, message }] = this.queue.splice(index, 1);
      const host = this.host(to);
      if (this.isolated.has(from) || this.isolated.has(to) || !host.alive) continue;
      await this.run(host, (node) => node.receive(this.nowMs, from, message));
    }
  }

  /** Advances the clock by `ms` and ticks the given live nodes (default: all). */
  async advance(ms: number, ids: readonly number[] = [...this.hosts.keys()]): Promise<void> {
    this.nowMs += ms;
    for (const id of ids) {
      const host = this.host(id);
      if (host.alive) await this.run(host, (node) => node.tick(this.nowMs));
    }
  }

  /** Steps the clock, ticking every node and delivering every message, until `done()`; fails after `maxMs`. */
  async settle(done: () => boolean, maxMs = 5_000, stepMs = 5): Promise<void> {
    for (let waited = 0; !done(); waited += stepMs) {
      assert.ok(waited <= maxMs, `not settled within ${maxMs} ms`);
      await this.deliver();
      if (done()) return;
      await this.advance(stepMs);
    }
  }

  /** Lets only `id` time out and delivers its pre-votes, so it stands as candidate (unless its log is behind) with its Votes queued. */
  async stand(id: number): Promise<void> {
    await this.advance(2 * (testConfig.electionTimeoutMs ?? 0), [id]);
    await this.deliver((e) => (e.message.type === 'Vote' && e.message.preVote === true) || (e.message.type === 'VoteResponse' && e.to === id));
  }

  /** Lets only `id` time out, so it stands, and delivers everything: it leads unless its log is behind. */
  async elect(id: number): Promise<void> {
    await this.advance(2 * (testConfig.electionTimeoutMs ?? 0), [id]);
    await this.deliver();
  }

  async propose(id: number, ...texts: string[]): Promise<ProposeResult> {
    let result: ProposeResult | null = null;
    await this.run(this.host(id), (node) => {
      result = node.propose(this.nowMs, texts.map(payload));
    });
    assert.ok(result);
    return result;
  }

  crash(id: number): void {
    this.host(id).crash();
  }

  async restart(id: number): Promise<void> {
    const host = this.host(id);
    assert.ok(await host.start(this.nowMs));
    this.invariants.checkNode(host);
  }

  /** Runs an input on a node and checks it. */
  async run(host: NodeHost, input: (node: RaftNode) => void): Promise<void> {
    assert.ok(await host.run(this.nowMs, input), `node ${host.id} crashed`);
    this.invariants.checkNode(host);
  }

  /** Payloads of the data entries a node holds, in order. */
  dataIn(id: number): string[] {
    const node = this.node(id);
    const texts: string[] = [];
    for (let offset = node.logStartOffset; offset < node.logEndOffset; offset++) {
      const entry = node.entryAt(offset)!;
      if (entry.kind === 'data') texts.push(payloadText(entry));
    }
    return texts;
  }
}
