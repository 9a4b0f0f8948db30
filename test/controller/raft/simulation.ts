/**
 * A deterministic, seeded simulation of the metadata quorum: 1, 3 or 5
 * voters (and maybe an observer) as in-process RaftNodes on NodeHosts, a
 * simulated clock, and a network that delays, reorders, drops and
 * duplicates messages and partitions nodes. Nodes crash (at rest, or part
 * way through persisting an output, tearing appends) and restart from
 * their disks; a client proposes entries at random times.
 *
 * A run has a fault phase and then a heal phase (every node up, no
 * partitions, no loss). Throughout, QuorumInvariants checks safety after
 * every event and sweeps all nodes periodically, and no node may refuse a
 * peer's message as contradicting it (they all run one voter set). In the heal phase a
 * client proposes a batch of entries, retrying until they commit; within
 * a bounded simulated time a leader must exist, every one of them must be
 * committed, and all nodes must hold the same committed state.
 *
 * Everything random comes from one Prng seeded with the seed, so a seed
 * replays exactly. A failure throws SimulationFailure, which carries the
 * seed and the last events.
 */
import assert from 'node:assert/strict';
import type { RaftConfig } from '../../../src/controller/raft/constants.ts';
import type { RaftMessage } from '../../../src/controller/raft/messages.ts';
import { QuorumInvariants } from './invariants.ts';
import { NodeHost, payload } from './node-host.ts';
import { Prng } from './prng.ts';

const faultPhaseMs = 20_000;
const healProposalsMs = 2_000;
/** From the start of the heal phase until everything proposed in it must be committed everywhere. */
const healBoundMs = 15_000;
const sweepEveryMs = 200;
const eventsMax = 2_000_000;
const ticksPerInstantMax = 50;
const traceLength = 40;

export interface SimulationReport {
  readonly seed: number;
  readonly voters: number;
  readonly observers: number;
  readonly events: number;
  readonly leaderEpochs: number;
  readonly committedEntries: number;
  readonly crashes: number;
  readonly tornCrashes: number;
  readonly truncations: number;
  readonly snapshotsTaken: number;
  readonly snapshotInstalls: number;
  /** Simulated time from the heal until every heal-phase proposal was committed everywhere. */
  readonly healedAfterMs: number;
}

export class SimulationFailure extends Error {
  readonly seed: number;

  constructor(seed: number, nowMs: number, cause: unknown, trace: readonly string[]) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`seed ${seed} failed at ${nowMs} ms: ${reason}\nlast events:\n  ${trace.join('\n  ')}`, { cause });
    this.seed = seed;
  }
}

interface Event {
  readonly at: number;
  readonly order: number;
  readonly label: string;
  readonly run: () => Promise<void> | void;
}

/** Events by time, then by scheduling order. */
class EventQueue {
  private readonly heap: Event[] = [];
  private order = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, label: string, run: Event['run']): void {
    const heap = this.heap;
    heap.push({ at, order: this.order++, label, run });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  pop(): Event {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let least = i;
        if (left < heap.length && before(heap[left], heap[least])) least = left;
        if (right < heap.length && before(heap[right], heap[least])) least = right;
        if (least === i) break;
        [heap[i], heap[least]] = [heap[least], heap[i]];
        i = least;
      }
    }
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

interface NetworkConditions {
  drop: number;
  duplicate: number;
  delayMaxMs: number;
  /** Chance that a message takes a long detour (reordering it behind later ones). */
  detour: number;
}

const calm: NetworkConditions = { drop: 0, duplicate: 0, delayMaxMs: 5, detour: 0 };

interface HealProposal {
  readonly text: string;
  attempt: { readonly nodeId: number; readonly epoch: number; readonly atMs: number } | null;
}

export class Simulation {
  readonly seed: number;
  private readonly rng: Prng;
  private readonly queue = new EventQueue();
  private readonly hosts: NodeHost[] = [];
  private readonly voterIds: number[];
  private readonly invariants: QuorumInvariants;
  private readonly trace: string[] = [];
  private readonly tickAt = new Map<number, number>();
  private readonly restartPending = new Set<number>();
  private nowMs = 0;
  private events = 0;
  private ticksThisInstant = new Map<number, number>();
  private network: NetworkConditions = calm;
  /** Node id -> side of the current partition; null when there is none. */
  private partition: Map<number, number> | null = null;
  private correlationId = 0;
  private crashAfterSending: { readonly nodeId: number; readonly type: RaftMessage['type'] } | null = null;
  private proposals = 0;
  private readonly healProposals: HealProposal[] = [];
  private healStartMs = Infinity;
  private healedAtMs = -1;
  private readonly counts = { crashes: 0, tornCrashes: 0, truncations: 0, snapshotsTaken: 0, snapshotInstalls: 0 };

