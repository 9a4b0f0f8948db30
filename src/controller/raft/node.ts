/**
 * One member of the metadata quorum: KRaft-flavoured Raft as a deterministic
 * state machine. No timers, sockets or files: the host feeds it the time
 * and events and carries out what it asks (output.ts says in what order).
 *
 * Inputs: `tick(now)`, `receive(now, from, message)`, `propose(now,
 * payloads)` (leader only), `persisted(now, seq)`, `snapshotTaken(now,
 * endOffset, data)`, `resign(now)`. Randomness (election timeouts,
 * backoffs) comes from the injected `random`. A crashed node is rebuilt
 * from what its host persisted (persistence.ts loadPersisted).
 *
 * Protocol (Kafka's KRaft, static voter set):
 * - Roles: unattached (an epoch, maybe a vote, no leader), prospective
 *   (asking for pre-votes), candidate, leader, follower. Observers (not in
 *   `voters`) never vote or stand; without a leader they probe a random
 *   voter with Fetch until an answer names the leader.
 * - Any message carrying a higher epoch moves the node to that epoch
 *   (following the leader it names, if any). The quorum state (epoch, vote,
 *   leader) is in the output before any message that depends on it.
 * - Pre-vote (KIP-996): an unattached voter whose random timeout in
 *   [electionTimeoutMs, 2 x electionTimeoutMs) runs out becomes
 *   prospective (so does a follower whose leader went quiet): it keeps its
 *   epoch and vote, follows no leader, and asks the voters for pre-votes
 *   for epoch + 1. A voter grants a pre-vote without moving to that epoch
 *   or spending its vote, when the candidate's log is at least as up to
 *   date as its own and it has not heard from a leader within
 *   fetchTimeoutMs: it leads nothing, and follows no leader or one it has
 *   had no answer from yet (a follower that had one would have stopped
 *   following within fetchTimeoutMs of the last). Only a majority of
 *   pre-votes makes a candidate; a prospective or candidate whose timeout
 *   runs out asks for pre-votes again. Others naming the leader a
 *   prospective gave up on do not make it follow that leader again; the
 *   leader itself speaking up (say, answering a pre-vote) does. So a voter
 *   cut off from the others does not inflate its epoch, and when it
 *   returns it follows the leader it finds.
 * - Election: a candidate stands in epoch + 1, voting for itself. A voter
 *   grants at most one vote per epoch, to a candidate whose log (last
 *   epoch, end offset) is at least as up to date as its own, and only
 *   while it knows no leader of that epoch. A majority of grants makes a
 *   leader, which writes a LeaderChange entry and sends BeginQuorumEpoch
 *   to the other voters until they acknowledge it.
 * - Replication: followers pull with Fetch(fetchOffset, lastFetchedEpoch).
 *   The leader answers with entries, or with the end of the largest epoch
 *   <= lastFetchedEpoch it has when the logs diverge (the follower
 *   truncates to where they agree), or with its snapshot id when the
 *   offset is below its log (the follower downloads it in chunks with
 *   FetchSnapshot and restarts its log there). An empty Fetch is held up
 *   to fetchMaxWaitMs (long poll), unless the fetcher was last told an
 *   older high watermark.
 * - Commit: the high watermark is the largest offset a majority of voters
 *   hold (leader-state.ts), provided the entry before it is of the leader's
 *   epoch. Followers take min(leader's high watermark, own log end) from
 *   answers to valid fetches. The high watermark never decreases while the
 *   node runs; committed entries are applied in order.
 * - Timeouts: a follower without a good answer from its leader for
 *   fetchTimeoutMs asks for pre-votes (an observer forgets the leader); a
 *   leader that has not heard from a majority for checkQuorumTimeoutMs
 *   resigns and tells the voters with EndQuorumEpoch (so does `resign`,
 *   and a node that restarts as the leader it was).
 * - Snapshots: once snapshotIntervalEntries committed entries sit above the
 *   log start, the output asks the host for a snapshot of its applied
 *   state; `snapshotTaken` stores it and drops the log prefix below it.
 * - Untrusted peers: a message that contradicts what the node knows (a
 *   leader that is no voter, a second leader of one epoch, entries, a
 *   divergence or a snapshot that do not fit its log) is refused and
 *   reported to the host (`refused`); assertions guard only the node's own
 *   invariants.
 * - Time: readings should come from a monotonic clock; one earlier than
 *   the last counts as no time passing.
 */
import assert from 'node:assert/strict';
import { ErrorCode } from '../../protocol/errors.ts';
import { entryPayloadBytesMax, observersMax, proposalEntriesMax, snapshotBytesMax, uncommittedEntriesMax, votersMax } from '../../limits.ts';
import { resolveRaftConfig, type RaftConfig } from './constants.ts';
import { LeaderState, type ReplicaDescription } from './leader-state.ts';
import {
  noNode,
  type BeginQuorumEpochRequest,
  type EndQuorumEpochRequest,
  type FetchRequest,
  type FetchResponse,
  type FetchSnapshotRequest,
  type FetchSnapshotResponse,
  type QuorumEpochResponse,
  type RaftMessage,
  type VoteRequest,
  type VoteResponse,
} from './messages.ts';
import { Outbox, type RaftOutput } from './output.ts';
import type { PersistedState, QuorumState } from './persistence.ts';
import { RaftLog, type EntryKind, type LogEntry, type Snapshot } from './raft-log.ts';
import { sameSnapshotId, SnapshotDownload } from './snapshot-download.ts';

