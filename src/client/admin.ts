/**
 * Admin operations on a Cluster, shaped for the CLI: topics (create, delete,
 * add partitions, describe with offsets and sizes, delete records before
 * an offset per partition), configs (describe,
 * incremental alter), partition reassignments (alter, list), the cluster
 * description, the metadata quorum and leader elections.
 * Each returns plain results and throws ClientError with a readable message
 * on a Kafka error code.
 */
import { ErrorCode, errorName } from '../protocol/errors.ts';
import { ClientError, type BrokerConnection } from '../net/connection.ts';
import type { Cluster, TopicInfo } from './cluster.ts';
import { knownTopic } from './known-topic.ts';
import { metadataTopicName, zeroUuid } from '../protocol/well-known.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';

const api = {
  listOffsets: { key: ApiKeys.ListOffsets, max: 5 },
  createTopics: { key: ApiKeys.CreateTopics, max: 7 },
  deleteTopics: { key: ApiKeys.DeleteTopics, max: 6 },
  deleteRecords: { key: ApiKeys.DeleteRecords, max: 2 },
  describeConfigs: { key: ApiKeys.DescribeConfigs, max: 4 },
  describeLogDirs: { key: ApiKeys.DescribeLogDirs, max: 4 },
  createPartitions: { key: ApiKeys.CreatePartitions, max: 3 },
  electLeaders: { key: ApiKeys.ElectLeaders, max: 2 },
  incrementalAlterConfigs: { key: ApiKeys.IncrementalAlterConfigs, max: 1 },
  alterPartitionReassignments: { key: ApiKeys.AlterPartitionReassignments, max: 0 },
  listPartitionReassignments: { key: ApiKeys.ListPartitionReassignments, max: 0 },
  describeQuorum: { key: ApiKeys.DescribeQuorum, max: 2 },
  describeCluster: { key: ApiKeys.DescribeCluster, max: 1 },
} as const;

const topicResource = 2;
const brokerResource = 4;

/** Throws a ClientError for a non-zero Kafka error code. */
export function check(errorCode: number, errorMessage: string | null | undefined, what: string): void {
  if (errorCode === ErrorCode.NONE) return;
  throw new ClientError(`${what}: ${errorMessage || errorName(errorCode)} (${errorName(errorCode)})`, { cause: errorCode });
}

export interface NewTopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export interface ConfigValue {
  name: string;
  value: string | null;
  isDefault: boolean;
  source: number;
  readOnly: boolean;
}

export interface PartitionOffsets {
  partition: number;
  /** null when the partition has no leader to ask. */
  logStartOffset: bigint | null;
  logEndOffset: bigint | null;
}

/** One partition's move: the target replicas, or null to cancel the move in progress. */
export interface PartitionMove {
  topic: string;
  partition: number;
  replicas: number[] | null;
}

export interface MoveResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface OngoingMove {
  topic: string;
  partition: number;
  /** The union of the old and the target replicas while moving. */
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export interface QuorumReplica {
  replicaId: number;
  /** -1 when unknown. */
  logEndOffset: bigint;
  /** The leader's wall clock (ms); -1 when unknown. */
  lastFetchTimestamp: bigint;
  lastCaughtUpTimestamp: bigint;
}

export interface QuorumInfo {
  leaderId: number;
  leaderEpoch: number;
  highWatermark: bigint;
  voters: QuorumReplica[];
  observers: QuorumReplica[];
}

const electionTypes = { preferred: 0, unclean: 1 } as const;

export class Admin {
  private readonly cluster: Cluster;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  /** Creates one topic (partitions or replicationFactor -1: the broker's default); the answer has the partition count made. */
  async createTopic(spec: NewTopicSpec, validateOnly = false): Promise<{ topicId: Buffer; numPartitions: number; errorCode: number; errorMessage: string | null }> {
    const controller = await this.cluster.controller();
    const response = await controller.request(api.createTopics.key, api.createTopics.max, {
      topics: [
        {
          name: spec.name,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor,
          assignments: [],
          configs: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
        },
      ],
      timeoutMs: 30_000,
      validateOnly,
    });
    return response.topics[0];
  }

