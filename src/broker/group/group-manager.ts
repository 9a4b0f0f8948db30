/**
 * Every classic consumer group this coordinator holds: finds or creates the
 * group a request names, answers for groups it does not know the way Kafka
 * does, and lists, describes and deletes groups. The membership state
 * machine itself is `Group`; this module only routes to it.
 *
 * - A group is created by a JoinGroup without member id, or by a simple
 *   consumer's offset commit (generation -1) through `isValidCommit`; at
 *   most `maxGroups` groups exist at once: at that cap `makeRoom` may free
 *   some (the coordinator evicts expired Empty groups), else the new group
 *   is refused with COORDINATOR_NOT_AVAILABLE.
 * - Unknown group: JoinGroup with a member id, SyncGroup, Heartbeat and each
 *   LeaveGroup member get UNKNOWN_MEMBER_ID; DescribeGroups answers a Dead
 *   group without error (as Kafka does up to v5); DeleteGroups answers
 *   GROUP_ID_NOT_FOUND. Only an Empty group can be deleted.
 * - JoinGroup checks the group id and the session timeout against
 *   `GroupConfig` before anything else.
 * Committed offsets are not kept here: the offsets side asks `isValidCommit`
 * and follows `onGroupChange` to persist group state.
 */
import type { Time } from '../../clock.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { groupConfigDefaults, type GroupConfig } from './constants.ts';
import {
  Group,
  joinError,
  leaveResult,
  syncError,
  type DescribedGroup,
  type GroupContext,
  type GroupSnapshot,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type JoinRequest,
  type JoinResponse,
  type LeaveRequest,
  type LeaveResponse,
  type ListedGroup,
  type SyncRequest,
  type SyncResponse,
} from './group.ts';

export interface GroupManagerOptions {
  config?: Partial<GroupConfig>;
  clock: Time;
  /** Called after a rebalance completes, a group becomes Empty, or a group is deleted (state Dead). */
  onGroupChange?: (snapshot: GroupSnapshot) => void;
  /** Called at the group cap before a new group is refused: deletes groups it may (delete()) and says whether it did. */
  makeRoom?: () => boolean;
}

export interface DeletedGroup {
  groupId: string;
  errorCode: number;
}

export class GroupManager {
  private readonly groups = new Map<string, Group>();
  private readonly context: GroupContext;
  private readonly makeRoom: () => boolean;

  constructor(options: GroupManagerOptions) {
    this.makeRoom = options.makeRoom ?? (() => false);
    this.context = {
      clock: options.clock,
      config: { ...groupConfigDefaults, ...options.config },
      onChange: options.onGroupChange ?? (() => {}),
    };
  }

  async join(request: JoinRequest): Promise<JoinResponse> {
    const { groupId, memberId } = request;
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = this.context.config;
    if (groupId === '') return joinError(memberId, ErrorCode.INVALID_GROUP_ID);
    if (request.sessionTimeoutMs < minSessionTimeoutMs || request.sessionTimeoutMs > maxSessionTimeoutMs) {
      return joinError(memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    let group = this.groups.get(groupId);
    if (group === undefined) {
      if (memberId !== '') return joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      if (request.protocolType === '' || request.protocols.length === 0) {
        return joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      }
      group = this.create(groupId);
      if (group === undefined) return joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    return group.join(request);
  }

  async sync(request: SyncRequest): Promise<SyncResponse> {
    if (request.groupId === '') return syncError(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(request.groupId);
    if (group === undefined) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    return group.sync(request);
  }

  async heartbeat(request: HeartbeatRequest): Promise<HeartbeatResponse> {
    if (request.groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID };
    const group = this.groups.get(request.groupId);
    if (group === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    return group.heartbeat(request);
  }

  async leave(request: LeaveRequest): Promise<LeaveResponse> {
    if (request.groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.groups.get(request.groupId);
    if (group === undefined) {
      return {
        errorCode: ErrorCode.NONE,
        members: request.members.map((m) => leaveResult(m, ErrorCode.UNKNOWN_MEMBER_ID)),
      };
    }
    return group.leave(request.members);
  }

  async describe(groupIds: string[]): Promise<DescribedGroup[]> {
    return groupIds.map(
      (groupId) =>
        this.groups.get(groupId)?.describe() ?? {
          errorCode: ErrorCode.NONE,
          groupId,
          groupState: 'Dead',
          protocolType: '',
          protocolData: '',
          members: [],
        },
    );
  }

  /** ListGroups; `statesFilter` matches state names case-insensitively, empty lists every group. */
  async list(statesFilter: string[] = []): Promise<ListedGroup[]> {
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    const listed: ListedGroup[] = [];
    for (const group of this.groups.values()) {
      if (wanted.size === 0 || wanted.has(group.state.toLowerCase())) listed.push(group.overview());
    }
    return listed;
  }

  async delete(groupIds: string[]): Promise<DeletedGroup[]> {
    return groupIds.map((groupId) => {
      const group = this.groups.get(groupId);
      if (group === undefined) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
      if (group.state !== 'Empty') return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
      this.groups.delete(groupId);
      group.markDead();
      return { groupId, errorCode: ErrorCode.NONE };
    });
  }

  /**
   * May this OffsetCommit go ahead (NONE) or which error answers it?
   * Generation -1 without member id is a simple consumer: allowed while the
   * group is Empty, and an unknown group is then created Empty (so it is
   * listed, as Kafka does). An unknown group with a generation gets
   * ILLEGAL_GENERATION; members are checked as for Heartbeat, and a group
   * still completing its rebalance answers REBALANCE_IN_PROGRESS.
   */
  isValidCommit(groupId: string, memberId: string, generationId: number, groupInstanceId: string | null): number {
    const group = this.groups.get(groupId);
    if (group !== undefined) return group.validateCommit(memberId, generationId, groupInstanceId);
    if (generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
    return this.create(groupId) === undefined ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.NONE;
  }

  has(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** The ids of the Empty groups. */
  emptyGroupIds(): string[] {
    return [...this.groups.values()].filter((g) => g.state === 'Empty').map((g) => g.groupId);
  }

  /** Gives these groups up (this node stopped coordinating them): waiting members get NOT_COORDINATOR. */
  unload(groupIds: string[]): void {
    for (const groupId of groupIds) {
      this.groups.get(groupId)?.unload(ErrorCode.NOT_COORDINATOR);
      this.groups.delete(groupId);
    }
  }

  /** Gives every group up (shutdown or resignation): waiting members get NOT_COORDINATOR. */
  close(): void {
    for (const group of this.groups.values()) group.unload(ErrorCode.NOT_COORDINATOR);
    this.groups.clear();
  }

  private create(groupId: string): Group | undefined {
    if (this.groups.size >= this.context.config.maxGroups && (!this.makeRoom() || this.groups.size >= this.context.config.maxGroups)) return undefined;
    const group = new Group(groupId, this.context);
    this.groups.set(groupId, group);
    return group;
  }
}