  constructor(seed: number) {
    this.seed = seed;
    this.rng = new Prng(seed);
    const voters = this.rng.pick([1, 3, 3, 5, 5]);
    const observers = this.rng.int(2);
    this.voterIds = Array.from({ length: voters }, (_, i) => i + 1);
    const observerIds = Array.from({ length: observers }, (_, i) => 100 + i);
    this.invariants = new QuorumInvariants(new Set(observerIds));
    const config: Partial<RaftConfig> = {
      electionTimeoutMs: 150,
      fetchTimeoutMs: 300,
      checkQuorumTimeoutMs: 450,
      fetchMaxWaitMs: 60,
      requestTimeoutMs: 120,
      retryBackoffMs: 20,
      fetchMaxBytes: this.rng.between(200, 2000),
      snapshotChunkBytes: this.rng.between(16, 160),
      snapshotIntervalEntries: this.rng.between(8, 60),
    };
    for (const nodeId of [...this.voterIds, ...observerIds]) {
      this.hosts.push(
        new NodeHost({
          nodeId,
          voters: this.voterIds,
          config,
          random: this.rng.fork(),
          nextCorrelationId: () => ++this.correlationId,
          hooks: {
            send: (from, to, message) => this.send(from, to, message),
            // Nodes that run the same voter set never contradict each other, however the network treats their messages.
            refused: (host, from, reason) => assert.fail(`node ${host.id} refused a message from node ${from}: ${reason}`),
            output: (host, output) => {
              this.invariants.checkOutput(host, output);
              for (const write of output.logWrites) {
                if (write.op === 'truncate') this.counts.truncations++;
                if (write.op === 'snapshot' && host.alive && host.node.roleName !== 'follower') this.counts.snapshotsTaken++;
              }
            },
            applied: (host, apply) => {
              if (apply.kind === 'snapshot' && host.machine.appliedEnd > 0) this.counts.snapshotInstalls++;
              this.invariants.checkApplied(host);
            },
          },
        }),
      );
    }
  }

  async run(): Promise<SimulationReport> {
    try {
      await this.simulate();
    } catch (err) {
      throw new SimulationFailure(this.seed, this.nowMs, err, this.trace);
    }
    return {
      seed: this.seed,
      voters: this.voterIds.length,
      observers: this.hosts.length - this.voterIds.length,
      events: this.events,
      leaderEpochs: this.invariants.leaderEpochs,
      committedEntries: this.invariants.committedEntries,
      ...this.counts,
      healedAfterMs: this.healedAtMs - this.healStartMs,
    };
  }

  private async simulate(): Promise<void> {
    for (const host of this.hosts) this.at(0, `start ${host.id}`, () => this.start(host));
    this.scheduleFault(0);
    this.scheduleProposal(0);
    this.at(faultPhaseMs, 'heal', () => this.heal());
    this.at(sweepEveryMs, 'sweep', () => this.sweep());
    while (this.healedAtMs < 0) {
      assert.ok(this.queue.size > 0, 'the simulation ran out of events');
      const event = this.queue.pop();
      if (event.at > this.nowMs) this.ticksThisInstant.clear();
      this.nowMs = event.at;
      this.events++;
      assert.ok(this.events <= eventsMax, 'too many events');
      this.trace.push(`${event.at} ${event.label}`);
      if (this.trace.length > traceLength) this.trace.shift();
      await event.run();
    }
  }

  private at(timeMs: number, label: string, run: Event['run']): void {
    this.queue.push(Math.max(timeMs, this.nowMs), label, run);
  }

  private get healing(): boolean {
    return this.nowMs >= this.healStartMs;
  }

  // ---- nodes -----------------------------------------------------------------

  private async start(host: NodeHost): Promise<void> {
    this.restartPending.delete(host.id);
    this.tickAt.delete(host.id);
    this.after(host, await host.start(this.nowMs));
  }

  private async input(host: NodeHost, input: Parameters<NodeHost['run']>[1]): Promise<void> {
    if (!host.alive) return;
    this.after(host, await host.run(this.nowMs, input));
  }

