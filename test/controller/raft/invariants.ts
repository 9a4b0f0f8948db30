/**
 * The safety properties a Raft quorum must keep, checked against live
 * nodes as a simulation runs. Each check throws (AssertionError) on the
 * first violation.
 *
 * - Election safety: at most one leader per epoch, ever; observers never
 *   lead or stand.
 * - State machine safety: an entry (offset, epoch, kind, payload) that
 *   any node has committed is the entry every node commits at that offset,
 *   and it never changes or disappears from a node's log while committed
 *   there; the applied state after offset N is the same on every node
 *   (which covers snapshots).
 * - Log matching: one (offset, epoch) names one entry across all nodes,
 *   and two logs holding the same (offset, epoch) agree on every entry
 *   before it.
 * - The high watermark never decreases while a node runs and stays within
 *   its log.
 */
import assert from 'node:assert/strict';
import type { RaftOutput } from '../../../src/controller/raft/output.ts';
import type { LogEntry } from '../../../src/controller/raft/raft-log.ts';
import { payloadText, type NodeHost } from './node-host.ts';

interface NodeWatch {
  incarnation: number;
  highWatermark: number;
  /** Offsets below this were compared with the committed record. */
  checkedTo: number;
}

function describeEntry(entry: LogEntry): string {
  return `${entry.epoch}/${entry.kind}/${payloadText(entry)}`;
}

export class QuorumInvariants {
  private readonly observers: ReadonlySet<number>;
  private readonly leaders = new Map<number, number>();
  private readonly committed = new Map<number, string>();
  private readonly stateAfter = new Map<number, number>();
  private readonly entryIds = new Map<string, string>();
  private readonly watches = new Map<number, NodeWatch>();
  /** Payloads of committed data entries. */
  readonly committedPayloads = new Set<string>();

  constructor(observers: ReadonlySet<number>) {
    this.observers = observers;
  }

  get leaderEpochs(): number {
    return this.leaders.size;
  }

  get committedEntries(): number {
    return this.committed.size;
  }

  /** Checks one live node after it handled an event. */
  checkNode(host: NodeHost): void {
    const node = host.node;
    if (node.roleName === 'leader') {
      const leader = this.leaders.get(node.epoch);
      assert.ok(leader === undefined || leader === host.id, `epoch ${node.epoch} has two leaders: ${leader} and ${host.id}`);
      this.leaders.set(node.epoch, host.id);
    }
    if (this.observers.has(host.id)) assert.ok(node.roleName === 'unattached' || node.roleName === 'follower', `observer ${host.id} became ${node.roleName}`);
    assert.ok(node.highWatermark >= node.logStartOffset, `node ${host.id}: high watermark below its log start`);
    assert.ok(node.highWatermark <= node.logEndOffset, `node ${host.id}: high watermark past its log end`);
    let watch = this.watches.get(host.id);
    if (!watch || watch.incarnation !== host.incarnation) {
      watch = { incarnation: host.incarnation, highWatermark: node.highWatermark, checkedTo: node.highWatermark };
      this.watches.set(host.id, watch);
    }
    assert.ok(node.highWatermark >= watch.highWatermark, `node ${host.id}: high watermark went back from ${watch.highWatermark} to ${node.highWatermark}`);
    watch.highWatermark = node.highWatermark;
    this.checkCommitted(host, Math.max(watch.checkedTo, node.logStartOffset));
    watch.checkedTo = node.highWatermark;
  }

  /** Compares a node's committed entries from `from` with the record of what was committed. */
  private checkCommitted(host: NodeHost, from: number): void {
    const node = host.node;
    for (let offset = from; offset < node.highWatermark; offset++) {
      const entry = node.entryAt(offset);
      assert.ok(entry, `node ${host.id} lost committed offset ${offset}`);
      const seen = describeEntry(entry);
      const known = this.committed.get(offset);
      if (known === undefined) {
        this.committed.set(offset, seen);
        if (entry.kind === 'data') this.committedPayloads.add(payloadText(entry));
      } else {
        assert.equal(seen, known, `node ${host.id} has ${seen} committed at offset ${offset}, others ${known}`);
      }
    }
  }

  /** Checks the entries an output appends: one (offset, epoch) is one entry everywhere. */
  checkOutput(host: NodeHost, output: RaftOutput): void {
    for (const write of output.logWrites) {
      if (write.op !== 'append') continue;
      for (const entry of write.entries) {
        const id = `${entry.offset}/${entry.epoch}`;
        const seen = describeEntry(entry);
        const known = this.entryIds.get(id);
        if (known === undefined) this.entryIds.set(id, seen);
        else assert.equal(seen, known, `node ${host.id} appends ${seen} as ${id}, which is ${known} elsewhere`);
      }
    }
  }

  /** Checks the state machine after an apply: the state after offset N is one state. */
  checkApplied(host: NodeHost): void {
    const { appliedEnd, hash } = host.machine;
    const known = this.stateAfter.get(appliedEnd);
    if (known === undefined) this.stateAfter.set(appliedEnd, hash);
    else assert.equal(hash, known, `node ${host.id} has state ${hash} after offset ${appliedEnd}, others ${known}`);
  }

  /** Rechecks every live node's committed entries, and log matching between every two live nodes. */
  sweep(hosts: readonly NodeHost[]): void {
    const live = hosts.filter((host) => host.alive);
    for (const host of live) this.checkCommitted(host, host.node.logStartOffset);
    for (let i = 0; i < live.length; i++) {
      for (let j = i + 1; j < live.length; j++) this.checkLogMatching(live[i], live[j]);
    }
  }

  private checkLogMatching(a: NodeHost, b: NodeHost): void {
    const start = Math.max(a.node.logStartOffset, b.node.logStartOffset);
    const end = Math.min(a.node.logEndOffset, b.node.logEndOffset);
    let match = start - 1;
    for (let offset = end - 1; offset >= start; offset--) {
      if (a.node.entryAt(offset)!.epoch === b.node.entryAt(offset)!.epoch) {
        match = offset;
        break;
      }
    }
    for (let offset = start; offset <= match; offset++) {
      const left = describeEntry(a.node.entryAt(offset)!);
      const right = describeEntry(b.node.entryAt(offset)!);
      assert.equal(left, right, `nodes ${a.id} and ${b.id} share (${match}, epoch ${a.node.entryAt(match)!.epoch}) but differ at ${offset}`);
    }
  }
}
