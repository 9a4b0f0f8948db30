/**
 * What one simulated node has durably stored: its quorum state, snapshot
 * and log, behind the RaftStores interfaces. It survives the node's
 * crashes. `crashAfterWrites(n)` makes the n+1-th durable write from now
 * throw SimCrash before taking effect (a log append writes its entries one
 * by one, so a crash can tear it; storing a snapshot and dropping the log
 * prefix are two writes), which models a crash in the middle of persisting
 * an output. Reading the log after such a crash finishes an interrupted
 * snapshot save, as the RaftLogStore contract asks.
 *
 * It also checks the node's durability contract: the stored epoch never
 * decreases and the stored vote never changes within an epoch; the log
 * stays contiguous.
 */
import assert from 'node:assert/strict';
import type { PersistedLog, QuorumState, RaftStores } from '../../../src/controller/raft/persistence.ts';
import type { LogEntry, Snapshot } from '../../../src/controller/raft/raft-log.ts';

export class SimCrash extends Error {
  constructor() {
    super('simulated crash');
  }
}

export class MemoryDisk {
  quorum: QuorumState | null = null;
  snapshot: Snapshot | null = null;
  logStart = 0;
  entries: LogEntry[] = [];
  private writesLeft = Infinity;
  readonly stores: RaftStores;

  constructor() {
    this.stores = {
      quorum: {
        read: async () => this.quorum,
        write: async (state) => this.writeQuorum(state),
      },
      log: {
        read: async (): Promise<PersistedLog> => {
          if (this.snapshot) this.dropBelow(this.snapshot.id.endOffset);
          return { snapshot: this.snapshot, entries: [...this.entries] };
        },
        append: async (entries) => this.append(entries),
        truncateTo: async (offset) => this.truncateTo(offset),
        saveSnapshot: async (snapshot) => this.saveSnapshot(snapshot),
      },
    };
  }

  get logEnd(): number {
    return this.logStart + this.entries.length;
  }

  crashAfterWrites(writes: number): void {
    this.writesLeft = writes;
  }

  disarm(): void {
    this.writesLeft = Infinity;
  }

  private write(): void {
    if (this.writesLeft <= 0) {
      this.writesLeft = Infinity;
      throw new SimCrash();
    }
    this.writesLeft--;
  }

  private writeQuorum(state: QuorumState): void {
    const old = this.quorum;
    if (old) {
      assert.ok(state.epoch >= old.epoch, `stored epoch went back from ${old.epoch} to ${state.epoch}`);
      if (state.epoch === old.epoch && old.votedFor !== null) assert.equal(state.votedFor, old.votedFor, `stored vote changed within epoch ${state.epoch}`);
    }
    this.write();
    this.quorum = state;
  }

  private append(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      assert.equal(entry.offset, this.logEnd, 'stored entries stay contiguous');
      this.write();
      this.entries.push(entry);
    }
  }

  private truncateTo(offset: number): void {
    assert.ok(offset >= this.logStart, 'truncation stays within the stored log');
    this.write();
    this.entries.length = Math.min(this.entries.length, offset - this.logStart);
  }

  private saveSnapshot(snapshot: Snapshot): void {
    assert.ok(snapshot.id.endOffset > (this.snapshot?.id.endOffset ?? 0), 'stored snapshots move forward');
    this.write();
    this.snapshot = snapshot;
    this.write();
    this.dropBelow(snapshot.id.endOffset);
  }

  /** Drops entries below `end`; a log that ends below it restarts empty there. */
  private dropBelow(end: number): void {
    this.entries = end < this.logEnd ? this.entries.slice(Math.max(0, end - this.logStart)) : [];
    this.logStart = Math.max(this.logStart, end);
  }
}