  /** Checks a node after an event and schedules its next tick, or its restart if it crashed. */
  private after(host: NodeHost, survived: boolean): void {
    if (!survived) {
      this.counts.tornCrashes++;
      this.counts.crashes++;
      this.scheduleRestart(host);
      return;
    }
    this.invariants.checkNode(host);
    const deadline = Math.max(host.node.nextDeadlineMs(), this.nowMs);
    if (deadline === Infinity || deadline >= (this.tickAt.get(host.id) ?? Infinity)) return;
    this.tickAt.set(host.id, deadline);
    const incarnation = host.incarnation;
    this.at(deadline, `tick ${host.id}`, async () => {
      if (this.tickAt.get(host.id) !== deadline || host.incarnation !== incarnation || !host.alive) return;
      this.tickAt.delete(host.id);
      const ticks = (this.ticksThisInstant.get(host.id) ?? 0) + 1;
      this.ticksThisInstant.set(host.id, ticks);
      assert.ok(ticks <= ticksPerInstantMax, `node ${host.id} keeps asking for ticks at ${this.nowMs} ms`);
      await this.input(host, (node) => node.tick(this.nowMs));
    });
  }

  private crash(host: NodeHost, downMs = this.rng.between(50, 2_000)): void {
    host.crash();
    this.counts.crashes++;
    this.scheduleRestart(host, downMs);
  }

  private scheduleRestart(host: NodeHost, downMs = this.rng.between(50, 2_000)): void {
    this.tickAt.delete(host.id);
    if (this.healing || this.restartPending.has(host.id)) return;
    this.restartPending.add(host.id);
    this.at(this.nowMs + downMs, `restart ${host.id}`, () => (host.alive ? undefined : this.start(host)));
  }

  // ---- network ---------------------------------------------------------------

  private host(id: number): NodeHost {
    const host = this.hosts.find((h) => h.id === id);
    assert.ok(host, `no node ${id}`);
    return host;
  }

  private cut(from: number, to: number): boolean {
    return this.partition !== null && this.partition.get(from) !== this.partition.get(to);
  }

