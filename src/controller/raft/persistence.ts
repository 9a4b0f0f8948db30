/**
 * What a Raft node needs to survive a crash, behind two interfaces the host
 * provides, and the one way outputs are written to them.
 *
 * QuorumStateStore holds the quorum state (epoch, the vote cast in it, the
 * leader known in it); each write replaces the previous one atomically
 * (on disk: one file written with storage/checkpoint.ts writeAtomically).
 *
 * RaftLogStore holds the log: entries (on disk: the storage engine's Log,
 * one batch per append with the entry's epoch as partitionLeaderEpoch;
 * append <-> appendAsFollower, truncateTo <-> truncateTo) and the latest
 * snapshot (on disk: an atomically written file, then the log prefix
 * dropped with deleteRecordsBefore, or truncateFullyAndStartAt when the log
 * ends below the snapshot). Each method resolves once its change is
 * durable. `read()`, at startup, first finishes a `saveSnapshot` that a
 * crash interrupted after the snapshot was stored (drops the entries below
 * it), so the entries it returns continue the snapshot.
 *
 * The node never reads a store: it keeps the log in memory (the metadata
 * log stays small because of snapshots) and is rebuilt from `loadPersisted`
 * after a restart.
 */
import type { RaftOutput } from './output.ts';
import type { LogEntry, Snapshot } from './raft-log.ts';

export interface QuorumState {
  readonly epoch: number;
  /** The candidate this node voted for in `epoch` (itself when it stood), or null. */
  readonly votedFor: number | null;
  /** The leader of `epoch` as far as this node knows, or null. */
  readonly leaderId: number | null;
}

export interface QuorumStateStore {
  /** The last state written, or null when none was. */
  read(): Promise<QuorumState | null>;
  write(state: QuorumState): Promise<void>;
}

export interface PersistedLog {
  readonly snapshot: Snapshot | null;
  /** Contiguous entries in offset order. */
  readonly entries: readonly LogEntry[];
}

export interface RaftLogStore {
  /** The latest snapshot and the entries from its end offset (from 0 without one). */
  read(): Promise<PersistedLog>;
  /** Entries that continue the log. */
  append(entries: readonly LogEntry[]): Promise<void>;
  /** Removes entries at and after `offset`. */
  truncateTo(offset: number): Promise<void>;
  /** Stores the snapshot (replacing older ones), then drops entries below its end offset; a log ending below it restarts empty there. */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
}

export interface RaftStores {
  readonly quorum: QuorumStateStore;
  readonly log: RaftLogStore;
}

export interface PersistedState {
  readonly quorum: QuorumState | null;
  readonly log: PersistedLog;
}

/** Makes an output's quorum state and log writes durable, in order (step 1 of output.ts). */
export async function persistOutput(output: RaftOutput, stores: RaftStores): Promise<void> {
  if (output.quorumState) await stores.quorum.write(output.quorumState);
  for (const write of output.logWrites) {
    if (write.op === 'append') await stores.log.append(write.entries);
    else if (write.op === 'truncate') await stores.log.truncateTo(write.offset);
    else await stores.log.saveSnapshot(write.snapshot);
  }
}

/** Reads what a node restarts from. */
export async function loadPersisted(stores: RaftStores): Promise<PersistedState> {
  return { quorum: await stores.quorum.read(), log: await stores.log.read() };
}