  async deleteTopics(names: string[]): Promise<{ name: string; errorCode: number; errorMessage: string | null }[]> {
    const controller = await this.cluster.controller();
    const response = await controller.request(api.deleteTopics.key, api.deleteTopics.max, {
      topics: names.map((name) => ({ name, topicId: zeroUuid })),
      topicNames: names,
      timeoutMs: 30_000,
    });
    // Topics asked for by name are answered by name (null names answer topic ids).
    return response.responses.map((r) => ({ name: r.name ?? '', errorCode: r.errorCode, errorMessage: r.errorMessage }));
  }

  /**
   * Deletes the records of `topic` before each partition's offset (its log
   * start moves there), asking each partition's leader; resolves with each
   * partition's new log start, or throws naming the first that failed.
   */
  async deleteRecords(topic: TopicInfo, before: Map<number, bigint>): Promise<Map<number, bigint>> {
    const starts = new Map<number, bigint>();
    await Promise.all(
      [...before].map(async ([partition, offset]) => {
        const connection = await this.cluster.broker(topic.partitions[partition].leader);
        const response = await connection.request(api.deleteRecords.key, api.deleteRecords.max, {
          topics: [{ name: topic.name, partitions: [{ partitionIndex: partition, offset }] }],
          timeoutMs: 30_000,
        });
        const result = response.topics[0].partitions[0];
        check(result.errorCode, null, `deleting records of ${topic.name}/${partition}`);
        starts.set(partition, result.lowWatermark);
      }),
    );
    return starts;
  }

  async createPartitions(name: string, count: number): Promise<void> {
    const controller = await this.cluster.controller();
    const response = await controller.request(api.createPartitions.key, api.createPartitions.max, {
      topics: [{ name, count, assignments: null }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    check(response.results[0].errorCode, response.results[0].errorMessage, `adding partitions to '${name}'`);
  }

  async describeTopic(name: string): Promise<TopicInfo> {
    const topic = knownTopic(await this.cluster.refreshMetadata([name]), name);
    if (!topic) throw new ClientError(`describing '${name}': topic '${name}' does not exist`, { cause: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    return topic;
  }

  async listTopics(): Promise<TopicInfo[]> {
    const metadata = await this.cluster.refreshMetadata(null);
    return [...metadata.topics.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Log start and end offsets of every partition of `topic`, asked of each leader (null for a partition without one). */
  async partitionOffsets(topic: TopicInfo): Promise<PartitionOffsets[]> {
    const ask = async (partition: number, leader: number, timestamp: bigint): Promise<bigint> => {
      const connection = await this.cluster.broker(leader);
      const response = await connection.request(api.listOffsets.key, api.listOffsets.max, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic.name, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
        timeoutMs: 0,
      });
      const result = response.topics[0].partitions[0];
      check(result.errorCode, null, `offsets of ${topic.name}/${partition}`);
      return result.offset;
    };
    return Promise.all(
      topic.partitions.map(async (p) => ({
        partition: p.partition,
        logStartOffset: p.leader < 0 ? null : await ask(p.partition, p.leader, -2n),
        logEndOffset: p.leader < 0 ? null : await ask(p.partition, p.leader, -1n),
      })),
    );
  }

  /** Bytes on disk of each partition of `topic`, as its leader reports them (DescribeLogDirs); -1 when unknown. */
  async partitionSizes(topic: TopicInfo): Promise<Map<number, number>> {
    const sizes = new Map<number, number>(topic.partitions.map((p) => [p.partition, -1]));
    for (const leader of new Set(topic.partitions.map((p) => p.leader).filter((l) => l >= 0))) {
      const connection = await this.cluster.broker(leader);
      const partitions = topic.partitions.filter((p) => p.leader === leader).map((p) => p.partition);
      const response = await connection.request(api.describeLogDirs.key, api.describeLogDirs.max, { topics: [{ topic: topic.name, partitions }] });
      for (const dir of response.results) {
        for (const t of dir.topics) for (const p of t.partitions) sizes.set(p.partitionIndex, Number(p.partitionSize));
      }
    }
    return sizes;
  }

  /** Bytes on disk of the partitions of `topics` (name -> partitions) that broker `nodeId` holds, keyed `topic/partition`. */
  async replicaSizes(nodeId: number, topics: Map<string, number[]>): Promise<Map<string, number>> {
    const connection = await this.cluster.broker(nodeId);
    const response = await connection.request(api.describeLogDirs.key, api.describeLogDirs.max, {
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    });
    const sizes = new Map<string, number>();
    for (const dir of response.results) {
      for (const t of dir.topics) for (const p of t.partitions) sizes.set(`${t.name}/${p.partitionIndex}`, Number(p.partitionSize));
    }
    return sizes;
  }

  /** Starts (target replicas) or cancels (null) partition moves at the controller; one result per move, in order. */
  async alterPartitionReassignments(moves: PartitionMove[]): Promise<MoveResult[]> {
    const byTopic = new Map<string, PartitionMove[]>();
    for (const move of moves) byTopic.set(move.topic, [...(byTopic.get(move.topic) ?? []), move]);
    const controller = await this.cluster.controller();
    const response = await controller.request(api.alterPartitionReassignments.key, api.alterPartitionReassignments.max, {
      timeoutMs: 30_000,
      topics: [...byTopic].map(([name, ms]) => ({ name, partitions: ms.map((m) => ({ partitionIndex: m.partition, replicas: m.replicas })) })),
    });
    check(response.errorCode, response.errorMessage, 'reassigning partitions');
    const results: MoveResult[] = response.responses.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode, errorMessage: p.errorMessage })),
    );
    return moves.map((m) => results.find((r) => r.topic === m.topic && r.partition === m.partition)!);
  }

  /** Partition moves in progress, of `topics` (all when null), sorted by topic and partition. */
  async listPartitionReassignments(topics: string[] | null = null): Promise<OngoingMove[]> {
    const metadata = topics === null ? null : await this.cluster.refreshMetadata(topics);
    const controller = await this.cluster.controller();
    const response = await controller.request(api.listPartitionReassignments.key, api.listPartitionReassignments.max, {
      timeoutMs: 30_000,
      topics: topics?.map((name) => ({ name, partitionIndexes: metadata!.topics.get(name)?.partitions.map((p) => p.partition) ?? [] })) ?? null,
    });
    check(response.errorCode, response.errorMessage, 'listing partition reassignments');
    const ongoing: OngoingMove[] = response.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })));
    return ongoing.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  async describeTopicConfigs(name: string): Promise<ConfigValue[]> {
    return this.describeConfigs(topicResource, name);
  }