  private send(from: number, to: number, message: RaftMessage): void {
    assert.notEqual(from, to, 'nodes do not message themselves');
    const observer = from >= 100;
    if (message.type === 'VoteResponse' && observer) assert.equal(message.voteGranted, false, `observer ${from} granted a vote`);
    const armed = this.crashAfterSending;
    if (armed && armed.nodeId === from && armed.type === message.type) {
      this.crashAfterSending = null;
      const host = this.host(from);
      const incarnation = host.incarnation;
      this.at(this.nowMs, `crash ${from} after ${message.type}`, () => {
        if (host.alive && host.incarnation === incarnation) this.crash(host, this.rng.between(1, 30));
      });
    }
    const conditions = this.network;
    if (this.cut(from, to) || this.rng.chance(conditions.drop)) return;
    const copies = this.rng.chance(conditions.duplicate) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const detour = this.rng.chance(conditions.detour) ? this.rng.between(0, 300) : 0;
      const delay = this.rng.between(1, conditions.delayMaxMs) + detour;
      this.at(this.nowMs + delay, `${message.type} ${from}->${to}`, () => this.deliver(from, to, message));
    }
  }

  private async deliver(from: number, to: number, message: RaftMessage): Promise<void> {
    const host = this.host(to);
    if (this.cut(from, to)) return;
    await this.input(host, (node) => node.receive(this.nowMs, from, message));
  }

  // ---- faults ----------------------------------------------------------------

  private scheduleFault(afterMs: number): void {
    const at = afterMs + this.rng.between(100, 1_200);
    if (at >= faultPhaseMs) return;
    this.at(at, 'fault', () => {
      this.injectFault();
      this.scheduleFault(this.nowMs);
    });
  }

  private injectFault(): void {
    const live = this.hosts.filter((host) => host.alive);
    const roll = this.rng.int(100);
    if (roll < 25 && live.length > 0) {
      this.crash(this.rng.pick(live));
    } else if (roll < 35 && live.length > 0) {
      // Crash and come straight back, possibly within the same election.
      this.crash(this.rng.pick(live), this.rng.between(1, 30));
    } else if (roll < 40 && live.length > 0) {
      // Crash right after sending a message of some type (a granted vote, an answer to a fetch ...) and come back soon.
      const types: RaftMessage['type'][] = ['VoteResponse', 'Vote', 'BeginQuorumEpoch', 'BeginQuorumEpochResponse', 'Fetch', 'FetchResponse', 'FetchSnapshotResponse'];
      this.crashAfterSending = { nodeId: this.rng.pick(live).id, type: this.rng.pick(types) };
    } else if (roll < 52 && live.length > 0) {
      // Crash part way through persisting the next output (before, between or during its writes).
      this.rng.pick(live).disk.crashAfterWrites(this.rng.int(4));
    } else if (roll < 68) {
      const sides = new Map<number, number>();
      for (const host of this.hosts) sides.set(host.id, this.rng.int(2));
      this.partition = sides;
    } else if (roll < 82) {
      this.partition = null;
    } else {
      this.network = {
        drop: this.rng.pick([0, 0.02, 0.1, 0.3]),
        duplicate: this.rng.pick([0, 0.05, 0.2]),
        delayMaxMs: this.rng.pick([2, 10, 40, 120]),
        detour: this.rng.pick([0, 0.02, 0.1]),
      };
    }
  }

  private async heal(): Promise<void> {
    this.healStartMs = this.nowMs;
    this.partition = null;
    this.network = calm;
    this.crashAfterSending = null;
    for (const host of this.hosts) host.disk.disarm();
    for (const host of this.hosts) if (!host.alive) await this.start(host);
    for (let i = 0; i < 20; i++) {
      const text = `s${this.seed}-heal${i}`;
      this.at(this.nowMs + Math.floor((i * healProposalsMs) / 20), `heal proposal ${i}`, () => {
        this.healProposals.push({ text, attempt: null });
      });
    }
    this.at(this.nowMs + 1, 'client', () => this.healClient());
    this.at(this.nowMs + healBoundMs, 'liveness deadline', () => {
      const missing = this.healProposals.filter((p) => !this.invariants.committedPayloads.has(p.text)).map((p) => p.text);
      assert.fail(`not live ${healBoundMs} ms after the heal: uncommitted ${missing.join(', ') || '-'}; ${this.describeNodes()}`);
    });
  }

  private describeNodes(): string {
    return this.hosts.map((h) => (h.alive ? `${h.id}:${h.node.roleName}@${h.node.epoch} hw=${h.node.highWatermark} end=${h.node.logEndOffset}` : `${h.id}:down`)).join(' ');
  }

  // ---- clients ---------------------------------------------------------------

  private leaders(): NodeHost[] {
    return this.hosts.filter((host) => host.alive && host.node.roleName === 'leader');
  }

  private scheduleProposal(afterMs: number): void {
    const at = afterMs + this.rng.between(5, 80);
    if (at >= faultPhaseMs) return;
    this.at(at, 'proposal', async () => {
      const leaders = this.leaders();
      const live = this.hosts.filter((host) => host.alive);
      const target = leaders.length > 0 && this.rng.chance(0.8) ? this.rng.pick(leaders) : live.length > 0 ? this.rng.pick(live) : null;
      if (target) {
        const payloads = Array.from({ length: this.rng.between(1, 3) }, () => payload(`s${this.seed}-p${this.proposals++}`));
        await this.input(target, (node) => void node.propose(this.nowMs, payloads));
      }
      this.scheduleProposal(this.nowMs);
    });
  }

  /** Proposes every heal-phase entry until it is committed; done when all are, everywhere. */
  private async healClient(): Promise<void> {
    const committed = this.invariants.committedPayloads;
    const leader = this.leaders().sort((a, b) => b.node.epoch - a.node.epoch)[0];
    for (const proposal of this.healProposals) {
      if (committed.has(proposal.text) || !leader) continue;
      const attempt = proposal.attempt;
      const pending = attempt && attempt.nodeId === leader.id && attempt.epoch === leader.node.epoch && this.nowMs - attempt.atMs < 1_000;
      if (pending) continue;
      let accepted = false;
      await this.input(leader, (node) => {
        accepted = node.propose(this.nowMs, [payload(proposal.text)]).accepted;
      });
      if (accepted && leader.alive) proposal.attempt = { nodeId: leader.id, epoch: leader.node.epoch, atMs: this.nowMs };
    }
    const allProposed = this.healProposals.length === 20;
    if (allProposed && this.healProposals.every((p) => committed.has(p.text)) && this.converged()) {
      this.invariants.sweep(this.hosts);
      this.healedAtMs = this.nowMs;
      return;
    }
    this.at(this.nowMs + 50, 'client', () => this.healClient());
  }

  /** Every node up and holding the leader's committed state, with nothing left uncommitted. */
  private converged(): boolean {
    const [leader, ...others] = this.leaders();
    if (!leader || others.length > 0) return false;
    const { highWatermark, logEndOffset } = leader.node;
    if (highWatermark !== logEndOffset) return false;
    return this.hosts.every((host) => host.alive && host.node.highWatermark === highWatermark && host.machine.hash === leader.machine.hash);
  }

  private sweep(): void {
    this.invariants.sweep(this.hosts);
    this.at(this.nowMs + sweepEveryMs, 'sweep', () => this.sweep());
  }
}