export interface RaftNodeOptions {
  readonly nodeId: number;
  /** The static voter set, the same on every node. */
  readonly voters: readonly number[];
  readonly config?: Partial<RaftConfig>;
  /** Uniform in [0, 1); a seeded generator in simulations. */
  readonly random: () => number;
  /** Ids for outgoing requests, never repeated by this node across restarts while old answers may still arrive (default: a counter). */
  readonly nextCorrelationId?: () => number;
  /** Told why a peer's message was refused: it contradicts what this node knows (the host logs it; default: ignored). */
  readonly refused?: (from: number, reason: string) => void;
}

export type RoleName = 'unattached' | 'prospective' | 'candidate' | 'leader' | 'follower';

export type ProposeResult =
  | { readonly accepted: true; readonly epoch: number; readonly baseOffset: number; readonly lastOffset: number }
  | { readonly accepted: false; readonly errorCode: number; readonly leaderId: number | null; readonly epoch: number };

/** What `kb cluster quorum` shows (DescribeQuorum); voters and observers are known only on the leader. */
export interface QuorumDescription {
  readonly errorCode: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  readonly currentVoters: readonly ReplicaDescription[];
  readonly observers: readonly ReplicaDescription[];
}

interface Unattached {
  readonly kind: 'unattached';
  /** Voters stand for election then (Infinity for observers). */
  electionDeadlineMs: number;
  /** Observers probe a voter for the leader then (Infinity for voters). */
  probeAtMs: number;
}

/** A voter collecting pre-votes (prospective, in its epoch) or votes (candidate, in the epoch it stands in). */
interface Ballot {
  readonly kind: 'prospective' | 'candidate';
  /** The leader of this epoch a prospective gave up on (null for a candidate). */
  readonly formerLeader: number | null;
  readonly granted: Set<number>;
  readonly answered: Set<number>;
  readonly electionDeadlineMs: number;
  retryAtMs: number;
}

interface Leader {
  readonly kind: 'leader';
  readonly state: LeaderState;
  beginQuorumRetryAtMs: number;
  /** The high watermark each fetcher was last told; a fetch is not held while its fetcher's is behind. */
  readonly highWatermarkSent: Map<number, number>;
}

interface Follower {
  readonly kind: 'follower';
  /** It has had a good answer (or BeginQuorumEpoch) from its leader since it started following it: it refuses pre-votes. */
  heardFromLeader: boolean;
  fetchDeadlineMs: number;
  nextFetchMs: number;
  inflight: { readonly correlationId: number; readonly sentAtMs: number } | null;
  download: SnapshotDownload | null;
}

type Role = Unattached | Ballot | Leader | Follower;

export class RaftNode {
  readonly nodeId: number;
  private readonly voters: readonly number[];
  private readonly isVoter: boolean;
  private readonly majority: number;
  private readonly config: RaftConfig;
  private readonly random: () => number;
  private readonly nextCorrelationId: () => number;
  private readonly refused: (from: number, reason: string) => void;
  private readonly log: RaftLog;
  private readonly out = new Outbox();
  private quorum: QuorumState;
  private role: Role;
  private hw: number;
  /** Entries below this offset have been handed to the host to apply. */
  private appliedEnd: number;
  private snapshotRequested = false;
  private nowMs: number;

  constructor(options: RaftNodeOptions, persisted: PersistedState, nowMs: number) {
    assert.ok(Number.isSafeInteger(options.nodeId), 'node ids are integers');
    assert.ok(options.nodeId >= 0, 'node ids are not negative');
    assert.ok(options.voters.length > 0, 'a quorum has voters');
    assert.ok(options.voters.length <= votersMax, 'the voter set is bounded');
    assert.equal(new Set(options.voters).size, options.voters.length, 'voters are distinct');
    this.config = resolveRaftConfig(options.config);
    this.nodeId = options.nodeId;
    this.voters = [...options.voters];
    this.isVoter = this.voters.includes(this.nodeId);
    this.majority = Math.floor(this.voters.length / 2) + 1;
    this.random = options.random;
    let correlationId = 0;
    this.nextCorrelationId = options.nextCorrelationId ?? (() => ++correlationId);
    this.refused = options.refused ?? (() => {});
    this.nowMs = nowMs;
    this.log = new RaftLog(persisted.log.snapshot, persisted.log.entries);
    this.quorum = persisted.quorum ?? { epoch: 0, votedFor: null, leaderId: null };
    assert.ok(this.log.lastEpoch <= this.quorum.epoch, 'the quorum state is written before entries of its epoch');
    this.hw = this.log.startOffset;
    this.appliedEnd = this.log.startOffset;
    const snapshot = this.log.latestSnapshot;
    if (snapshot) this.out.applySnapshot(snapshot);
    this.role = this.unattachedRole();
    const leaderId = this.quorum.leaderId;
    if (leaderId === null) return;
    if (leaderId !== this.nodeId && this.voters.includes(leaderId)) {
      this.becomeFollower(this.quorum.epoch, leaderId);
      return;
    }
    // It led this epoch before the restart (its followers' state is gone, so it resigns), or the leader is no voter any more.
    this.setQuorum(this.quorum.epoch, this.quorum.votedFor, null);
    if (leaderId === this.nodeId) this.sendEndQuorumEpoch(this.voters.filter((id) => id !== this.nodeId));
  }

  // ---- inspection ----------------------------------------------------------

  get epoch(): number {
    return this.quorum.epoch;
  }

  get leaderId(): number | null {
    return this.quorum.leaderId;
  }

  get votedFor(): number | null {
    return this.quorum.votedFor;
  }

  get roleName(): RoleName {
    return this.role.kind;
  }