  async describeBrokerConfigs(nodeId: number): Promise<ConfigValue[]> {
    return this.describeConfigs(brokerResource, String(nodeId));
  }

  private async describeConfigs(resourceType: number, resourceName: string): Promise<ConfigValue[]> {
    const connection = resourceType === brokerResource ? await this.cluster.broker(Number(resourceName)) : await this.cluster.controller();
    const response = await connection.request(api.describeConfigs.key, api.describeConfigs.max, {
      resources: [{ resourceType, resourceName, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const result = response.results[0];
    check(result.errorCode, result.errorMessage, `describing configs of '${resourceName}'`);
    return result.configs.map((c) => ({ name: c.name, value: c.value, isDefault: c.configSource === 5, source: c.configSource, readOnly: c.readOnly }));
  }

  /** Sets (value) and removes (null) topic configs, leaving the others. */
  async alterTopicConfigs(name: string, changes: { name: string; value: string | null }[]): Promise<void> {
    await this.alterConfigs(await this.cluster.controller(), topicResource, name, changes);
  }

  /** Sets (value) and removes (null) dynamic configs of broker `nodeId`, asking that broker. */
  async alterBrokerConfigs(nodeId: number, changes: { name: string; value: string | null }[]): Promise<void> {
    await this.alterConfigs(await this.cluster.broker(nodeId), brokerResource, String(nodeId), changes);
  }

  /** Changes dynamic broker settings for every broker (the cluster-wide default); null removes one. */
  async alterClusterBrokerConfigs(changes: { name: string; value: string | null }[]): Promise<void> {
    await this.alterConfigs(await this.cluster.anyBroker(), brokerResource, '', changes);
  }

  private async alterConfigs(connection: BrokerConnection, resourceType: number, resourceName: string, changes: { name: string; value: string | null }[]): Promise<void> {
    const response = await connection.request(api.incrementalAlterConfigs.key, api.incrementalAlterConfigs.max, {
      resources: [
        {
          resourceType,
          resourceName,
          configs: changes.map((c) => ({ name: c.name, configOperation: c.value === null ? 1 : 0, value: c.value })),
        },
      ],
      validateOnly: false,
    });
    const what = resourceType === topicResource ? `topic '${resourceName}'` : resourceName === '' ? 'every broker (the cluster-wide default)' : `broker ${resourceName}`;
    check(response.responses[0].errorCode, response.responses[0].errorMessage, `altering configs of ${what}`);
  }

  /** min.insync.replicas of each of `topics` (one DescribeConfigs to any broker). */
  async minInsyncReplicas(topics: string[]): Promise<Map<string, number>> {
    if (topics.length === 0) return new Map();
    const connection = await this.cluster.anyBroker();
    const response = await connection.request(api.describeConfigs.key, api.describeConfigs.max, {
      resources: topics.map((name) => ({ resourceType: topicResource, resourceName: name, configurationKeys: ['min.insync.replicas'] })),
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const result = new Map<string, number>();
    for (const resource of response.results) {
      check(resource.errorCode, resource.errorMessage, `describing configs of '${resource.resourceName}'`);
      const value = resource.configs.find((c) => c.name === 'min.insync.replicas')?.value;
      result.set(resource.resourceName, Number(value ?? 1));
    }
    return result;
  }

  /**
   * Preferred or unclean leader elections (ElectLeaders) for the named
   * partitions, or every partition when null (then the controller leaves
   * out partitions that needed no election).
   */
  async electLeaders(type: keyof typeof electionTypes, partitions: { topic: string; partitions: number[] }[] | null): Promise<{ topic: string; partition: number; errorCode: number; errorMessage: string | null }[]> {
    const controller = await this.cluster.controller();
    const response = await controller.request(api.electLeaders.key, api.electLeaders.max, {
      electionType: electionTypes[type],
      topicPartitions: partitions?.map((p) => ({ topic: p.topic, partitions: p.partitions })) ?? null,
      timeoutMs: 30_000,
    });
    check(response.errorCode ?? ErrorCode.NONE, null, 'electing leaders');
    return response.replicaElectionResults.flatMap((t) =>
      t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage })),
    );
  }

  /** The metadata quorum as its leader describes it (DescribeQuorum); a node that is not the leader names it and the leader is asked. */
  async describeQuorum(): Promise<QuorumInfo> {
    const ask = async (connection: BrokerConnection) => {
      const response = await connection.request(api.describeQuorum.key, api.describeQuorum.max, {
        topics: [{ topicName: metadataTopicName, partitions: [{ partitionIndex: 0 }] }],
      });
      check(response.errorCode, response.errorMessage, 'describing the metadata quorum');
      return response.topics[0].partitions[0];
    };
    let partition = await ask(await this.cluster.anyBroker());
    if (partition.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) {
      if (partition.leaderId < 0) throw new ClientError(`the metadata quorum has no leader now (epoch ${partition.leaderEpoch}); try again in a moment`);
      partition = await ask(await this.cluster.broker(partition.leaderId));
    }
    check(partition.errorCode, partition.errorMessage, 'describing the metadata quorum');
    const { leaderId, leaderEpoch, highWatermark, currentVoters, observers } = partition;
    return { leaderId, leaderEpoch, highWatermark, voters: currentVoters, observers };
  }

  async describeCluster(): Promise<{ clusterId: string; controllerId: number; brokers: { brokerId: number; host: string; port: number; rack: string | null }[] }> {
    const connection = await this.cluster.anyBroker();
    const response = await connection.request(api.describeCluster.key, api.describeCluster.max, {
      includeClusterAuthorizedOperations: false,
      endpointType: 1,
    });
    check(response.errorCode, response.errorMessage, 'describing the cluster');
    return response;
  }
}
