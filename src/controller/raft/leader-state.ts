/**
 * What a leader knows about the replicas during its epoch: each voter's and
 * observer's log end (the offset of its last valid Fetch), when each last
 * fetched and was last caught up (DescribeQuorum), which voters have
 * acknowledged the epoch, its own durable log end, and the Fetch requests
 * it holds back until there is something new (long polling, at most one
 * per replica).
 *
 * Contract:
 * - `commitCandidate()` is the largest offset a majority of voters hold:
 *   the leader counts with its durable log end (`persisted`), followers
 *   with their fetch offsets (a follower sends a fetch offset only after
 *   persisting up to it). Observers never count. The node then requires
 *   the entry before it to be of the current epoch.
 * - `majorityContactMs()` is the time by which the leader last heard from
 *   a majority (itself included); check-quorum resigns when it is too old.
 * - Observers are bounded (constants.ts observersMax): the one that has
 *   been silent longest is forgotten first.
 */
import assert from 'node:assert/strict';
import { observersMax, unpersistedOutputsMax } from '../../limits.ts';
import type { FetchRequest } from './messages.ts';

export interface ReplicaDescription {
  readonly replicaId: number;
  /** -1 until the replica fetches in this epoch. */
  readonly logEndOffset: number;
  /** -1 when unknown. */
  readonly lastFetchTimestamp: number;
  /** -1 when unknown. */
  readonly lastCaughtUpTimestamp: number;
}

/** A Fetch the leader holds until new entries, a higher high watermark, or `deadlineMs`. */
interface ParkedFetch {
  readonly from: number;
  readonly request: FetchRequest;
  readonly deadlineMs: number;
}

interface Progress {
  endOffset: number;
  lastFetchMs: number;
  lastCaughtUpMs: number;
  /** The leader's log end when this replica last fetched. */
  leaderEndAtLastFetch: number;
  /** Last Fetch or FetchSnapshot in this epoch. */
  lastContactMs: number;
}

export class LeaderState {
  readonly epoch: number;
  private readonly localId: number;
  private readonly voters = new Map<number, Progress>();
  private readonly observers = new Map<number, Progress>();
  private readonly majority: number;
  /** Voters that answered BeginQuorumEpoch or fetched in this epoch. */
  private readonly acknowledged = new Set<number>();
  private readonly parked = new Map<number, ParkedFetch>();
  /** Outputs with log writes handed to the host and not yet reported persisted: [seq, log end when taken]. */
  private readonly unpersisted: [number, number][] = [];
  private durableEnd = -1;

  constructor(localId: number, voters: readonly number[], epoch: number, nowMs: number) {
    assert.ok(voters.includes(localId), 'a leader is a voter');
    this.localId = localId;
    this.epoch = epoch;
    this.majority = Math.floor(voters.length / 2) + 1;
    for (const id of voters) this.voters.set(id, { endOffset: -1, lastFetchMs: -1, lastCaughtUpMs: -1, leaderEndAtLastFetch: -1, lastContactMs: nowMs });
    this.acknowledged.add(localId);
  }

  /** Other voters that have not acknowledged the epoch yet (BeginQuorumEpoch is resent to them). */
  unacknowledgedVoters(): number[] {
    return [...this.voters.keys()].filter((id) => !this.acknowledged.has(id));
  }

  acknowledge(voterId: number): void {
    if (this.voters.has(voterId)) this.acknowledged.add(voterId);
  }

  /** A valid Fetch at `fetchOffset` from `replicaId`, while the leader's log ends at `leaderEnd`. */
  recordFetch(replicaId: number, fetchOffset: number, leaderEnd: number, nowMs: number): void {
    assert.notEqual(replicaId, this.localId, 'a leader does not fetch from itself');
    assert.ok(fetchOffset <= leaderEnd, 'a valid fetch offset is within the leader\'s log');
    const progress = this.progressOf(replicaId, nowMs);
    if (fetchOffset >= leaderEnd) progress.lastCaughtUpMs = nowMs;
    else if (fetchOffset >= progress.leaderEndAtLastFetch && progress.lastFetchMs >= 0) progress.lastCaughtUpMs = Math.max(progress.lastCaughtUpMs, progress.lastFetchMs);
    progress.endOffset = Math.max(progress.endOffset, fetchOffset);
    progress.lastFetchMs = nowMs;
    progress.leaderEndAtLastFetch = leaderEnd;
    progress.lastContactMs = nowMs;
    this.acknowledge(replicaId);
  }

