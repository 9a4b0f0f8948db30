/**
 * Consumer-group administration on a Cluster, shaped for the CLI: list the
 * groups of every broker, describe one (members with their decoded
 * consumer-protocol assignments), read, commit and reset committed
 * offsets, delete groups or some of their committed offsets. Commits are made from outside the membership
 * (generation -1, no member id), which the coordinator accepts only while
 * the group is Empty, unless a member of the current generation is named
 * (as src/client/group-member.ts does).
 *
 * Each group request goes to the group's coordinator, asked again while
 * it moves or loads (coordinator-requests.ts); so is a broker's ListGroups
 * while it is still loading its groups. Other Kafka errors throw
 * ClientError.
 */
import { ErrorCode } from '../protocol/errors.ts';
import { decodeConsumerAssignment } from '../protocol/consumer-protocol.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import { check } from './admin.ts';
import type { Cluster } from './cluster.ts';
import type { BrokerConnection } from '../net/connection.ts';
import { coordinatorKinds, CoordinatorRequests } from './coordinator-requests.ts';
import { listOffsets, offsetSpec } from './consumer.ts';

const api = {
  offsetCommit: { key: ApiKeys.OffsetCommit, max: 8 },
  offsetFetch: { key: ApiKeys.OffsetFetch, max: 7 },
  describeGroups: { key: ApiKeys.DescribeGroups, max: 5 },
  listGroups: { key: ApiKeys.ListGroups, max: 4 },
  deleteGroups: { key: ApiKeys.DeleteGroups, max: 2 },
  offsetDelete: { key: ApiKeys.OffsetDelete, max: 0 },
} as const;


export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface GroupListing {
  groupId: string;
  state: string;
  members: number;
  protocolType: string;
  /** The selected protocol (assignor), '' unless the group is Stable. */
  protocol: string;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Decoded when the group speaks the consumer protocol; empty otherwise. */
  assignment: TopicPartitions[];
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMember[];
}

export interface GroupOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** null: nothing committed. */
  committedOffset: bigint | null;
  /** null: the topic or partition no longer exists. */
  logEndOffset: bigint | null;
  /** Log end offset minus committed offset; null when either is unknown. */
  lag: bigint | null;
  /** The member the partition is assigned to, if any. */
  member: GroupMember | null;
}

/** Topic partitions a consumer-protocol assignment carries; [] when the bytes are not one. */
export function decodeAssignment(bytes: Buffer): TopicPartitions[] {
  try {
    return decodeConsumerAssignment(bytes).assignedPartitions;
  } catch {
    return [];
  }
}

