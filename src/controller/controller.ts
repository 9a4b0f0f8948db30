/**
 * The controller: the only writer of the metadata log. It validates requests
 * that change the cluster's shape (topics, partitions, configs, broker
 * registrations), turns them into MetadataRecords, appends them to the
 * metadata log and applies them to the image, one proposal at a time.
 *
 * Today the quorum has one voter (this node), so a record is committed once
 * the local metadata log has it durably. Issue 7 replaces `commit` with Raft
 * replication among the voters; the decisions here stay as they are.
 *
 * Results are per item with Kafka error codes, never exceptions.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../protocol/errors.ts';
import type { MetadataImage } from '../metadata/image.ts';
import type { BrokerRecord, MetadataRecord, PartitionRecord } from '../metadata/records.ts';
import { collisionKey, topicNameProblem } from './topic-names.ts';

export interface ItemResult {
  errorCode: number;
  errorMessage: string | null;
}

export interface NewTopic {
  name: string;
  /** -1: use num.partitions */
  numPartitions: number;
  /** -1: use default.replication.factor */
  replicationFactor: number;
  /** Explicit replica lists per partition, or empty for automatic placement. */
  assignments: { partition: number; brokerIds: number[] }[];
  configs: { name: string; value: string | null }[];
}

export interface CreatedTopic extends ItemResult {
  name: string;
  topicId: string | null;
  numPartitions: number;
  replicationFactor: number;
}

export interface ControllerOptions {
  nodeId: number;
  defaultPartitions: () => number;
  defaultReplicationFactor: () => number;
  /** Reason a topic config entry is invalid, or null. */
  topicConfigProblem: (name: string, value: string) => string | null;
  /** Topics only the broker itself may create (e.g. __consumer_offsets). */
  internalTopics: ReadonlySet<string>;
}

const partitionsPerTopicMax = 100_000;
const producerIdBlockSize = 1000;

const ok: ItemResult = { errorCode: ErrorCode.NONE, errorMessage: null };

function fail(errorCode: number, errorMessage: string): ItemResult {
  return { errorCode, errorMessage };
}

/** Where proposals go: they resolve once committed and applied to the image. */
export interface MetadataProposals {
  propose(records: MetadataRecord[]): Promise<void>;
}

export class Controller {
  private readonly quorum: MetadataProposals;
  private readonly image: MetadataImage;
  private readonly options: ControllerOptions;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(quorum: MetadataProposals, image: MetadataImage, options: ControllerOptions) {
    this.quorum = quorum;
    this.image = image;
    this.options = options;
  }

  /** On the first activation of a new cluster: records its id. */
  start(): Promise<void> {
    return this.serialized(async () => {
      if (this.image.clusterId === null) await this.commit([{ type: 'cluster', clusterId: randomBytes(16).toString('base64url') }]);
    });
  }

  /** Registers (or re-registers) a broker, bumping its epoch. */
  registerBroker(broker: Omit<BrokerRecord, 'type' | 'epoch' | 'fenced'>): Promise<BrokerRecord> {
    return this.serialized(async () => {
      const previous = this.image.brokers.get(broker.nodeId);
      const record: BrokerRecord = { type: 'broker', ...broker, epoch: (previous?.epoch ?? 0) + 1, fenced: false };
      await this.commit([record]);
      return record;
    });
  }

  createTopics(topics: NewTopic[], validateOnly: boolean): Promise<CreatedTopic[]> {
    return this.serialized(async () => {
      const results: CreatedTopic[] = [];
      const records: MetadataRecord[] = [];
      const seen = new Set<string>();
      for (const topic of topics) {
        const plan = this.planTopic(topic, seen);
        seen.add(collisionKey(topic.name));
        if ('errorCode' in plan) {
          results.push({ name: topic.name, topicId: null, numPartitions: -1, replicationFactor: -1, ...plan });
          continue;
        }
        results.push({ name: topic.name, topicId: plan.topicId, ...ok, ...plan.shape });
        if (!validateOnly) records.push(...plan.records);
      }
      if (records.length > 0) await this.commit(records);
      return results;
    });
  }

