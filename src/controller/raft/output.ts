/**
 * What a Raft node asks of its host, gathered between two `takeOutput()`
 * calls. The host handles one output completely, in this order, before the
 * next:
 *   1. write `quorumState` (when set) and then `logWrites`, in order, and
 *      make them durable (persistence.ts does both);
 *   2. send `messages` (they may depend on step 1: a vote, an entry);
 *   3. hand `applies` to the state machine, in order;
 *   4. if `snapshotDue`, snapshot the state machine at its applied offset
 *      and give it to the node (`snapshotTaken`);
 *   5. tell the node `persisted(seq)`.
 * A crash anywhere in this sequence is safe: nothing that depends on an
 * unpersisted write has left the node.
 */
import assert from 'node:assert/strict';
import { outputMessagesMax } from '../../limits.ts';
import type { Outbound, RaftMessage } from './messages.ts';
import type { QuorumState } from './persistence.ts';
import type { LogEntry, Snapshot } from './raft-log.ts';

/**
 * `append`: entries continuing the log. `truncate`: remove entries at and
 * after offset. `snapshot`: store it durably, then drop entries below its
 * end offset; a log that ends below it restarts empty there.
 */
export type LogWrite =
  | { readonly op: 'append'; readonly entries: readonly LogEntry[] }
  | { readonly op: 'truncate'; readonly offset: number }
  | { readonly op: 'snapshot'; readonly snapshot: Snapshot };

/** Committed entries, or a snapshot that replaces the state machine's state. */
export type Apply =
  | { readonly kind: 'entries'; readonly entries: readonly LogEntry[] }
  | { readonly kind: 'snapshot'; readonly snapshot: Snapshot };

export interface RaftOutput {
  readonly seq: number;
  readonly quorumState: QuorumState | null;
  readonly logWrites: readonly LogWrite[];
  readonly messages: readonly Outbound[];
  readonly applies: readonly Apply[];
  readonly snapshotDue: boolean;
}

export class Outbox {
  private quorumState: QuorumState | null = null;
  private logWrites: LogWrite[] = [];
  private messages: Outbound[] = [];
  private applies: Apply[] = [];
  private snapshotDue = false;
  private nextSeq = 1;
  /** The entries of the last log write and of the last apply when those are entry lists, extended in place. */
  private openAppend: LogEntry[] | null = null;
  private openApply: LogEntry[] | null = null;

  writeQuorumState(state: QuorumState): void {
    this.quorumState = state;
  }

  append(entries: readonly LogEntry[]): void {
    if (!this.openAppend) {
      this.openAppend = [];
      this.logWrites.push({ op: 'append', entries: this.openAppend });
    }
    for (const entry of entries) this.openAppend.push(entry);
  }

  truncate(offset: number): void {
    this.openAppend = null;
    this.logWrites.push({ op: 'truncate', offset });
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.openAppend = null;
    this.logWrites.push({ op: 'snapshot', snapshot });
  }

  send(to: number, message: RaftMessage): void {
    assert.ok(this.messages.length < outputMessagesMax, 'the host takes outputs before they grow without bound');
    this.messages.push({ to, message });
  }

  applyEntries(entries: readonly LogEntry[]): void {
    if (!this.openApply) {
      this.openApply = [];
      this.applies.push({ kind: 'entries', entries: this.openApply });
    }
    for (const entry of entries) this.openApply.push(entry);
  }

  applySnapshot(snapshot: Snapshot): void {
    this.openApply = null;
    this.applies.push({ kind: 'snapshot', snapshot });
  }

  requestSnapshot(): void {
    this.snapshotDue = true;
  }

  /** Everything gathered since the last call, or null when there is nothing. */
  take(): RaftOutput | null {
    const empty = !this.quorumState && this.logWrites.length === 0 && this.messages.length === 0 && this.applies.length === 0 && !this.snapshotDue;
    if (empty) return null;
    const output: RaftOutput = {
      seq: this.nextSeq++,
      quorumState: this.quorumState,
      logWrites: this.logWrites,
      messages: this.messages,
      applies: this.applies,
      snapshotDue: this.snapshotDue,
    };
    this.quorumState = null;
    this.logWrites = [];
    this.messages = [];
    this.applies = [];
    this.snapshotDue = false;
    this.openAppend = null;
    this.openApply = null;
    return output;
  }
}
