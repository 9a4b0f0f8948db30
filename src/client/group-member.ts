/**
 * One consumer's membership in a classic consumer group (Kafka's
 * JoinGroup / SyncGroup / Heartbeat / LeaveGroup protocol, protocol type
 * "consumer", the "range" assignor), for `kb consume -g`:
 *
 * - `join()` joins (answering MEMBER_ID_REQUIRED by rejoining with the id
 *   given), runs the range assignment when this member is the leader,
 *   syncs, starts heartbeats and returns this member's partitions. A
 *   rebalance during the sync rejoins.
 * - Heartbeats every `heartbeatIntervalMs`; when the coordinator answers
 *   that the group is rebalancing (or this generation or member is gone),
 *   `rebalanceNeeded` becomes true and the caller should commit what it
 *   has, then `join()` again.
 * - `commit()` commits offsets as this member of this generation; when the
 *   generation has moved on it sets `rebalanceNeeded` instead of failing
 *   (the records are delivered again to the partition's next owner).
 * - `leave()` stops heartbeats and leaves, so the others rebalance at once.
 *
 * Requests go to the group coordinator through GroupAdmin.withCoordinator
 * (which finds it and retries while it moves or loads).
 */
import { ErrorCode } from '../protocol/errors.ts';
import { decodeConsumerSubscription, encodeConsumerAssignment, encodeConsumerSubscription } from '../protocol/consumer-protocol.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import type { Cluster } from './cluster.ts';
import { ClientError } from '../net/connection.ts';
import { decodeAssignment, GroupAdmin, type GroupOffset, type TopicPartitions } from './groups.ts';

const api = {
  joinGroup: { key: ApiKeys.JoinGroup, max: 6 },
  heartbeat: { key: ApiKeys.Heartbeat, max: 4 },
  leaveGroup: { key: ApiKeys.LeaveGroup, max: 4 },
  syncGroup: { key: ApiKeys.SyncGroup, max: 4 },
} as const;

const protocolType = 'consumer';
const assignor = 'range';

export interface MembershipOptions {
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
}

export const defaultMembershipOptions: MembershipOptions = { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, heartbeatIntervalMs: 3_000 };

/** Errors that mean "this generation is over: join again". */
const rejoinErrors: ReadonlySet<number> = new Set([ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID]);

function kafkaErrorOf(err: unknown): number | null {
  return err instanceof ClientError && typeof err.cause === 'number' ? err.cause : null;
}

/**
 * Kafka's range assignor: per topic, the members subscribed to it (sorted
 * by id) get consecutive ranges of its partitions, the first
 * `partitions % members` one extra.
 */
export function rangeAssign(subscriptions: Map<string, string[]>, partitionCounts: Map<string, number>): Map<string, TopicPartitions[]> {
  const out = new Map<string, TopicPartitions[]>([...subscriptions.keys()].map((m) => [m, []]));
  const topics = [...new Set([...subscriptions.values()].flat())].sort();
  for (const topic of topics) {
    const members = [...subscriptions].filter(([, t]) => t.includes(topic)).map(([m]) => m).sort();
    const count = partitionCounts.get(topic) ?? 0;
    const base = Math.floor(count / members.length);
    const extra = count % members.length;
    let next = 0;
    members.forEach((member, i) => {
      const take = base + (i < extra ? 1 : 0);
      if (take > 0) out.get(member)!.push({ topic, partitions: Array.from({ length: take }, (_, k) => next + k) });
      next += take;
    });
  }
  return out;
}

export class GroupMembership {
  readonly groupId: string;
  rebalanceNeeded = false;
  private readonly cluster: Cluster;
  private readonly admin: GroupAdmin;
  private readonly topics: string[];
  private readonly options: MembershipOptions;
  private memberId = '';
  private generationId = -1;
  private heartbeats: NodeJS.Timeout | null = null;

  constructor(cluster: Cluster, groupId: string, topics: string[], options: Partial<MembershipOptions> = {}) {
    this.cluster = cluster;
    this.admin = new GroupAdmin(cluster);
    this.groupId = groupId;
    this.topics = topics;
    this.options = { ...defaultMembershipOptions, ...options };
  }