  /** A Fetch or FetchSnapshot that does not move the replica's log end (a diverging or snapshot answer, a snapshot chunk). */
  recordContact(replicaId: number, nowMs: number): void {
    assert.notEqual(replicaId, this.localId, 'a leader does not fetch from itself');
    this.progressOf(replicaId, nowMs).lastContactMs = nowMs;
    this.acknowledge(replicaId);
  }

  private progressOf(replicaId: number, nowMs: number): Progress {
    const known = this.voters.get(replicaId) ?? this.observers.get(replicaId);
    if (known) return known;
    if (this.observers.size >= observersMax) this.forgetSilentestObserver();
    const progress: Progress = { endOffset: -1, lastFetchMs: -1, lastCaughtUpMs: -1, leaderEndAtLastFetch: -1, lastContactMs: nowMs };
    this.observers.set(replicaId, progress);
    assert.ok(this.observers.size <= observersMax, 'observers stay bounded');
    return progress;
  }

  private forgetSilentestObserver(): void {
    let silentest: number | null = null;
    let oldest = Infinity;
    for (const [id, progress] of this.observers) {
      if (progress.lastContactMs < oldest) {
        oldest = progress.lastContactMs;
        silentest = id;
      }
    }
    assert.ok(silentest !== null, 'a full observer map has an entry to forget');
    this.observers.delete(silentest);
    this.parked.delete(silentest);
  }

  /** The host took output `seq` with the leader's log ending at `logEnd`. */
  outputTaken(seq: number, logEnd: number): void {
    assert.ok(this.unpersisted.length < unpersistedOutputsMax, 'the host reports persisted outputs');
    this.unpersisted.push([seq, logEnd]);
  }

  /** The host made outputs up to `seq` durable; true when the leader's durable end moved. */
  persisted(seq: number): boolean {
    let end = -1;
    while (this.unpersisted.length > 0 && this.unpersisted[0][0] <= seq) end = this.unpersisted.shift()![1];
    if (end <= this.durableEnd) return false;
    this.durableEnd = end;
    return true;
  }

  commitCandidate(): number {
    const ends = [...this.voters].map(([id, p]) => (id === this.localId ? this.durableEnd : p.endOffset));
    ends.sort((a, b) => b - a);
    return ends[this.majority - 1];
  }

  majorityContactMs(): number {
    if (this.majority === 1) return Infinity;
    const others = [...this.voters].filter(([id]) => id !== this.localId).map(([, p]) => p.lastContactMs);
    others.sort((a, b) => b - a);
    return others[this.majority - 2];
  }

  /** Other voters, most caught up first (EndQuorumEpoch's preferred successors). */
  preferredSuccessors(): number[] {
    return [...this.voters].filter(([id]) => id !== this.localId).sort(([, a], [, b]) => b.endOffset - a.endOffset).map(([id]) => id);
  }

  park(fetch: ParkedFetch): void {
    this.parked.set(fetch.request.replicaId, fetch);
  }

  /** Removes and returns parked fetches: all of them, or those due by `nowMs`. */
  unpark(nowMs = Infinity): ParkedFetch[] {
    const due = [...this.parked.values()].filter((fetch) => fetch.deadlineMs <= nowMs);
    for (const fetch of due) this.parked.delete(fetch.request.replicaId);
    return due;
  }

  nextParkedDeadlineMs(): number {
    let next = Infinity;
    for (const fetch of this.parked.values()) next = Math.min(next, fetch.deadlineMs);
    return next;
  }

  describe(logEnd: number, nowMs: number): { voters: ReplicaDescription[]; observers: ReplicaDescription[] } {
    const describe = ([replicaId, p]: [number, Progress]): ReplicaDescription =>
      replicaId === this.localId
        ? { replicaId, logEndOffset: logEnd, lastFetchTimestamp: nowMs, lastCaughtUpTimestamp: nowMs }
        : { replicaId, logEndOffset: p.endOffset, lastFetchTimestamp: p.lastFetchMs, lastCaughtUpTimestamp: p.lastCaughtUpMs };
    return { voters: [...this.voters].map(describe), observers: [...this.observers].map(describe) };
  }
}