export class GroupAdmin {
  private readonly cluster: Cluster;
  private readonly coordinators: CoordinatorRequests;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
    this.coordinators = new CoordinatorRequests(cluster, coordinatorKinds.group);
  }

  /** Every group of every broker, with state, member count and protocol. */
  async listGroups(): Promise<GroupListing[]> {
    const metadata = await this.cluster.refreshMetadata([]);
    const perBroker = await Promise.all(
      [...metadata.brokers.keys()].map(async (nodeId) => {
        const connection = await this.cluster.broker(nodeId);
        const listed = await this.coordinators.retrying(() => connection.request(api.listGroups.key, api.listGroups.max, { statesFilter: [], typesFilter: [] }));
        check(listed.errorCode, null, `listing the groups of broker ${nodeId}`);
        const ids = listed.groups.map((g) => g.groupId);
        if (ids.length === 0) return [];
        const described = await connection.request(api.describeGroups.key, api.describeGroups.max, { groups: ids, includeAuthorizedOperations: false });
        return described.groups
          .filter((g) => g.errorCode === ErrorCode.NONE && g.groupState !== 'Dead')
          .map((g) => ({ groupId: g.groupId, state: g.groupState, members: g.members.length, protocolType: g.protocolType, protocol: g.protocolData }));
      }),
    );
    return perBroker.flat().sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  /** The group as its coordinator sees it; state 'Dead' when it does not exist. */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    const described = await this.withCoordinator(groupId, 'describing', async (connection) => {
      const response = await connection.request(api.describeGroups.key, api.describeGroups.max, { groups: [groupId], includeAuthorizedOperations: false });
      return response.groups[0];
    });
    const consumer = described.protocolType === 'consumer';
    return {
      groupId,
      state: described.groupState,
      protocolType: described.protocolType,
      protocol: described.protocolData,
      members: described.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: consumer ? decodeAssignment(m.memberAssignment) : [],
      })),
    };
  }

  /** Every committed offset of the group. */
  async committedOffsets(groupId: string): Promise<GroupOffset[]> {
    const response = await this.withCoordinator(groupId, 'reading the offsets of', (connection) =>
      connection.request(api.offsetFetch.key, api.offsetFetch.max, { groupId, topics: null, requireStable: false, groups: [] }),
    );
    const offsets: GroupOffset[] = [];
    for (const topic of response.topics) {
      for (const p of topic.partitions) {
        check(p.errorCode, null, `reading the offset of group '${groupId}' for ${topic.name}/${p.partitionIndex}`);
        if (p.committedOffset >= 0n) offsets.push({ topic: topic.name, partition: p.partitionIndex, offset: p.committedOffset });
      }
    }
    return offsets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /**
   * Commits offsets for the group: from outside its membership by default
   * (the group must be Empty), or as `member` of the current generation.
   */
  async commitOffsets(groupId: string, offsets: GroupOffset[], member = { generationId: -1, memberId: '' }): Promise<void> {
    const topics = [...new Set(offsets.map((o) => o.topic))].map((name) => ({
      name,
      partitions: offsets
        .filter((o) => o.topic === name)
        .map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })),
    }));
    const response = await this.withCoordinator(groupId, 'committing offsets of', async (connection) => {
      const answer = await connection.request(api.offsetCommit.key, api.offsetCommit.max, {
        groupId,
        generationIdOrMemberEpoch: member.generationId,
        memberId: member.memberId,
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics,
      });
      // A coordinator error is repeated on every partition: the first one tells.
      return { ...answer, errorCode: answer.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.NONE };
    });
    for (const topic of response.topics) {
      for (const p of topic.partitions) check(p.errorCode, null, `committing the offset of group '${groupId}' for ${topic.name}/${p.partitionIndex}`);
    }
  }

  /**
   * Per partition the group has committed or is assigned: committed offset,
   * log end offset, lag and owner, ordered by topic and partition.
   */
  async lag(group: GroupDescription, committed: GroupOffset[]): Promise<PartitionLag[]> {
    const rows = new Map<string, PartitionLag>();
    const row = (topic: string, partition: number): PartitionLag => {
      const key = `${topic}\0${partition}`;
      let found = rows.get(key);
      if (found === undefined) rows.set(key, (found = { topic, partition, committedOffset: null, logEndOffset: null, lag: null, member: null }));
      return found;
    };
    for (const c of committed) row(c.topic, c.partition).committedOffset = c.offset;
    for (const member of group.members) {
      for (const { topic, partitions } of member.assignment) for (const p of partitions) row(topic, p).member = member;
    }
    const topics = new Set([...rows.values()].map((r) => r.topic));
    await Promise.all(
      [...topics].map(async (topic) => {
        const topicRows = [...rows.values()].filter((r) => r.topic === topic);
        const metadata = (await this.cluster.refreshMetadata([topic])).topics.get(topic);
        const existing = topicRows.filter((r) => r.partition < (metadata?.errorCode === ErrorCode.NONE ? metadata.partitions.length : 0));
        if (existing.length === 0) return;
        const ends = await listOffsets(this.cluster, topic, existing.map((r) => r.partition), offsetSpec.latest);
        for (const r of existing) {
          r.logEndOffset = ends.get(r.partition) ?? null;
          if (r.logEndOffset !== null && r.committedOffset !== null) r.lag = r.logEndOffset - r.committedOffset;
        }
      }),
    );
    return [...rows.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.withCoordinator(groupId, 'deleting', async (connection) => {
      const response = await connection.request(api.deleteGroups.key, api.deleteGroups.max, { groupsNames: [groupId] });
      return response.results[0];
    });
  }

  /** Deletes the group's committed offsets of `partitions` (OffsetDelete); throws naming the first partition refused. */
  async deleteOffsets(groupId: string, partitions: TopicPartitions[]): Promise<void> {
    const response = await this.withCoordinator(groupId, 'deleting offsets of', (connection) =>
      connection.request(api.offsetDelete.key, api.offsetDelete.max, {
        groupId,
        topics: partitions.map((t) => ({ name: t.topic, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex })) })),
      }),
    );
    for (const topic of response.topics) {
      for (const p of topic.partitions) check(p.errorCode, null, `deleting the offset of group '${groupId}' for ${topic.name}/${p.partitionIndex}`);
    }
  }

  /** Runs `request` against the group's coordinator (coordinator-requests.ts). */
  withCoordinator<T extends { errorCode: number }>(groupId: string, what: string, request: (connection: BrokerConnection) => Promise<T>): Promise<T> {
    return this.coordinators.withCoordinator(groupId, what, request);
  }
}
