/**
 * Hosts one simulated Raft node the way a real process would: it feeds the
 * node events, and for each output persists it (persistence.ts, to a
 * MemoryDisk), sends its messages, applies committed entries to a hashing
 * state machine, takes snapshots when asked, and reports persistence.
 * A SimCrash while persisting kills the node: everything not on the disk
 * is lost, nothing after the crash point leaves the node. `start` rebuilds
 * the node from its disk.
 *
 * The state machine folds every applied entry into a 32-bit FNV-1a hash,
 * so two nodes that applied the same entries hold the same state; its
 * snapshot is that hash and offset, padded so that snapshot transfers
 * take several chunks.
 */
import assert from 'node:assert/strict';
import type { RaftConfig } from '../../../src/controller/raft/constants.ts';
import type { RaftMessage } from '../../../src/controller/raft/messages.ts';
import { RaftNode } from '../../../src/controller/raft/node.ts';
import type { Apply, RaftOutput } from '../../../src/controller/raft/output.ts';
import { loadPersisted, persistOutput } from '../../../src/controller/raft/persistence.ts';
import type { LogEntry } from '../../../src/controller/raft/raft-log.ts';
import { MemoryDisk, SimCrash } from './memory-disk.ts';
import type { Prng } from './prng.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const snapshotPadding = 'x'.repeat(200);

export function payload(text: string): Uint8Array {
  return encoder.encode(text);
}

export function payloadText(entry: LogEntry): string {
  return decoder.decode(entry.payload);
}

function fnv(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export class HashStateMachine {
  appliedEnd = 0;
  hash = 0x811c9dc5;

  apply(apply: Apply): void {
    if (apply.kind === 'snapshot') {
      const state = JSON.parse(decoder.decode(apply.snapshot.data)) as { appliedEnd: number; hash: number };
      assert.equal(state.appliedEnd, apply.snapshot.id.endOffset, 'a snapshot holds the state at its end offset');
      assert.ok(state.appliedEnd > this.appliedEnd || this.appliedEnd === 0, 'snapshots move the state forward');
      this.appliedEnd = state.appliedEnd;
      this.hash = state.hash;
      return;
    }
    for (const entry of apply.entries) {
      assert.equal(entry.offset, this.appliedEnd, 'committed entries are applied in order, once');
      this.hash = fnv(this.hash, `${entry.offset}/${entry.epoch}/${entry.kind}/${payloadText(entry)}`);
      this.appliedEnd++;
    }
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify({ appliedEnd: this.appliedEnd, hash: this.hash, padding: snapshotPadding }));
  }
}

export interface HostHooks {
  send(from: number, to: number, message: RaftMessage): void;
  /** Called with each output before it is persisted. */
  output?(host: NodeHost, output: RaftOutput): void;
  /** Called after each apply, with the state machine's state after it. */
  applied?(host: NodeHost, apply: Apply): void;
  /** Called when the node refuses a peer's message as contradicting it. */
  refused?(host: NodeHost, from: number, reason: string): void;
}

export interface HostOptions {
  readonly nodeId: number;
  readonly voters: readonly number[];
  readonly config: Partial<RaftConfig>;
  readonly random: Prng;
  readonly nextCorrelationId: () => number;
  readonly hooks: HostHooks;
}

export class NodeHost {
  readonly id: number;
  readonly disk = new MemoryDisk();
  private readonly options: HostOptions;
  private current: { node: RaftNode; machine: HashStateMachine } | null = null;
  incarnation = 0;

  constructor(options: HostOptions) {
    this.id = options.nodeId;
    this.options = options;
  }

  get alive(): boolean {
    return this.current !== null;
  }

  get node(): RaftNode {
    assert.ok(this.current, `node ${this.id} is down`);
    return this.current.node;
  }

  get machine(): HashStateMachine {
    assert.ok(this.current, `node ${this.id} is down`);
    return this.current.machine;
  }

  /** Rebuilds the node from its disk; false if it crashed on the way up. */
  async start(nowMs: number): Promise<boolean> {
    assert.equal(this.current, null, `node ${this.id} is already up`);
    this.incarnation++;
    const persisted = await loadPersisted(this.disk.stores);
    const random = this.options.random.fork();
    const node = new RaftNode(
      {
        nodeId: this.id,
        voters: this.options.voters,
        config: this.options.config,
        random: () => random.next(),
        nextCorrelationId: this.options.nextCorrelationId,
        refused: (from, reason) => this.options.hooks.refused?.(this, from, reason),
      },
      persisted,
      nowMs,
    );
    this.current = { node, machine: new HashStateMachine() };
    return this.run(nowMs, () => {});
  }

  crash(): void {
    this.current = null;
    this.disk.disarm();
  }

  /** Gives the node an input and carries out everything it asks; false if the node crashed meanwhile. */
  async run(nowMs: number, input: (node: RaftNode) => void): Promise<boolean> {
    const current = this.current;
    assert.ok(current, `node ${this.id} is down`);
    input(current.node);
    try {
      for (let output = current.node.takeOutput(); output; output = current.node.takeOutput()) await this.handle(nowMs, current, output);
    } catch (err) {
      if (!(err instanceof SimCrash)) throw err;
      this.crash();
      return false;
    }
    return true;
  }

  private async handle(nowMs: number, current: { node: RaftNode; machine: HashStateMachine }, output: RaftOutput): Promise<void> {
    const hooks = this.options.hooks;
    hooks.output?.(this, output);
    await persistOutput(output, this.disk.stores);
    for (const { to, message } of output.messages) hooks.send(this.id, to, message);
    for (const apply of output.applies) {
      current.machine.apply(apply);
      hooks.applied?.(this, apply);
    }
    if (output.snapshotDue) current.node.snapshotTaken(nowMs, current.machine.appliedEnd, current.machine.snapshot());
    current.node.persisted(nowMs, output.seq);
  }
}