  get highWatermark(): number {
    return this.hw;
  }

  get logStartOffset(): number {
    return this.log.startOffset;
  }

  get logEndOffset(): number {
    return this.log.endOffset;
  }

  entryAt(offset: number): LogEntry | undefined {
    return this.log.entryAt(offset);
  }

  describeQuorum(nowMs: number): QuorumDescription {
    this.advanceClock(nowMs);
    const base = { leaderId: this.quorum.leaderId ?? noNode, leaderEpoch: this.quorum.epoch, highWatermark: this.hw };
    if (this.role.kind !== 'leader') return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentVoters: [], observers: [] };
    const { voters, observers } = this.role.state.describe(this.log.endOffset, this.nowMs);
    return { ...base, errorCode: ErrorCode.NONE, currentVoters: voters, observers };
  }

  /** When the node next needs a `tick` (Infinity: only when an event arrives). */
  nextDeadlineMs(): number {
    const role = this.role;
    switch (role.kind) {
      case 'unattached':
        return Math.min(role.electionDeadlineMs, role.probeAtMs);
      case 'prospective':
      case 'candidate':
        return Math.min(role.electionDeadlineMs, role.retryAtMs);
      case 'follower':
        return Math.min(role.fetchDeadlineMs, role.inflight ? role.inflight.sentAtMs + this.config.requestTimeoutMs : role.nextFetchMs);
      case 'leader': {
        const retry = role.state.unacknowledgedVoters().length > 0 ? role.beginQuorumRetryAtMs : Infinity;
        return Math.min(this.checkQuorumDeadlineMs(role.state), retry, role.state.nextParkedDeadlineMs());
      }
    }
  }

  // ---- inputs --------------------------------------------------------------

  takeOutput(): RaftOutput | null {
    const output = this.out.take();
    if (output && output.logWrites.length > 0 && this.role.kind === 'leader') this.role.state.outputTaken(output.seq, this.log.endOffset);
    return output;
  }

  /** The host made output `seq` (and all before it) durable. */
  persisted(nowMs: number, seq: number): void {
    this.advanceClock(nowMs);
    if (this.role.kind === 'leader' && this.role.state.persisted(seq)) this.maybeAdvanceLeaderHighWatermark(this.role.state);
  }

  tick(nowMs: number): void {
    this.advanceClock(nowMs);
    const now = this.nowMs;
    const role = this.role;
    switch (role.kind) {
      case 'unattached':
        if (now >= role.electionDeadlineMs) this.becomeProspective();
        else if (now >= role.probeAtMs) this.probeForLeader(role);
        return;
      case 'prospective':
      case 'candidate':
        if (now >= role.electionDeadlineMs) this.becomeProspective();
        else if (now >= role.retryAtMs) this.requestVotes(role);
        return;
      case 'follower':
        if (now >= role.fetchDeadlineMs) this.loseLeader();
        else if (role.inflight ? now >= role.inflight.sentAtMs + this.config.requestTimeoutMs : now >= role.nextFetchMs) this.sendFetch(role);
        return;
      case 'leader':
        if (now >= this.checkQuorumDeadlineMs(role.state)) return this.resignLeadership(role.state);
        for (const fetch of role.state.unpark(now)) this.answerFetch(fetch.from, fetch.request);
        if (now >= role.beginQuorumRetryAtMs) this.sendBeginQuorumEpoch(role, role.state.unacknowledgedVoters());
        return;
    }
  }

  receive(nowMs: number, from: number, message: RaftMessage): void {
    this.advanceClock(nowMs);
    switch (message.type) {
      case 'Vote':
        return this.onVote(from, message);
      case 'VoteResponse':
        return this.onVoteResponse(from, message);
      case 'BeginQuorumEpoch':
        return this.onBeginQuorumEpoch(from, message);
      case 'EndQuorumEpoch':
        return this.onEndQuorumEpoch(from, message);
      case 'BeginQuorumEpochResponse':
      case 'EndQuorumEpochResponse':
        return this.onQuorumEpochResponse(from, message);
      case 'Fetch':
        return this.onFetch(from, message);
      case 'FetchResponse':
        return this.onFetchResponse(from, message);
      case 'FetchSnapshot':
        return this.onFetchSnapshot(from, message);
      case 'FetchSnapshotResponse':
        return this.onFetchSnapshotResponse(from, message);
    }
  }

  propose(nowMs: number, payloads: readonly Uint8Array[]): ProposeResult {
    this.advanceClock(nowMs);
    const refuse = (errorCode: number): ProposeResult => ({ accepted: false, errorCode, leaderId: this.quorum.leaderId, epoch: this.quorum.epoch });
    if (this.role.kind !== 'leader') return refuse(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (payloads.length === 0 || payloads.length > proposalEntriesMax) return refuse(ErrorCode.INVALID_REQUEST);
    if (payloads.some((payload) => payload.length > entryPayloadBytesMax)) return refuse(ErrorCode.MESSAGE_TOO_LARGE);
    if (this.log.endOffset - this.hw + payloads.length > uncommittedEntriesMax) return refuse(ErrorCode.NOT_ENOUGH_REPLICAS);
    const baseOffset = this.log.endOffset;
    this.appendAsLeader(this.role.state, payloads.map((payload) => ({ kind: 'data', payload })));
    return { accepted: true, epoch: this.quorum.epoch, baseOffset, lastOffset: this.log.endOffset - 1 };
  }

  /** The host's snapshot of its state machine after applying every entry below `endOffset`. */
  snapshotTaken(nowMs: number, endOffset: number, data: Uint8Array): void {
    this.advanceClock(nowMs);
    assert.ok(data.length <= snapshotBytesMax, 'snapshots are bounded');
    assert.ok(endOffset <= this.appliedEnd, 'a snapshot covers applied entries only');
    if (endOffset <= this.log.startOffset) return;
    const snapshot = { id: { endOffset, epoch: this.log.epochAt(endOffset - 1) }, data };
    this.log.compactTo(snapshot);
    this.out.saveSnapshot(snapshot);
    this.snapshotRequested = false;
  }

  /** Graceful shutdown of a leader: hand over to the most caught-up voter. */
  resign(nowMs: number): void {
    this.advanceClock(nowMs);
    if (this.role.kind === 'leader') this.resignLeadership(this.role.state);
  }

  /** Takes in a clock reading; one earlier than the last (a host's clock stepped back) leaves the node's time where it was. */
  private advanceClock(nowMs: number): void {
    if (nowMs > this.nowMs) this.nowMs = nowMs;
  }

  // ---- transitions ---------------------------------------------------------

  private setQuorum(epoch: number, votedFor: number | null, leaderId: number | null): void {
    assert.ok(epoch >= this.quorum.epoch, 'epochs never decrease');
    if (epoch === this.quorum.epoch && this.quorum.votedFor !== null) assert.equal(votedFor, this.quorum.votedFor, 'one vote per epoch');
    this.quorum = { epoch, votedFor, leaderId };
    this.out.writeQuorumState(this.quorum);
  }

  private unattachedRole(): Unattached {
    const electionDeadlineMs = this.isVoter ? this.nowMs + (this.voters.length === 1 ? 0 : this.electionTimeoutMs()) : Infinity;
    return { kind: 'unattached', electionDeadlineMs, probeAtMs: this.isVoter ? Infinity : this.nowMs };
  }

  private electionTimeoutMs(): number {
    return this.config.electionTimeoutMs + Math.floor(this.random() * this.config.electionTimeoutMs);
  }

  /** Leaves the current role; a leader's held fetches are answered with the new view. */
  private changeRole(epoch: number, votedFor: number | null, leaderId: number | null, role: Role): void {
    const parked = this.role.kind === 'leader' ? this.role.state.unpark() : [];
    this.setQuorum(epoch, votedFor, leaderId);
    this.role = role;
    for (const fetch of parked) this.answerFetch(fetch.from, fetch.request);
  }

  private becomeUnattached(epoch: number, votedFor: number | null): void {
    this.changeRole(epoch, votedFor, null, this.unattachedRole());
  }

  private becomeFollower(epoch: number, leaderId: number): void {
    assert.notEqual(leaderId, this.nodeId, 'a node does not follow itself');
    assert.ok(this.voters.includes(leaderId), 'leaders are voters');
    const votedFor = epoch === this.quorum.epoch ? this.quorum.votedFor : null;
    const role: Follower = { kind: 'follower', heardFromLeader: false, fetchDeadlineMs: this.nowMs + this.config.fetchTimeoutMs, nextFetchMs: this.nowMs, inflight: null, download: null };
    this.changeRole(epoch, votedFor, leaderId, role);
    this.sendFetch(role);
  }

  private ballot(kind: Ballot['kind'], formerLeader: number | null): Ballot {
    assert.ok(this.isVoter, 'only voters stand for election');
    return { kind, formerLeader, granted: new Set([this.nodeId]), answered: new Set([this.nodeId]), electionDeadlineMs: this.nowMs + this.electionTimeoutMs(), retryAtMs: this.nowMs };
  }

  /** Asks for pre-votes in the current epoch, following no leader. */
  private becomeProspective(): void {
    const role = this.ballot('prospective', this.role.kind === 'prospective' ? this.role.formerLeader : this.quorum.leaderId);
    this.changeRole(this.quorum.epoch, this.quorum.votedFor, null, role);
    this.countBallot(role);
  }

  private becomeCandidate(): void {
    const role = this.ballot('candidate', null);
    this.changeRole(this.quorum.epoch + 1, this.nodeId, null, role);
    this.countBallot(role);
  }

  /** A majority of grants moves a prospective on to candidate and a candidate to leader; short of one, it asks the voters that have not answered. */
  private countBallot(role: Ballot): void {
    if (role.granted.size < this.majority) this.requestVotes(role);
    else if (role.kind === 'prospective') this.becomeCandidate();
    else this.becomeLeader();
  }

  private becomeLeader(): void {
    const state = new LeaderState(this.nodeId, this.voters, this.quorum.epoch, this.nowMs);
    const role: Leader = { kind: 'leader', state, beginQuorumRetryAtMs: this.nowMs, highWatermarkSent: new Map() };
    this.changeRole(this.quorum.epoch, this.nodeId, this.nodeId, role);
    this.appendAsLeader(state, [{ kind: 'leaderChange', payload: new Uint8Array(0) }]);
    this.sendBeginQuorumEpoch(role, state.unacknowledgedVoters());
  }

  /** A voter follower whose leader went quiet asks for pre-votes; an observer looks for the leader again. */
  private loseLeader(): void {
    if (this.isVoter) this.becomeProspective();
    else this.becomeUnattached(this.quorum.epoch, this.quorum.votedFor);
  }

  private resignLeadership(state: LeaderState): void {
    const successors = state.preferredSuccessors();
    this.becomeUnattached(this.quorum.epoch, this.quorum.votedFor);
    this.sendEndQuorumEpoch(successors);
  }

  /**
   * Takes in the epoch and leader a message from `from` reports: a higher
   * epoch moves this node there; a leader named for the current epoch is
   * followed if this node knew none (a prospective follows the leader it
   * gave up on only when that leader itself reports). Reports of this node
   * as leader are its own past. False (the message is refused, the host told why) when the
   * report contradicts what this node knows: a leader that is no voter, or
   * another leader than the one it knows for this epoch (e.g. a node
   * started with another voter set).
   */
  private observeLeader(from: number, epoch: number, reportedLeader: number): boolean {
    const leader = reportedLeader === noNode || reportedLeader === this.nodeId ? null : reportedLeader;
    if (leader !== null && !this.voters.includes(leader)) {
      return this.refuse(from, `it names node ${leader} as the leader of epoch ${epoch}, but the voters are ${this.voters.join(',')}`);
    }
    if (epoch > this.quorum.epoch) {
      if (leader !== null) this.becomeFollower(epoch, leader);
      else this.becomeUnattached(epoch, null);
      return true;
    }
    if (epoch < this.quorum.epoch || leader === null || leader === this.quorum.leaderId) return true;
    // Others may still name the leader a prospective gave up on; only the leader itself speaking up is worth following again.
    if (this.role.kind === 'prospective' && leader === this.role.formerLeader && from !== leader) return true;
    if (this.quorum.leaderId !== null) {
      return this.refuse(from, `it names node ${leader} as the leader of epoch ${epoch}, whose leader is node ${this.quorum.leaderId}`);
    }
    this.becomeFollower(epoch, leader);
    return true;
  }

  /**
   * observeLeader for an answer to this node's request. An answer saying
   * that this node is not among the responder's voters is refused: the
   * responder runs another voter set, so its epochs and leaders are not
   * this quorum's (following them would split the cluster).
   */
  private observeAnswer(from: number, response: VoteResponse | QuorumEpochResponse | FetchResponse | FetchSnapshotResponse): boolean {
    if (response.errorCode === ErrorCode.INCONSISTENT_VOTER_SET) {
      return this.refuse(from, `it answers that its voter set is not this node's (${this.voters.join(',')})`);
    }
    return this.observeLeader(from, response.leaderEpoch, response.leaderId);
  }

  private refuse(from: number, reason: string): false {
    this.refused(from, reason);
    return false;
  }

  // ---- elections -----------------------------------------------------------

  private requestVotes(role: Ballot): void {
    role.retryAtMs = this.nowMs + this.config.retryBackoffMs;
    const preVote = role.kind === 'prospective';
    for (const voterId of this.voters) {
      if (role.answered.has(voterId)) continue;
      this.out.send(voterId, {
        type: 'Vote',
        correlationId: this.nextCorrelationId(),
        candidateEpoch: preVote ? this.quorum.epoch + 1 : this.quorum.epoch,
        candidateId: this.nodeId,
        voterId,
        lastOffsetEpoch: this.log.lastEpoch,
        lastOffset: this.log.endOffset,
        preVote,
      });
    }
  }

  private onVote(from: number, request: VoteRequest): void {
    const respond = (errorCode: number, voteGranted: boolean): void =>
      this.out.send(from, { type: 'VoteResponse', correlationId: request.correlationId, errorCode, leaderId: this.quorum.leaderId ?? noNode, leaderEpoch: this.quorum.epoch, voteGranted });
    if (!this.isVoter || !this.voters.includes(request.candidateId)) return respond(ErrorCode.INCONSISTENT_VOTER_SET, false);
    if (request.candidateEpoch < this.quorum.epoch) return respond(ErrorCode.FENCED_LEADER_EPOCH, false);
    const upToDate =
      request.lastOffsetEpoch > this.log.lastEpoch || (request.lastOffsetEpoch === this.log.lastEpoch && request.lastOffset >= this.log.endOffset);
    if (request.preVote) {
      // Changes nothing here: no epoch, no vote. The answer tells a prospective that is behind the epoch and leader this node knows.
      const role = this.role;
      const heardFromLeader = role.kind === 'leader' || (role.kind === 'follower' && role.heardFromLeader);
      return respond(ErrorCode.NONE, request.candidateEpoch > this.quorum.epoch && !heardFromLeader && upToDate);
    }
    if (request.candidateEpoch > this.quorum.epoch) this.becomeUnattached(request.candidateEpoch, null);
    const role = this.role;
    const free = this.quorum.votedFor === null || this.quorum.votedFor === request.candidateId;
    const grant = (role.kind === 'unattached' || role.kind === 'prospective') && free && upToDate;
    // A first vote (or one that ends this node's own pre-vote) is persisted and restarts the election timer.
    if (grant && (this.quorum.votedFor === null || role.kind === 'prospective')) this.becomeUnattached(this.quorum.epoch, request.candidateId);
    respond(ErrorCode.NONE, grant);
  }

  /** A prospective counts pre-votes from voters that have not moved past its epoch (observeAnswer moved it along otherwise); a candidate, votes in its epoch. */
  private onVoteResponse(from: number, response: VoteResponse): void {
    if (!this.observeAnswer(from, response)) return;
    const role = this.role;
    if ((role.kind !== 'prospective' && role.kind !== 'candidate') || !this.voters.includes(from)) return;
    if (role.kind === 'candidate' && response.leaderEpoch !== this.quorum.epoch) return;
    role.answered.add(from);
    if (response.errorCode === ErrorCode.NONE && response.voteGranted) role.granted.add(from);
    if (role.granted.size >= this.majority) this.countBallot(role);
  }

  private sendBeginQuorumEpoch(role: Leader, voterIds: readonly number[]): void {
    role.beginQuorumRetryAtMs = this.nowMs + this.config.retryBackoffMs;
    for (const voterId of voterIds) {
      this.out.send(voterId, { type: 'BeginQuorumEpoch', correlationId: this.nextCorrelationId(), voterId, leaderId: this.nodeId, leaderEpoch: this.quorum.epoch });
    }
  }

  private sendEndQuorumEpoch(successors: readonly number[]): void {
    for (const voterId of successors) {
      this.out.send(voterId, {
        type: 'EndQuorumEpoch',
        correlationId: this.nextCorrelationId(),
        leaderId: this.nodeId,
        leaderEpoch: this.quorum.epoch,
        preferredSuccessors: successors,
      });
    }
  }

  private respondQuorumEpoch(to: number, type: QuorumEpochResponse['type'], correlationId: number, errorCode: number): void {
    this.out.send(to, { type, correlationId, errorCode, leaderId: this.quorum.leaderId ?? noNode, leaderEpoch: this.quorum.epoch });
  }

  private onBeginQuorumEpoch(from: number, request: BeginQuorumEpochRequest): void {
    const type = 'BeginQuorumEpochResponse';
    if (!this.voters.includes(request.leaderId)) return this.respondQuorumEpoch(from, type, request.correlationId, ErrorCode.INCONSISTENT_VOTER_SET);
    if (request.leaderEpoch < this.quorum.epoch) return this.respondQuorumEpoch(from, type, request.correlationId, ErrorCode.FENCED_LEADER_EPOCH);
    if (!this.observeLeader(from, request.leaderEpoch, request.leaderId)) return this.respondQuorumEpoch(from, type, request.correlationId, ErrorCode.INCONSISTENT_VOTER_SET);
    if (this.role.kind === 'follower') {
      this.role.fetchDeadlineMs = this.nowMs + this.config.fetchTimeoutMs;
      this.role.heardFromLeader = true;
    }
    this.respondQuorumEpoch(from, type, request.correlationId, ErrorCode.NONE);
  }

  private onEndQuorumEpoch(from: number, request: EndQuorumEpochRequest): void {
    const type = 'EndQuorumEpochResponse';
    if (!this.voters.includes(request.leaderId)) return this.respondQuorumEpoch(from, type, request.correlationId, ErrorCode.INCONSISTENT_VOTER_SET);
    if (request.leaderEpoch < this.quorum.epoch) return this.respondQuorumEpoch(from, type, request.correlationId, ErrorCode.FENCED_LEADER_EPOCH);
    if (request.leaderEpoch > this.quorum.epoch) this.becomeUnattached(request.leaderEpoch, null);
    else if (this.quorum.leaderId === request.leaderId) this.becomeUnattached(this.quorum.epoch, this.quorum.votedFor);
    const rank = request.preferredSuccessors.indexOf(this.nodeId);
    if (this.role.kind === 'unattached' && this.isVoter && rank >= 0) {
      // The most caught-up voters stand first, so the next election is quick and likely to succeed.
      const backoffMs = Math.min(this.config.electionTimeoutMs, this.config.retryBackoffMs * 2 ** rank);
      this.role.electionDeadlineMs = Math.min(this.role.electionDeadlineMs, this.nowMs + backoffMs + Math.floor(this.random() * this.config.retryBackoffMs));
    }
    this.respondQuorumEpoch(from, type, request.correlationId, ErrorCode.NONE);
  }

  private onQuorumEpochResponse(from: number, response: QuorumEpochResponse): void {
    if (!this.observeAnswer(from, response)) return;
    const role = this.role;
    const current = role.kind === 'leader' && response.leaderEpoch === this.quorum.epoch && response.errorCode === ErrorCode.NONE;
    if (current && response.type === 'BeginQuorumEpochResponse') role.state.acknowledge(from);
  }

  // ---- replication: leader side --------------------------------------------

  private appendAsLeader(state: LeaderState, items: readonly { kind: EntryKind; payload: Uint8Array }[]): void {
    const entries: LogEntry[] = [];
    for (const { kind, payload } of items) {
      const entry: LogEntry = { offset: this.log.endOffset, epoch: state.epoch, kind, payload };
      this.log.append(entry);
      entries.push(entry);
    }
    this.out.append(entries);
    for (const fetch of state.unpark()) this.answerFetch(fetch.from, fetch.request);
  }

  /** NONE when this node leads `requestEpoch`, else why a fetch at that epoch fails. */
  private leaderEpochError(requestEpoch: number): number {
    if (requestEpoch < this.quorum.epoch) return ErrorCode.FENCED_LEADER_EPOCH;
    if (requestEpoch > this.quorum.epoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    if (this.role.kind !== 'leader') return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return ErrorCode.NONE;
  }

  private onFetch(from: number, request: FetchRequest): void {
    const role = this.role;
    const errorCode = this.leaderEpochError(request.currentLeaderEpoch);
    if (errorCode !== ErrorCode.NONE || role.kind !== 'leader') return this.sendFetchResponse(from, request, { errorCode });
    const position = this.log.fetchPosition(request.fetchOffset, request.lastFetchedEpoch);
    if (position.kind !== 'valid') {
      role.state.recordContact(request.replicaId, this.nowMs);
      return this.answerFetch(from, request);
    }
    role.state.recordFetch(request.replicaId, request.fetchOffset, this.log.endOffset, this.nowMs);
    const advanced = this.maybeAdvanceLeaderHighWatermark(role.state);
    const told = role.highWatermarkSent.get(request.replicaId);
    const hold = !advanced && told === this.hw && request.fetchOffset === this.log.endOffset && request.maxWaitMs > 0;
    if (hold) role.state.park({ from, request, deadlineMs: this.nowMs + Math.min(request.maxWaitMs, this.config.fetchMaxWaitMs) });
    else this.answerFetch(from, request);
  }

  /** Answers a fetch from the log as it is now. */
  private answerFetch(from: number, request: FetchRequest): void {
    const errorCode = this.leaderEpochError(request.currentLeaderEpoch);
    if (errorCode !== ErrorCode.NONE) return this.sendFetchResponse(from, request, { errorCode });
    const position = this.log.fetchPosition(request.fetchOffset, request.lastFetchedEpoch);
    if (position.kind === 'diverging') return this.sendFetchResponse(from, request, { divergingEpoch: position.diverging });
    if (position.kind === 'snapshot') return this.sendFetchResponse(from, request, { snapshotId: position.snapshotId });
    const records = this.log.read(request.fetchOffset, Math.min(request.maxBytes, this.config.fetchMaxBytes));
    this.sendFetchResponse(from, request, { records });
  }

  private sendFetchResponse(to: number, request: FetchRequest, fields: Partial<Pick<FetchResponse, 'errorCode' | 'divergingEpoch' | 'snapshotId' | 'records'>>): void {
    if (this.role.kind === 'leader') {
      const sent = this.role.highWatermarkSent;
      if (sent.size >= votersMax + observersMax) sent.clear(); // bounded; forgetting only costs one fetch not held
      sent.set(request.replicaId, this.hw);
    }
    this.out.send(to, {
      type: 'FetchResponse',
      correlationId: request.correlationId,
      errorCode: ErrorCode.NONE,
      leaderId: this.quorum.leaderId ?? noNode,
      leaderEpoch: this.quorum.epoch,
      highWatermark: this.hw,
      logStartOffset: this.log.startOffset,
      divergingEpoch: null,
      snapshotId: null,
      records: [],
      ...fields,
    });
  }

  private onFetchSnapshot(from: number, request: FetchSnapshotRequest): void {
    const role = this.role;
    const respond = (errorCode: number, size = 0, bytes: Uint8Array = new Uint8Array(0)): void =>
      this.out.send(from, {
        type: 'FetchSnapshotResponse',
        correlationId: request.correlationId,
        errorCode,
        leaderId: this.quorum.leaderId ?? noNode,
        leaderEpoch: this.quorum.epoch,
        snapshotId: request.snapshotId,
        size,
        position: request.position,
        bytes,
      });
    const errorCode = this.leaderEpochError(request.currentLeaderEpoch);
    if (errorCode !== ErrorCode.NONE || role.kind !== 'leader') return respond(errorCode);
    role.state.recordContact(request.replicaId, this.nowMs);
    const snapshot = this.log.latestSnapshot;
    if (!snapshot || !sameSnapshotId(snapshot.id, request.snapshotId)) return respond(ErrorCode.SNAPSHOT_NOT_FOUND);
    const size = snapshot.data.length;
    if (request.position < 0 || request.position > size) return respond(ErrorCode.POSITION_OUT_OF_RANGE);
    const chunkBytes = Math.max(1, Math.min(request.maxBytes, this.config.snapshotChunkBytes));
    respond(ErrorCode.NONE, size, snapshot.data.subarray(request.position, request.position + chunkBytes));
  }

  private checkQuorumDeadlineMs(state: LeaderState): number {
    return state.majorityContactMs() + this.config.checkQuorumTimeoutMs;
  }

  /** Moves the leader's high watermark to what a majority holds, if that is an entry of its epoch. */
  private maybeAdvanceLeaderHighWatermark(state: LeaderState): boolean {
    const candidate = state.commitCandidate();
    if (candidate <= this.hw || this.log.epochAt(candidate - 1) !== state.epoch) return false;
    this.advanceHighWatermark(candidate);
    for (const fetch of state.unpark()) this.answerFetch(fetch.from, fetch.request);
    return true;
  }

  private advanceHighWatermark(offset: number): void {
    assert.ok(offset > this.hw, 'the high watermark only moves forward');
    assert.ok(offset <= this.log.endOffset, 'the high watermark stays within the log');
    assert.ok(this.appliedEnd >= this.log.startOffset, 'entries to apply are still in the log');
    this.hw = offset;
    this.out.applyEntries(this.log.read(this.appliedEnd, Infinity).slice(0, offset - this.appliedEnd));
    this.appliedEnd = offset;
    if (!this.snapshotRequested && this.hw - this.log.startOffset >= this.config.snapshotIntervalEntries) {
      this.snapshotRequested = true;
      this.out.requestSnapshot();
    }
  }

  // ---- replication: follower side ------------------------------------------

  private probeForLeader(role: Unattached): void {
    role.probeAtMs = this.nowMs + this.config.requestTimeoutMs;
    const voterId = this.voters[Math.floor(this.random() * this.voters.length)];
    this.out.send(voterId, this.fetchRequest(0));
  }

  private fetchRequest(maxWaitMs: number): FetchRequest {
    return {
      type: 'Fetch',
      correlationId: this.nextCorrelationId(),
      replicaId: this.nodeId,
      currentLeaderEpoch: this.quorum.epoch,
      fetchOffset: this.log.endOffset,
      lastFetchedEpoch: this.log.lastEpoch,
      maxWaitMs,
      maxBytes: this.config.fetchMaxBytes,
    };
  }

  private sendFetch(role: Follower): void {
    const leaderId = this.quorum.leaderId;
    assert.ok(leaderId !== null, 'a follower knows its leader');
    const download = role.download;
    const request: FetchRequest | FetchSnapshotRequest = download
      ? {
          type: 'FetchSnapshot',
          correlationId: this.nextCorrelationId(),
          replicaId: this.nodeId,
          currentLeaderEpoch: this.quorum.epoch,
          snapshotId: download.id,
          position: download.position,
          maxBytes: this.config.snapshotChunkBytes,
        }
      : this.fetchRequest(this.config.fetchMaxWaitMs);
    role.inflight = { correlationId: request.correlationId, sentAtMs: this.nowMs };
    this.out.send(leaderId, request);
  }

  /**
   * The follower role if `response` answers its outstanding request to its
   * leader in this epoch, which is then no longer outstanding, and is an
   * answer this node can take in. A good answer keeps the leader; after an
   * error the next request waits a backoff; an answer that contradicts this
   * node's log is refused (the host told why) like an error, and a
   * snapshot download starts over.
   */
  private answeredFollower(from: number, response: FetchResponse | FetchSnapshotResponse): Follower | null {
    if (!this.observeAnswer(from, response)) return null;
    const role = this.role;
    if (role.kind !== 'follower' || role.inflight?.correlationId !== response.correlationId) return null;
    if (from !== this.quorum.leaderId || response.leaderEpoch !== this.quorum.epoch) return null;
    role.inflight = null;
    const problem = response.errorCode === ErrorCode.NONE ? this.answerProblem(role, response) : null;
    if (response.errorCode === ErrorCode.NONE && problem === null) {
      role.fetchDeadlineMs = this.nowMs + this.config.fetchTimeoutMs;
      role.heardFromLeader = true;
      return role;
    }
    role.nextFetchMs = this.nowMs + this.config.retryBackoffMs;
    if (problem === null) return role;
    this.refuse(from, problem);
    role.download = null;
    return null;
  }

  /** Why an answer from the leader contradicts this node's log or request, or null. */
  private answerProblem(role: Follower, response: FetchResponse | FetchSnapshotResponse): string | null {
    if (response.type === 'FetchSnapshotResponse') return role.download ? role.download.problem(response) : 'it answers a FetchSnapshot that was not sent';
    if (role.download) return 'it answers a Fetch that was not sent';
    if (response.divergingEpoch) {
      const end = this.log.divergenceEnd(response.divergingEpoch);
      if (end === null || end < this.hw || end >= this.log.endOffset) {
        return `its divergence at epoch ${response.divergingEpoch.epoch}, offset ${response.divergingEpoch.endOffset} does not truncate this log's uncommitted entries`;
      }
      return null;
    }
    if (response.snapshotId) {
      const { endOffset, epoch } = response.snapshotId;
      if (endOffset <= this.hw || epoch > this.quorum.epoch) return `its snapshot (epoch ${epoch}, end offset ${endOffset}) is not past this node's committed entries in this epoch`;
      return null;
    }
    let offset = this.log.endOffset;
    let epoch = this.log.lastEpoch;
    for (const entry of response.records) {
      if (entry.offset !== offset) return `its entry at offset ${entry.offset} does not continue the log at ${offset}`;
      if (entry.epoch < epoch || entry.epoch > this.quorum.epoch) return `its entry at offset ${entry.offset} has epoch ${entry.epoch}, outside [${epoch}, ${this.quorum.epoch}]`;
      offset++;
      epoch = entry.epoch;
    }
    return null;
  }

  private onFetchResponse(from: number, response: FetchResponse): void {
    const role = this.answeredFollower(from, response);
    if (!role || response.errorCode !== ErrorCode.NONE) return;
    if (response.divergingEpoch) {
      this.truncateTo(this.log.divergenceEnd(response.divergingEpoch)!);
    } else if (response.snapshotId) {
      role.download = new SnapshotDownload(response.snapshotId);
    } else {
      for (const entry of response.records) this.log.append(entry);
      if (response.records.length > 0) this.out.append(response.records);
      const hw = Math.min(response.highWatermark, this.log.endOffset);
      if (hw > this.hw) this.advanceHighWatermark(hw);
    }
    this.sendFetch(role);
  }

  private truncateTo(offset: number): void {
    assert.ok(offset >= this.hw, 'committed entries are never truncated');
    assert.ok(offset < this.log.endOffset, 'a divergence truncates something');
    this.log.truncateTo(offset);
    this.out.truncate(offset);
  }

  private onFetchSnapshotResponse(from: number, response: FetchSnapshotResponse): void {
    const role = this.answeredFollower(from, response);
    if (!role) return;
    const download = role.download;
    assert.ok(download, 'a FetchSnapshot is outstanding only during a download');
    if (response.errorCode !== ErrorCode.NONE) {
      // The leader has moved on to a newer snapshot (or lost this one): start over from a Fetch.
      role.download = null;
      return;
    }
    const snapshot = download.add(response);
    if (snapshot) this.installSnapshot(role, snapshot);
    this.sendFetch(role);
  }

  private installSnapshot(role: Follower, snapshot: Snapshot): void {
    assert.ok(this.hw < snapshot.id.endOffset, 'a fetched snapshot lies past the committed entries');
    // Drop the uncommitted tail first, so a crash before the snapshot is stored leaves a log that agrees with the leader.
    if (this.log.endOffset > this.hw) this.truncateTo(this.hw);
    this.log.resetTo(snapshot);
    this.out.saveSnapshot(snapshot);
    this.out.applySnapshot(snapshot);
    this.hw = snapshot.id.endOffset;
    this.appliedEnd = snapshot.id.endOffset;
    this.snapshotRequested = false;
    role.download = null;
  }
}
