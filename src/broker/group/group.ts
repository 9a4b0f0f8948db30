/**
 * One classic consumer group's membership state machine, as Kafka's group
 * coordinator runs it (JoinGroup v0-9, SyncGroup, Heartbeat, LeaveGroup,
 * offset-commit fencing). Pure logic: time comes from an injected `Time`
 * (src/clock.ts; its timers run in the background), persistence goes
 * through the `onChange` hook, and requests and responses are plain
 * objects a handler maps to and from the wire.
 *
 * States: Empty -> PreparingRebalance (members (re)join) -> CompletingRebalance
 * (the leader computes assignments; its SyncGroup brings them) -> Stable;
 * any membership change in Stable or CompletingRebalance starts a new
 * PreparingRebalance; Dead once deleted or unloaded. Each completed join
 * phase bumps the generation, also when it leaves the group Empty.
 *
 * Timers, all owned here and cancelled when their subject goes away:
 * - a session timer per member, restarted by heartbeats, joins, syncs and
 *   commits; a member awaiting a join or sync response is not expired by it
 *   (the response restarts it), except a member that joined with a fresh id,
 *   which gets `newMemberJoinTimeoutMs` to see its first join complete;
 * - a session timer per pending member id (handed out with MEMBER_ID_REQUIRED);
 * - the join timer: from Empty the initial rebalance delay (extended while
 *   new members arrive in generation 0, capped by the rebalance timeout),
 *   otherwise the rebalance timeout, after which members that did not rejoin
 *   are dropped (static members are kept until their session expires);
 * - the sync timer: members that do not send SyncGroup within the rebalance
 *   timeout after the join phase are dropped and the group rebalances.
 *
 * Join and Sync answer with promises that settle when the phase completes;
 * every promise settles (a superseded or removed waiter gets an error).
 * `onChange(snapshot)` runs after a rebalance completes (Stable), after a
 * static member is replaced without rebalance, when the group becomes Empty
 * and when it is deleted (Dead).
 */
import { randomUUID } from 'node:crypto';
import type { Time, TimerHandle } from '../../clock.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { newMemberJoinTimeoutMs } from '../../limits.ts';
import type { GroupConfig } from './constants.ts';

/** Group timers do not keep the process alive. */
const background = { background: true };

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinRequest {
  groupId: string;
  /** '' for a member that has no id yet. */
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  /** In the member's order of preference. */
  protocols: GroupProtocol[];
  sessionTimeoutMs: number;
  /** JoinGroup v0 has none: pass the session timeout. */
  rebalanceTimeoutMs: number;
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+: a member without id first gets MEMBER_ID_REQUIRED and an id. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a rejoining static leader of a Stable group is told to skip the assignment. */
  supportsSkipAssignment: boolean;
}

export interface JoinMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinResponse {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  /** Filled for the leader only. */
  members: JoinMember[];
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** SyncGroup v5+, else null. */
  protocolType: string | null;
  protocolName: string | null;
  /** Sent by the leader only. */
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncResponse {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  errorCode: number;
}

export interface LeavingMember {
  /** '' to remove a static member by its instance id. */
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveRequest {
  groupId: string;
  /** LeaveGroup v0-2 carry exactly one member. */
  members: LeavingMember[];
}

export interface LeaveResponse {
  /** Group-level error; LeaveGroup v0-2 report `members[0].errorCode` when this is NONE. */
  errorCode: number;
  members: (LeavingMember & { errorCode: number })[];
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Empty unless the group is Stable (as Kafka describes it). */
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: GroupState;
  protocolType: string;
  /** The selected protocol, '' unless the group is Stable. */
  protocolData: string;
  members: DescribedMember[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: GroupState;
}

/** What the coordinator persists: Kafka's GroupMetadataValue. */
export interface GroupSnapshot {
  groupId: string;
  state: GroupState;
  stateChangedAtMs: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    sessionTimeoutMs: number;
    rebalanceTimeoutMs: number;
    metadata: Buffer;
    assignment: Buffer;
  }[];
}

export interface GroupContext {
  clock: Time;
  config: GroupConfig;
  onChange(snapshot: GroupSnapshot): void;
}

type JoinWaiter = (response: JoinResponse) => void;
type SyncWaiter = (response: SyncResponse) => void;

interface Member {
  memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: GroupProtocol[];
  assignment: Buffer;
  /** Joined with a fresh id and has not seen a join phase complete yet. */
  isNew: boolean;
  joinWaiter: JoinWaiter | null;
  syncWaiter: SyncWaiter | null;
  sessionTimer: TimerHandle | null;
}

const noGeneration = -1;
const emptyBuffer = Buffer.alloc(0);

const validPreviousStates: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Empty', 'CompletingRebalance', 'Stable'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable'],
};