  /** Joins (or rejoins) the group and returns the partitions assigned to this member. */
  async join(): Promise<TopicPartitions[]> {
    this.stopHeartbeats();
    for (;;) {
      this.rebalanceNeeded = false;
      let joined;
      try {
        joined = await this.admin.withCoordinator(this.groupId, 'joining', async (coordinator) => {
          const request = (memberId: string) =>
            coordinator.request(api.joinGroup.key, api.joinGroup.max, {
              groupId: this.groupId,
              sessionTimeoutMs: this.options.sessionTimeoutMs,
              rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
              memberId,
              groupInstanceId: null,
              protocolType,
              protocols: [{ name: assignor, metadata: encodeConsumerSubscription(this.topics) }],
              reason: null,
            });
          const answer = await request(this.memberId);
          return answer.errorCode === ErrorCode.MEMBER_ID_REQUIRED ? request(answer.memberId) : answer;
        });
      } catch (err) {
        if (kafkaErrorOf(err) !== ErrorCode.UNKNOWN_MEMBER_ID) throw err;
        this.memberId = '';
        continue;
      }
      this.memberId = joined.memberId;
      this.generationId = joined.generationId;
      const assignments = joined.leader === joined.memberId ? await this.assign(joined.members) : [];
      try {
        const synced = await this.admin.withCoordinator(this.groupId, 'syncing with', (coordinator) =>
          coordinator.request(api.syncGroup.key, api.syncGroup.max, {
            groupId: this.groupId,
            generationId: this.generationId,
            memberId: this.memberId,
            groupInstanceId: null,
            protocolType,
            protocolName: assignor,
            assignments,
          }),
        );
        this.startHeartbeats();
        return decodeAssignment(synced.assignment);
      } catch (err) {
        if (!rejoinErrors.has(kafkaErrorOf(err) ?? ErrorCode.NONE)) throw err;
      }
    }
  }

  /** The group's committed offset of each partition that has one. */
  async committed(): Promise<GroupOffset[]> {
    return this.admin.committedOffsets(this.groupId);
  }

  /** Commits as this member; a generation that moved on sets rebalanceNeeded instead of throwing. */
  async commit(offsets: GroupOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    try {
      await this.admin.commitOffsets(this.groupId, offsets, { generationId: this.generationId, memberId: this.memberId });
    } catch (err) {
      if (!rejoinErrors.has(kafkaErrorOf(err) ?? ErrorCode.NONE)) throw err;
      this.rebalanceNeeded = true;
    }
  }

  /** Stops heartbeats and leaves the group (best effort: the session timeout covers a failure). */
  async leave(): Promise<void> {
    this.stopHeartbeats();
    if (this.memberId === '') return;
    const memberId = this.memberId;
    this.memberId = '';
    await this.admin
      .withCoordinator(this.groupId, 'leaving', (coordinator) =>
        coordinator.request(api.leaveGroup.key, api.leaveGroup.max, {
          groupId: this.groupId,
          memberId,
          members: [{ memberId, groupInstanceId: null, reason: 'the consumer is closing' }],
        }),
      )
      .catch(() => undefined);
  }

  private async assign(members: { memberId: string; metadata: Buffer }[]): Promise<{ memberId: string; assignment: Buffer }[]> {
    const subscriptions = new Map(members.map((m) => [m.memberId, decodeConsumerSubscription(m.metadata).topics]));
    const topics = [...new Set([...subscriptions.values()].flat())];
    const metadata = await this.cluster.refreshMetadata(topics);
    const counts = new Map(topics.map((t) => [t, metadata.topics.get(t)?.errorCode === ErrorCode.NONE ? metadata.topics.get(t)!.partitions.length : 0]));
    return [...rangeAssign(subscriptions, counts)].map(([memberId, assigned]) => ({ memberId, assignment: encodeConsumerAssignment(assigned) }));
  }

  private startHeartbeats(): void {
    this.heartbeats = setInterval(() => void this.heartbeat(), this.options.heartbeatIntervalMs);
    this.heartbeats.unref();
  }

  private stopHeartbeats(): void {
    if (this.heartbeats) clearInterval(this.heartbeats);
    this.heartbeats = null;
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.admin.withCoordinator(this.groupId, 'heartbeating in', (coordinator) =>
        coordinator.request(api.heartbeat.key, api.heartbeat.max, {
          groupId: this.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: null,
        }),
      );
    } catch (err) {
      if (rejoinErrors.has(kafkaErrorOf(err) ?? ErrorCode.NONE)) this.rebalanceNeeded = true;
    }
  }
}