  private planTopic(
    topic: NewTopic,
    namesInThisRequest: Set<string>,
  ): ItemResult | { topicId: string; records: MetadataRecord[]; shape: { numPartitions: number; replicationFactor: number } } {
    const nameProblem = topicNameProblem(topic.name);
    if (nameProblem) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
    if (this.image.topicsByName.has(topic.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${topic.name}' already exists`);
    const collides = [...this.image.topicsByName.keys()].find((n) => collisionKey(n) === collisionKey(topic.name));
    if (collides || namesInThisRequest.has(collisionKey(topic.name))) {
      return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `topic '${topic.name}' collides with '${collides ?? 'another topic in this request'}' ('.' and '_' are equivalent)`);
    }
    for (const entry of topic.configs) {
      if (entry.value === null) return fail(ErrorCode.INVALID_CONFIG, `config ${entry.name} has no value`);
      const problem = this.options.topicConfigProblem(entry.name, entry.value);
      if (problem) return fail(ErrorCode.INVALID_CONFIG, problem);
    }
    const assignment = this.placeReplicas(topic);
    if ('errorCode' in assignment) return assignment;
    const topicId = randomBytes(16).toString('hex');
    const records: MetadataRecord[] = [{ type: 'topic', name: topic.name, topicId }];
    assignment.forEach((replicas, partition) => records.push(this.newPartition(topicId, partition, replicas)));
    for (const entry of topic.configs) {
      records.push({ type: 'config', resourceType: 'topic', resourceName: topic.name, name: entry.name, value: entry.value });
    }
    return { topicId, records, shape: { numPartitions: assignment.length, replicationFactor: assignment[0].length } };
  }

  private newPartition(topicId: string, partition: number, replicas: number[]): PartitionRecord {
    return { type: 'partition', topicId, partition, replicas, isr: [...replicas], leader: replicas[0], leaderEpoch: 0, partitionEpoch: 0 };
  }

  /** Replica lists per partition, explicit or spread round-robin over the live brokers. */
  private placeReplicas(topic: NewTopic, firstPartition = 0): number[][] | ItemResult {
    const live = [...this.image.brokers.values()].filter((b) => !b.fenced).map((b) => b.nodeId).sort((a, b) => a - b);
    if (topic.assignments.length > 0) {
      if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
        return fail(ErrorCode.INVALID_REQUEST, 'give either replica assignments or partitions/replication factor, not both');
      }
      const sorted = [...topic.assignments].sort((a, b) => a.partition - b.partition);
      const lists: number[][] = [];
      for (const [i, entry] of sorted.entries()) {
        if (entry.partition !== firstPartition + i) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions in the assignment must be consecutive from 0');
        if (entry.brokerIds.length === 0 || new Set(entry.brokerIds).size !== entry.brokerIds.length) {
          return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${entry.partition}: replicas must be distinct and non-empty`);
        }
        const unknown = entry.brokerIds.find((id) => !this.image.brokers.has(id));
        if (unknown !== undefined) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${entry.partition}: broker ${unknown} is not registered`);
        lists.push(entry.brokerIds);
      }
      return lists;
    }
    const partitions = topic.numPartitions === -1 ? this.options.defaultPartitions() : topic.numPartitions;
    const replicationFactor = topic.replicationFactor === -1 ? this.options.defaultReplicationFactor() : topic.replicationFactor;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > partitionsPerTopicMax) {
      return fail(ErrorCode.INVALID_PARTITIONS, `partitions must be between 1 and ${partitionsPerTopicMax}, got ${partitions}`);
    }
    if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor must be at least 1, got ${replicationFactor}`);
    }
    if (replicationFactor > live.length) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${replicationFactor} is larger than the ${live.length} available broker(s)`);
    }
    const lists: number[][] = [];
    for (let p = firstPartition; p < firstPartition + partitions; p++) {
      lists.push(Array.from({ length: replicationFactor }, (_, r) => live[(p + r) % live.length]));
    }
    return lists;
  }

  /** Hands `nodeId` the next block of producer ids. */
  allocateProducerIds(nodeId: number): Promise<{ firstProducerId: number; size: number }> {
    return this.serialized(async () => {
      const block = { firstProducerId: this.image.nextProducerId, size: producerIdBlockSize };
      await this.commit([{ type: 'producerIds', nodeId, ...block }]);
      return block;
    });
  }

  deleteTopics(names: string[]): Promise<(ItemResult & { name: string; topicId: string | null })[]> {
    return this.serialized(async () => {
      const records: MetadataRecord[] = [];
      const results = names.map((name) => {
        const topic = this.image.topicsByName.get(name);
        if (!topic) return { name, topicId: null, ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`) };
        if (this.options.internalTopics.has(name)) return { name, topicId: topic.topicId, ...fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `'${name}' is internal and cannot be deleted`) };
        if (!records.some((r) => r.type === 'removeTopic' && r.topicId === topic.topicId)) records.push({ type: 'removeTopic', topicId: topic.topicId });
        return { name, topicId: topic.topicId, ...ok };
      });
      if (records.length > 0) await this.commit(records);
      return results;
    });
  }

  createPartitions(
    requests: { name: string; count: number; assignments: number[][] | null }[],
    validateOnly: boolean,
  ): Promise<(ItemResult & { name: string })[]> {
    return this.serialized(async () => {
      const records: MetadataRecord[] = [];
      const results = requests.map(({ name, count, assignments }) => {
        const topic = this.image.topicsByName.get(name);
        if (!topic) return { name, ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`) };
        const current = topic.partitions.length;
        if (count <= current) return { name, ...fail(ErrorCode.INVALID_PARTITIONS, `topic '${name}' has ${current} partitions; the new count must be larger, got ${count}`) };
        if (count > partitionsPerTopicMax) return { name, ...fail(ErrorCode.INVALID_PARTITIONS, `at most ${partitionsPerTopicMax} partitions`) };
        const explicit = assignments?.map((brokerIds, i) => ({ partition: current + i, brokerIds })) ?? [];
        if (assignments && assignments.length !== count - current) {
          return { name, ...fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `expected ${count - current} new assignments, got ${assignments.length}`) };
        }
        const placed = this.placeReplicas(
          {
            name,
            numPartitions: explicit.length > 0 ? -1 : count - current,
            replicationFactor: explicit.length > 0 ? -1 : topic.partitions[0].replicas.length,
            assignments: explicit,
            configs: [],
          },
          current,
        );
        if ('errorCode' in placed) return { name, ...placed };
        if (!validateOnly) placed.forEach((replicas, i) => records.push(this.newPartition(topic.topicId, current + i, replicas)));
        return { name, ...ok };
      });
      if (records.length > 0) await this.commit(records);
      return results;
    });
  }

  /**
   * Sets (value) or removes (null) topic configs. With `replace`, every
   * existing setting not named is removed too (AlterConfigs semantics).
   */
  alterTopicConfigs(
    name: string,
    changes: { name: string; value: string | null }[],
    replace: boolean,
    validateOnly: boolean,
  ): Promise<ItemResult> {
    return this.serialized(async () => {
      if (!this.image.topicsByName.has(name)) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
      for (const change of changes) {
        if (change.value === null) continue;
        const problem = this.options.topicConfigProblem(change.name, change.value);
        if (problem) return fail(ErrorCode.INVALID_CONFIG, problem);
      }
      const records: MetadataRecord[] = changes.map((c) => ({ type: 'config', resourceType: 'topic', resourceName: name, name: c.name, value: c.value }));
      if (replace) {
        const named = new Set(changes.map((c) => c.name));
        for (const existing of this.image.topicConfigs(name).keys()) {
          if (!named.has(existing)) records.push({ type: 'config', resourceType: 'topic', resourceName: name, name: existing, value: null });
        }
      }
      if (!validateOnly && records.length > 0) await this.commit(records);
      return ok;
    });
  }

  /** Runs proposals one at a time so each sees the image the previous one left. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private commit(records: MetadataRecord[]): Promise<void> {
    return this.quorum.propose(records);
  }
}
