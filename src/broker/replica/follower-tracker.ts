/**
 * A partition leader's view of its followers during one leader term, with
 * Kafka's rules. Pure state: no I/O, time is passed in.
 *
 * - Each follower's log end offset is the offset of its latest fetch;
 *   unknown (-1) until it fetches in this term.
 * - A fetch catches a follower up if its offset is at or past the leader's
 *   log end at that moment (caught up now), or at or past the leader's log
 *   end at its previous fetch (caught up as of that previous fetch).
 * - The maximal ISR is the committed ISR plus the members of the ISR change
 *   in flight: the high watermark is the smallest log end offset in it (a
 *   follower that has not fetched yet holds it back), so an expansion counts
 *   at once and a shrink only once committed.
 * - Shrink: an ISR follower neither at the leader's log end nor caught up
 *   within `lagMaxMs` is out of sync: not fetching (unreachable) when it
 *   has not fetched for that long either, else lagging.
 * - Expand: a follower outside the ISR may join once its log end reaches
 *   the high watermark and the start of this term.
 * A fetch past the leader's log end is the caller's to refuse (Partition
 * does); here it is an assertion, so a follower's log end never exceeds
 * the leader's and the high watermark never passes the leader's log end.
 */
import assert from 'node:assert/strict';

export const unknownOffset = -1n;

interface FollowerState {
  logEndOffset: bigint;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  lastFetchLeaderEndOffset: bigint;
}

export class FollowerTracker {
  readonly leaderId: number;
  /** The leader's log end when this term began. */
  readonly termStartOffset: bigint;
  private committedIsr: number[];
  /** The ISR proposed to the controller and not yet answered, or null. */
  private proposed: number[] | null = null;
  private readonly followers = new Map<number, FollowerState>();

  constructor(leaderId: number, replicas: readonly number[], isr: readonly number[], termStartOffset: bigint, nowMs: number) {
    this.leaderId = leaderId;
    this.termStartOffset = termStartOffset;
    this.committedIsr = [...isr];
    this.setReplicas(replicas, nowMs);
  }

  /** Applies a committed replica set and ISR (same term). */
  setCommitted(replicas: readonly number[], isr: readonly number[], nowMs: number): void {
    this.committedIsr = [...isr];
    this.setReplicas(replicas, nowMs);
  }

  private setReplicas(replicas: readonly number[], nowMs: number): void {
    for (const id of this.followers.keys()) if (!replicas.includes(id)) this.followers.delete(id);
    for (const id of replicas) {
      if (id === this.leaderId || this.followers.has(id)) continue;
      // An ISR member gets a full lag period to fetch before it counts as out of sync.
      const lastCaughtUpMs = this.committedIsr.includes(id) ? nowMs : 0;
      this.followers.set(id, { logEndOffset: unknownOffset, lastCaughtUpMs, lastFetchMs: 0, lastFetchLeaderEndOffset: unknownOffset });
    }
  }

  get isr(): readonly number[] {
    return this.committedIsr;
  }

  get pendingIsr(): readonly number[] | null {
    return this.proposed;
  }

  setPending(isr: readonly number[] | null): void {
    this.proposed = isr === null ? null : [...isr];
  }

  maximalIsr(): number[] {
    return [...new Set([...this.committedIsr, ...(this.proposed ?? [])])];
  }

  isReplica(id: number): boolean {
    return this.followers.has(id);
  }

  logEndOffsetOf(id: number): bigint {
    return this.followers.get(id)?.logEndOffset ?? unknownOffset;
  }

  recordFetch(id: number, fetchOffset: bigint, leaderEndOffset: bigint, nowMs: number): void {
    assert.ok(fetchOffset <= leaderEndOffset, "a follower's fetch offset is not past the leader's log end");
    const follower = this.followers.get(id);
    if (!follower) return;
    if (fetchOffset >= leaderEndOffset) follower.lastCaughtUpMs = Math.max(follower.lastCaughtUpMs, nowMs);
    else if (fetchOffset >= follower.lastFetchLeaderEndOffset) follower.lastCaughtUpMs = Math.max(follower.lastCaughtUpMs, follower.lastFetchMs);
    follower.logEndOffset = fetchOffset;
    follower.lastFetchMs = nowMs;
    follower.lastFetchLeaderEndOffset = leaderEndOffset;
  }

  /** The smallest log end offset in the maximal ISR (the leader's is `leaderEndOffset`). */
  highWatermark(leaderEndOffset: bigint): bigint {
    let hw = leaderEndOffset;
    for (const id of this.maximalIsr()) {
      if (id === this.leaderId) continue;
      const end = this.logEndOffsetOf(id);
      if (end < hw) hw = end;
    }
    return hw;
  }

  /** Committed ISR followers that are out of sync. */
  outOfSync(leaderEndOffset: bigint, nowMs: number, lagMaxMs: number): number[] {
    return this.committedIsr.filter((id) => {
      const follower = this.followers.get(id);
      if (!follower) return false;
      return follower.logEndOffset < leaderEndOffset && nowMs - follower.lastCaughtUpMs > lagMaxMs;
    });
  }

  /** Why an out-of-sync follower is out of sync, for the log. */
  outOfSyncReason(id: number, leaderEndOffset: bigint, nowMs: number, lagMaxMs: number): string {
    const follower = this.followers.get(id);
    if (!follower) return 'not a replica';
    // An ISR member that has not fetched in this term counts as caught up at its start (setReplicas).
    const quietMs = nowMs - Math.max(follower.lastFetchMs, follower.lastCaughtUpMs);
    if (quietMs > lagMaxMs) return `not fetching (unreachable) for ${quietMs} ms`;
    return `lagging by ${leaderEndOffset - follower.logEndOffset} offsets for ${nowMs - follower.lastCaughtUpMs} ms`;
  }

  /** Whether a follower outside the maximal ISR has caught up enough to join it. */
  mayJoin(id: number, highWatermark: bigint): boolean {
    const follower = this.followers.get(id);
    if (!follower || this.maximalIsr().includes(id)) return false;
    return follower.logEndOffset >= highWatermark && follower.logEndOffset >= this.termStartOffset;
  }
}