export function joinError(memberId: string, errorCode: number): JoinResponse {
  return {
    errorCode,
    generationId: noGeneration,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function leaveResult(member: LeavingMember, errorCode: number): LeaveResponse['members'][number] {
  return { memberId: member.memberId, groupInstanceId: member.groupInstanceId, errorCode };
}

export function syncError(errorCode: number): SyncResponse {
  return { errorCode, protocolType: null, protocolName: null, assignment: emptyBuffer };
}

function sameProtocols(a: GroupProtocol[], b: GroupProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && p.metadata.equals(b[i].metadata));
}

function protocolNames(protocols: GroupProtocol[]): Set<string> {
  return new Set(protocols.map((p) => p.name));
}

export class Group {
  readonly groupId: string;
  private readonly context: GroupContext;
  private current: GroupState = 'Empty';
  private stateChangedAtMs: number;
  private generationId = 0;
  private protocolType: string | null = null;
  private protocolName: string | null = null;
  private leaderId: string | null = null;
  /** In join order: the leader is the first member still present. */
  private readonly members = new Map<string, Member>();
  private readonly staticMembers = new Map<string, string>();
  /** Ids handed out with MEMBER_ID_REQUIRED -> their expiry timer. */
  private readonly pendingMembers = new Map<string, TimerHandle>();
  private readonly pendingSyncMembers = new Set<string>();
  /** Protocol name -> members that support it. */
  private readonly protocolSupport = new Map<string, number>();
  private awaitingJoinCount = 0;
  private joinTimer: TimerHandle | null = null;
  /** Set while the initial rebalance delay runs: when it must end at the latest. */
  private initialDelayDeadlineMs: number | null = null;
  private newMemberAdded = false;
  private syncTimer: TimerHandle | null = null;

  constructor(groupId: string, context: GroupContext) {
    this.groupId = groupId;
    this.context = context;
    this.stateChangedAtMs = context.clock.wallMs();
  }

  get state(): GroupState {
    return this.current;
  }

  join(request: JoinRequest): Promise<JoinResponse> {
    return new Promise((respond) => this.handleJoin(request, respond));
  }

  sync(request: SyncRequest): Promise<SyncResponse> {
    return new Promise((respond) => this.handleSync(request, respond));
  }

  heartbeat(request: HeartbeatRequest): HeartbeatResponse {
    const error = this.validateMemberGeneration(request.memberId, request.groupInstanceId, request.generationId);
    if (error !== ErrorCode.NONE) return { errorCode: error };
    const member = this.members.get(request.memberId)!;
    this.restartSession(member);
    return { errorCode: this.current === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE };
  }

  leave(members: LeavingMember[]): LeaveResponse {
    if (this.current === 'Dead') return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    return {
      errorCode: ErrorCode.NONE,
      members: members.map((m) => leaveResult(m, this.leaveOne(m))),
    };
  }

  /**
   * Whether an OffsetCommit may go ahead: generation -1 without member is a
   * simple consumer, allowed only while the group is Empty. A valid member's
   * commit restarts its session, as a heartbeat does.
   */
  validateCommit(memberId: string, generationId: number, groupInstanceId: string | null): number {
    if (this.current === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (generationId < 0 && this.current === 'Empty') return ErrorCode.NONE;
    if (generationId < 0 && memberId === '' && groupInstanceId === null) return ErrorCode.UNKNOWN_MEMBER_ID;
    const error = this.validateMemberGeneration(memberId, groupInstanceId, generationId);
    if (error !== ErrorCode.NONE) return error;
    if (this.current === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    this.restartSession(this.members.get(memberId)!);
    return ErrorCode.NONE;
  }

  describe(): DescribedGroup {
    const stable = this.current === 'Stable';
    return {
      errorCode: ErrorCode.NONE,
      groupId: this.groupId,
      groupState: this.current,
      protocolType: this.protocolType ?? '',
      protocolData: stable ? this.protocolName! : '',
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? this.selectedMetadata(m) : emptyBuffer,
        memberAssignment: stable ? m.assignment : emptyBuffer,
      })),
    };
  }

  overview(): ListedGroup {
    return { groupId: this.groupId, protocolType: this.protocolType ?? '', groupState: this.current };
  }

  snapshot(): GroupSnapshot {
    return {
      groupId: this.groupId,
      state: this.current,
      stateChangedAtMs: this.stateChangedAtMs,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leaderId: this.leaderId,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        metadata: this.protocolName === null ? emptyBuffer : this.selectedMetadata(m),
        assignment: m.assignment,
      })),
    };
  }

  /** DeleteGroups: only an Empty group may go; it becomes Dead. */
  markDead(): void {
    if (this.current !== 'Empty') throw new Error(`group ${this.groupId} is ${this.current}, not Empty`);
    for (const id of [...this.pendingMembers.keys()]) this.removePendingMember(id);
    this.transitionTo('Dead');
    this.context.onChange(this.snapshot());
  }

  /** The coordinator gives the group up: every waiter gets `errorCode`, every timer stops. */
  unload(errorCode: number): void {
    for (const member of this.members.values()) {
      this.respondJoin(member, joinError(member.memberId, errorCode));
      this.respondSync(member, syncError(errorCode));
      this.stopSession(member);
    }
    for (const id of [...this.pendingMembers.keys()]) this.removePendingMember(id);
    this.cancelJoinTimer();
    this.cancelSyncTimer();
    if (this.current !== 'Dead') this.transitionTo('Dead');
  }

  // ---- JoinGroup ----

  private handleJoin(request: JoinRequest, respond: JoinWaiter): void {
    const { memberId, groupInstanceId } = request;
    if (this.current === 'Dead') {
      respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    } else if (!this.supportsProtocols(request.protocolType, request.protocols)) {
      respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    } else if (memberId === '') {
      this.joinWithoutId(request, respond);
    } else if (groupInstanceId === null && this.pendingMembers.has(memberId)) {
      this.addMemberAndRebalance(memberId, request, respond);
    } else {
      this.joinKnownMember(request, respond);
    }
    if (this.current === 'PreparingRebalance') this.tryCompleteJoin();
  }

  private joinWithoutId(request: JoinRequest, respond: JoinWaiter): void {
    const knownInstanceMemberId =
      request.groupInstanceId === null ? undefined : this.staticMembers.get(request.groupInstanceId);
    if (knownInstanceMemberId !== undefined) {
      this.replaceStaticMember(knownInstanceMemberId, request, respond);
      return;
    }
    if (this.members.size + this.pendingMembers.size >= this.context.config.maxSize) {
      respond(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
      return;
    }
    const newMemberId = `${request.clientId}-${randomUUID()}`;
    if (request.groupInstanceId === null && request.requireKnownMemberId) {
      this.addPendingMember(newMemberId, request.sessionTimeoutMs);
      respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(newMemberId, request, respond);
    }
  }

  private joinKnownMember(request: JoinRequest, respond: JoinWaiter): void {
    const error = this.validateCurrentMember(request.memberId, request.groupInstanceId);
    if (error !== ErrorCode.NONE) {
      respond(joinError(request.memberId, error));
      return;
    }
    const member = this.members.get(request.memberId)!;
    const unchanged = sameProtocols(member.protocols, request.protocols);
    const isLeader = member.memberId === this.leaderId;
    switch (this.current) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(member, request, respond);
        break;
      case 'CompletingRebalance':
        // Same metadata: it missed the join response; answer with the current generation.
        if (unchanged) respond(this.joinResult(member, this.leaderId!, isLeader, false));
        else this.updateMemberAndRebalance(member, request, respond);
        break;
      case 'Stable':
        // A rejoining leader forces a rebalance (its view of the topics may have changed).
        if (isLeader || !unchanged) this.updateMemberAndRebalance(member, request, respond);
        else respond(this.joinResult(member, this.leaderId!, false, false));
        break;
      default:
        respond(joinError(request.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private addMemberAndRebalance(memberId: string, request: JoinRequest, respond: JoinWaiter): void {
    const member: Member = {
      memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: request.clientId,
      clientHost: request.clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      protocols: request.protocols,
      assignment: emptyBuffer,
      isNew: true,
      joinWaiter: null,
      syncWaiter: null,
      sessionTimer: null,
    };
    if (this.current === 'PreparingRebalance' && this.generationId === 0) this.newMemberAdded = true;
    if (this.members.size === 0) this.protocolType = request.protocolType;
    this.removePendingMember(memberId);
    this.members.set(memberId, member);
    this.leaderId ??= memberId;
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, memberId);
    this.countSupport(member.protocols, 1);
    this.awaitJoin(member, respond);
    this.startSession(member, newMemberJoinTimeoutMs);
    this.maybePrepareRebalance();
  }

  private updateMemberAndRebalance(member: Member, request: JoinRequest, respond: JoinWaiter): void {
    this.updateMember(member, request);
    this.awaitJoin(member, respond);
    this.maybePrepareRebalance();
  }

  private updateMember(member: Member, request: JoinRequest): void {
    this.countSupport(member.protocols, -1);
    member.protocols = request.protocols;
    this.countSupport(member.protocols, 1);
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
  }

  /**
   * A known group.instance.id joins without member id (a restarted static
   * member): the new id takes over the old member, whose pending requests
   * and later ones get FENCED_INSTANCE_ID. A Stable group whose selected
   * protocol stays the same does not rebalance: the member gets the current
   * generation and, on SyncGroup, its current assignment.
   */
  private replaceStaticMember(oldMemberId: string, request: JoinRequest, respond: JoinWaiter): void {
    const member = this.members.get(oldMemberId)!;
    const previousLeader = this.leaderId!;
    this.respondJoin(member, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    this.respondSync(member, syncError(ErrorCode.FENCED_INSTANCE_ID));
    const newMemberId = `${request.clientId}-${randomUUID()}`;
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    this.staticMembers.set(member.groupInstanceId!, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    this.updateMember(member, request);
    this.restartSession(member);

    switch (this.current) {
      case 'Stable':
        if (this.selectProtocol() === this.protocolName) {
          // Before v9 the old leader id is returned, so a rejoining leader does not run a
          // pointless assignment; from v9 it is told it leads but may skip the assignment.
          const isLeader = newMemberId === this.leaderId;
          if (request.supportsSkipAssignment) respond(this.joinResult(member, this.leaderId!, isLeader, isLeader));
          else respond(this.joinResult(member, previousLeader, false, false));
          this.context.onChange(this.snapshot());
        } else {
          this.awaitJoin(member, respond);
          this.prepareRebalance();
        }
        break;
      case 'CompletingRebalance':
        // The leader may already be assigning to the old id: start over.
        this.awaitJoin(member, respond);
        this.prepareRebalance();
        break;
      case 'PreparingRebalance':
        this.awaitJoin(member, respond);
        break;
      default:
        throw new Error(`group ${this.groupId}: static member ${member.groupInstanceId} in a ${this.current} group`);
    }
  }

  private addPendingMember(memberId: string, sessionTimeoutMs: number): void {
    const timer = this.context.clock.setTimeout(() => {
      this.pendingMembers.delete(memberId);
      this.tryCompleteJoin();
    }, sessionTimeoutMs, background);
    this.pendingMembers.set(memberId, timer);
  }

  private removePendingMember(memberId: string): boolean {
    if (!this.pendingMembers.has(memberId)) return false;
    this.context.clock.clear(this.pendingMembers.get(memberId));
    this.pendingMembers.delete(memberId);
    return true;
  }

  // ---- rebalance ----

  private maybePrepareRebalance(): void {
    if (this.current === 'Empty' || this.current === 'CompletingRebalance' || this.current === 'Stable') {
      this.prepareRebalance();
    }
  }

  private prepareRebalance(): void {
    if (this.current === 'CompletingRebalance') this.failPendingSyncs(ErrorCode.REBALANCE_IN_PROGRESS);
    this.cancelSyncTimer();
    this.pendingSyncMembers.clear();
    const fromEmpty = this.current === 'Empty';
    this.transitionTo('PreparingRebalance');
    const rebalanceTimeoutMs = this.rebalanceTimeoutMs();
    if (fromEmpty) {
      const delayMs = this.context.config.initialRebalanceDelayMs;
      this.initialDelayDeadlineMs = this.context.clock.monotonicMs() + Math.max(delayMs, rebalanceTimeoutMs);
      this.newMemberAdded = false;
      this.joinTimer = this.context.clock.setTimeout(() => this.onInitialDelayExpired(), delayMs, background);
    } else {
      this.joinTimer = this.context.clock.setTimeout(() => this.completeJoin(), rebalanceTimeoutMs, background);
      this.tryCompleteJoin();
    }
  }

  private onInitialDelayExpired(): void {
    this.joinTimer = null;
    const remainingMs = this.initialDelayDeadlineMs! - this.context.clock.monotonicMs();
    if (this.newMemberAdded && remainingMs > 0) {
      this.newMemberAdded = false;
      const delayMs = Math.min(this.context.config.initialRebalanceDelayMs, remainingMs);
      this.joinTimer = this.context.clock.setTimeout(() => this.onInitialDelayExpired(), delayMs, background);
      return;
    }
    this.initialDelayDeadlineMs = null;
    this.completeJoin();
  }

  /** The join phase ends early once every member has rejoined and no member id is pending. */
  private tryCompleteJoin(): void {
    if (
      this.current === 'PreparingRebalance' &&
      this.initialDelayDeadlineMs === null &&
      this.awaitingJoinCount === this.members.size &&
      this.pendingMembers.size === 0
    ) {
      this.completeJoin();
    }
  }

  private completeJoin(): void {
    this.cancelJoinTimer();
    for (const member of [...this.members.values()]) {
      if (member.joinWaiter === null && member.groupInstanceId === null) this.removeMember(member);
    }
    if (!this.electJoinedLeader() && this.members.size > 0) {
      // Only absent static members remain: wait another round for them (or their session expiry).
      this.joinTimer = this.context.clock.setTimeout(() => this.completeJoin(), this.rebalanceTimeoutMs(), background);
      return;
    }
    this.generationId += 1;
    if (this.members.size === 0) {
      this.protocolName = null;
      this.transitionTo('Empty');
      this.context.onChange(this.snapshot());
      return;
    }
    this.protocolName = this.selectProtocol();
    this.transitionTo('CompletingRebalance');
    for (const member of this.members.values()) {
      const isLeader = member.memberId === this.leaderId;
      this.respondJoin(member, this.joinResult(member, this.leaderId!, isLeader, false));
      member.isNew = false;
      this.restartSession(member);
      this.pendingSyncMembers.add(member.memberId);
    }
    this.syncTimer = this.context.clock.setTimeout(() => this.onSyncExpired(), this.rebalanceTimeoutMs(), background);
  }

  /** Keeps the leader if it rejoined, else picks the first member that did; false if none did. */
  private electJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)!.joinWaiter !== null) return true;
    for (const member of this.members.values()) {
      if (member.joinWaiter !== null) {
        this.leaderId = member.memberId;
        return true;
      }
    }
    return false;
  }

  private joinResult(member: Member, leader: string, withMembers: boolean, skipAssignment: boolean): JoinResponse {
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader,
      skipAssignment,
      memberId: member.memberId,
      members: withMembers
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: this.selectedMetadata(m),
          }))
        : [],
    };
  }

  // ---- SyncGroup ----

  private handleSync(request: SyncRequest, respond: SyncWaiter): void {
    let error = this.validateMemberGeneration(request.memberId, request.groupInstanceId, request.generationId);
    if (
      error === ErrorCode.NONE &&
      ((request.protocolType !== null && request.protocolType !== this.protocolType) ||
        (request.protocolName !== null && request.protocolName !== this.protocolName))
    ) {
      error = ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    }
    if (error !== ErrorCode.NONE) {
      respond(syncError(error));
      return;
    }
    const member = this.members.get(request.memberId)!;
    switch (this.current) {
      case 'PreparingRebalance':
        respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        break;
      case 'CompletingRebalance':
        this.awaitSync(member, respond);
        this.markSynced(member.memberId);
        if (member.memberId === this.leaderId) this.completeSync(request.assignments);
        break;
      case 'Stable':
        this.markSynced(member.memberId);
        respond(this.syncResult(member));
        this.restartSession(member);
        break;
      default:
        respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  /** The leader's assignments arrived: every member gets its own (empty if none), the group is Stable. */
  private completeSync(assignments: SyncRequest['assignments']): void {
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    for (const member of this.members.values()) member.assignment = byMember.get(member.memberId) ?? emptyBuffer;
    this.transitionTo('Stable');
    for (const member of this.members.values()) {
      if (this.respondSync(member, this.syncResult(member))) this.restartSession(member);
    }
    this.context.onChange(this.snapshot());
  }

  private failPendingSyncs(errorCode: number): void {
    for (const member of this.members.values()) {
      member.assignment = emptyBuffer;
      if (this.respondSync(member, syncError(errorCode))) this.restartSession(member);
    }
  }

  private syncResult(member: Member): SyncResponse {
    return {
      errorCode: ErrorCode.NONE,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      assignment: member.assignment,
    };
  }

  private markSynced(memberId: string): void {
    this.pendingSyncMembers.delete(memberId);
    if (this.pendingSyncMembers.size === 0) this.cancelSyncTimer();
  }

  /** Runs only in the generation that set it: every rebalance cancels it. */
  private onSyncExpired(): void {
    this.syncTimer = null;
    for (const memberId of [...this.pendingSyncMembers]) this.removeMember(this.members.get(memberId)!);
    this.prepareRebalance();
  }

  // ---- leaving and expiry ----

  private leaveOne({ memberId, groupInstanceId }: LeavingMember): number {
    if (memberId === '') {
      const staticMemberId = groupInstanceId === null ? undefined : this.staticMembers.get(groupInstanceId);
      if (staticMemberId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.removeMemberAndUpdateGroup(this.members.get(staticMemberId)!);
      return ErrorCode.NONE;
    }
    if (this.removePendingMember(memberId)) {
      this.tryCompleteJoin();
      return ErrorCode.NONE;
    }
    const error = this.validateCurrentMember(memberId, groupInstanceId);
    if (error === ErrorCode.NONE) this.removeMemberAndUpdateGroup(this.members.get(memberId)!);
    return error;
  }

  private removeMemberAndUpdateGroup(member: Member): void {
    this.removeMember(member);
    if (this.current === 'PreparingRebalance') this.tryCompleteJoin();
    else this.maybePrepareRebalance();
  }

  private removeMember(member: Member): void {
    this.respondJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    this.respondSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    this.stopSession(member);
    this.members.delete(member.memberId);
    this.countSupport(member.protocols, -1);
    if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    this.markSynced(member.memberId);
    if (this.leaderId === member.memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  private restartSession(member: Member): void {
    this.startSession(member, member.sessionTimeoutMs);
  }

  private startSession(member: Member, timeoutMs: number): void {
    this.stopSession(member);
    member.sessionTimer = this.context.clock.setTimeout(() => this.onSessionExpired(member), timeoutMs, background);
  }

  private stopSession(member: Member): void {
    if (member.sessionTimer !== null) this.context.clock.clear(member.sessionTimer);
    member.sessionTimer = null;
  }

  private onSessionExpired(member: Member): void {
    member.sessionTimer = null;
    // A member waiting for a join or sync response cannot heartbeat; that response restarts its session.
    const waiting = member.joinWaiter !== null || member.syncWaiter !== null;
    if (waiting && !member.isNew) return;
    this.removeMemberAndUpdateGroup(member);
  }

  // ---- waiters ----

  private awaitJoin(member: Member, waiter: JoinWaiter): void {
    this.respondJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    member.joinWaiter = waiter;
    this.awaitingJoinCount += 1;
  }

  private respondJoin(member: Member, response: JoinResponse): boolean {
    const waiter = member.joinWaiter;
    if (waiter === null) return false;
    member.joinWaiter = null;
    this.awaitingJoinCount -= 1;
    waiter(response);
    return true;
  }

  private awaitSync(member: Member, waiter: SyncWaiter): void {
    this.respondSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    member.syncWaiter = waiter;
  }

  private respondSync(member: Member, response: SyncResponse): boolean {
    const waiter = member.syncWaiter;
    if (waiter === null) return false;
    member.syncWaiter = null;
    waiter(response);
    return true;
  }

  // ---- validation and protocol selection ----

  /** A static member's instance id must map to the member id; a dynamic member must be known. */
  private validateCurrentMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = this.staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      return current === memberId ? ErrorCode.NONE : ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  private validateMemberGeneration(memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (this.current === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const error = this.validateCurrentMember(memberId, groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    return generationId === this.generationId ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
  }

  /** An empty group takes any protocol type; otherwise the type must match and one protocol be common to all. */
  private supportsProtocols(protocolType: string, protocols: GroupProtocol[]): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    if (this.current === 'Empty') return true;
    if (protocolType !== this.protocolType) return false;
    return protocols.some((p) => (this.protocolSupport.get(p.name) ?? 0) === this.members.size);
  }

  private countSupport(protocols: GroupProtocol[], delta: 1 | -1): void {
    for (const name of protocolNames(protocols)) {
      const count = (this.protocolSupport.get(name) ?? 0) + delta;
      if (count === 0) this.protocolSupport.delete(name);
      else this.protocolSupport.set(name, count);
    }
  }

  /**
   * Kafka's vote: among the protocols every member supports, each member
   * votes for its most preferred one; most votes wins, ties go to the
   * protocol voted for first in join order.
   */
  private selectProtocol(): string {
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const choice = member.protocols.find((p) => this.protocolSupport.get(p.name) === this.members.size);
      if (choice === undefined) throw new Error(`group ${this.groupId}: no protocol common to all members`);
      votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let winner = '';
    let most = 0;
    for (const [name, count] of votes) {
      if (count > most) [winner, most] = [name, count];
    }
    return winner;
  }

  private selectedMetadata(member: Member): Buffer {
    return member.protocols.find((p) => p.name === this.protocolName)?.metadata ?? emptyBuffer;
  }

  private rebalanceTimeoutMs(): number {
    let timeoutMs = 0;
    for (const member of this.members.values()) timeoutMs = Math.max(timeoutMs, member.rebalanceTimeoutMs);
    return timeoutMs;
  }

  private transitionTo(state: GroupState): void {
    if (!validPreviousStates[state].includes(this.current)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.current} -> ${state}`);
    }
    this.current = state;
    this.stateChangedAtMs = this.context.clock.wallMs();
  }

  private cancelJoinTimer(): void {
    if (this.joinTimer !== null) this.context.clock.clear(this.joinTimer);
    this.joinTimer = null;
  }

  private cancelSyncTimer(): void {
    if (this.syncTimer !== null) this.context.clock.clear(this.syncTimer);
    this.syncTimer = null;
  }
}
