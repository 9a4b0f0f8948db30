/**
 * The partitions of an internal topic (`__consumer_offsets`,
 * `__transaction_state`) this node coordinates: load when led, give up
 * when not, readiness per key. Shared by the group and transaction
 * coordinators; what a load replays and what giving up clears is theirs
 * (the `replay`, `loaded` and `unload` callbacks).
 *
 * - Placement: a key (group id, transactional id) belongs to partition
 *   `partitionForGroup(key, n)` of the topic; its coordinator is that
 *   partition's leader. FindCoordinator creates the topic through the
 *   controller on first use (`creation`: replication factor at most the
 *   live brokers), then loads what this node leads.
 * - Loading: a partition is loaded while this node leads it and may lead
 *   (ReplicaManager.leaderPartition), in the leader epoch it loaded it in,
 *   and given up (`unload`) as soon as that changes; `leadershipChanged()`
 *   is called whenever it may have, and `readiness()` of a key starts the
 *   load of a led partition not loaded yet. A load whose replay fails is
 *   logged and given up; one given up meanwhile is not reported.
 * - Readiness of a key: NONE once its partition is loaded here,
 *   COORDINATOR_LOAD_IN_PROGRESS while it loads, COORDINATOR_NOT_AVAILABLE
 *   while the partition has no leader, else NOT_COORDINATOR.
 * - `replayLog()` reads a partition's record batches for a coordinator's
 *   `replay`, up to the log end (not the high watermark, as Kafka).
 * - After `stop()` nothing is loaded any more and loads in flight end unreported.
 */
import { ErrorCode } from '../protocol/errors.ts';
import { recordBatches } from '../protocol/records/batch-splitter.ts';
import { decodeRecordBatch, type RecordBatch } from '../protocol/records/record-batch.ts';
import type { MetadataImage } from '../metadata/image.ts';
import type { BrokerRecord } from '../metadata/records.ts';
import type { ItemResult, NewTopic } from '../controller/controller.ts';
import type { Logger } from '../logger.ts';
import type { BrokerConfig, KnownBrokerKey } from './config.ts';
import type { ReplicaManager } from './replica/replica-manager.ts';
import type { Partition } from './replica/partition.ts';
import { partitionForGroup } from './group/offset-store.ts';

/** Bytes read from a partition per step while loading it. */
const loadReadBytes = 1024 * 1024;

/** A FindCoordinator answer: the node, or why none. */
export interface CoordinatorAnswer {
  errorCode: number;
  errorMessage: string | null;
  /** The coordinating broker (the handler answers with its endpoint on the request's listener). */
  node: BrokerRecord | null;
}

/** A partition this node loads or has loaded, as leader in `epoch`. */
export interface Load {
  readonly epoch: number;
  loaded: boolean;
  /** Settles when loading ends (loaded, failed or given up). */
  done: Promise<void>;
}

/** What a coordinator of an internal topic is given by the broker (and passes on here). */
export interface CoordinatorContext {
  nodeId: number;
  config: BrokerConfig;
  image: MetadataImage;
  /** Creates topics through the active controller (results in order). */
  createTopics: (topics: NewTopic[]) => Promise<ItemResult[]>;
  replicas: ReplicaManager;
  liveBrokers: () => BrokerRecord[];
  logger: Logger;
}

export interface CoordinatorPartitionsOptions extends CoordinatorContext {
  topic: string;
  /** The topic's settings when created on first use: the configs naming its partition count and replication factor, and its topic configs. */
  creation: { partitionsConfig: KnownBrokerKey; replicationFactorConfig: KnownBrokerKey; topicConfigs: NewTopic['configs'] };
  /** Replays partition `index` into memory while `current()`: true once loaded, false when given up. */
  replay: (index: number, partition: Partition, current: () => boolean) => Promise<boolean>;
  /** Partition `index` is loaded in leader epoch `epoch` (and served from now on). */
  loaded: (index: number, epoch: number) => void;
  /** Partition `index`, loaded or loading, is given up: forget what it holds. */
  unload: (index: number) => void;
}

export class CoordinatorPartitions {
  private readonly options: CoordinatorPartitionsOptions;
  /** By partition index: what this node loads or has loaded; serving it stops once its leader epoch changes. */
  private readonly loads = new Map<number, Load>();
  private creatingTopic: Promise<void> | null = null;
  private stopped = false;

  constructor(options: CoordinatorPartitionsOptions) {
    this.options = options;
  }

  stop(): void {
    this.stopped = true;
  }

  /** The topic's partition count (0 while it does not exist). */
  count(): number {
    return this.options.image.topicsByName.get(this.options.topic)?.partitions.length ?? 0;
  }

  partitionOf(key: string): number | undefined {
    const count = this.count();
    return count === 0 ? undefined : partitionForGroup(key, count);
  }

  /** The load of partition `index` (loaded or loading), if any. */
  get(index: number): Load | undefined {
    return this.loads.get(index);
  }

  /** FindCoordinator for `key`: creates the topic on first use. */
  async findCoordinator(key: string): Promise<CoordinatorAnswer> {
    const { topic, image, nodeId } = this.options;
    const unavailable = (errorMessage: string): CoordinatorAnswer => ({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage, node: null });
    if (!(await this.ensureTopic())) return unavailable(`${topic} could not be created`);
    const index = this.partitionOf(key)!;
    const leader = image.partition(topic, index)?.leader ?? -1;
    const node = this.options.liveBrokers().find((b) => b.nodeId === leader);
    if (node === undefined) return unavailable(`${topic}-${index} has no live leader`);
    if (leader === nodeId && this.readiness(key) !== ErrorCode.NONE) {
      return unavailable(`${topic}-${index} is not ready here yet (loading, or this broker is catching up with the controller)`);
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, node };
  }

  private async ensureTopic(): Promise<boolean> {
    const { topic, image, logger } = this.options;
    if (!image.topicsByName.has(topic)) {
      this.creatingTopic ??= (async () => {
        const { config, creation } = this.options;
        const [created] = await this.options.createTopics([
          {
            name: topic,
            numPartitions: config.int(creation.partitionsConfig),
            replicationFactor: Math.max(1, Math.min(config.int(creation.replicationFactorConfig), this.options.liveBrokers().length)),
            assignments: [],
            configs: creation.topicConfigs,
          },
        ]);
        if (created.errorCode !== ErrorCode.NONE && created.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
          logger.error(`cannot create ${topic}: ${created.errorMessage}`);
        }
        await this.loadLed();
      })().finally(() => (this.creatingTopic = null));
    }
    await this.creatingTopic;
    return image.topicsByName.has(topic);
  }

  /** Loads what this node leads now; resolves when those loads have ended. */
  async loadLed(): Promise<void> {
    this.leadershipChanged();
    await Promise.all([...this.loads.values()].map((load) => load.done));
  }

  /** NONE when this node serves `key` now, else the error to answer with (see the header). */
  readiness(key: string): number {
    const index = this.partitionOf(key);
    return index === undefined ? ErrorCode.NOT_COORDINATOR : this.track(index);
  }

  /**
   * Brings partition `index` in line with this node's leadership: gives up
   * what it loaded (or is loading) unless it leads the partition now, in
   * the same epoch, and may lead; starts loading a partition it leads and
   * has not loaded. NONE once loaded, else the error for its keys.
   */
  track(index: number): number {
    const partition = this.options.replicas.leaderPartition(this.options.topic, index);
    const led = 'errorCode' in partition ? null : partition;
    const load = this.loads.get(index);
    if (load !== undefined && load.epoch !== led?.state.leaderEpoch) this.unload(index);
    if ('errorCode' in partition) {
      return partition.errorCode === ErrorCode.LEADER_NOT_AVAILABLE ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.NOT_COORDINATOR;
    }
    return (this.loads.get(index) ?? this.load(index, partition)).loaded ? ErrorCode.NONE : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  }

  /** Whether partition `index` is loaded and still led by this node (and it may lead) in the epoch it was loaded in; starts nothing. */
  serves(index: number): boolean {
    const load = this.loads.get(index);
    if (load?.loaded !== true) return false;
    const partition = this.options.replicas.leaderPartition(this.options.topic, index);
    return !('errorCode' in partition) && partition.state.leaderEpoch === load.epoch;
  }

  /** Whether a partition this node leads, as the metadata says, is not served yet (opening, loading, or the broker not serving); starts nothing. */
  loading(): boolean {
    const partitions = this.options.image.topicsByName.get(this.options.topic)?.partitions ?? [];
    return partitions.some((p) => p.leader === this.options.nodeId && !this.serves(p.partition));
  }

  /** This node's leadership of the topic's partitions, or whether it may lead, may have changed: loads what it leads now and gives up the rest. */
  leadershipChanged(): void {
    if (this.stopped) return;
    for (const index of new Set([...this.loads.keys(), ...Array.from({ length: this.count() }, (_, i) => i)])) this.track(index);
  }

  private unload(index: number): void {
    this.loads.delete(index);
    this.options.unload(index);
  }

  private load(index: number, partition: Partition): Load {
    const load: Load = { epoch: partition.state.leaderEpoch, loaded: false, done: Promise.resolve() };
    this.loads.set(index, load);
    const current = () => !this.stopped && this.loads.get(index) === load;
    const replayed = this.options.replay(index, partition, current).catch((err: Error) => {
      // A load given up meanwhile (leadership moved, shutdown) may fail as its log closes: that says nothing.
      if (current()) {
        this.options.logger.error(`cannot load ${this.options.topic}-${index}: ${err.message}`);
        this.unload(index);
      }
      return false;
    });
    load.done = replayed.then((loaded) => {
      load.loaded = loaded && current();
      if (load.loaded) this.options.loaded(index, load.epoch);
    });
    return load;
  }
}

/**
 * Feeds every record batch of `partition`, oldest first, to `apply` up to
 * its log end as it is now, while `current()`: the offset it stopped at;
 * null when it stopped because `current()` no longer held.
 */
export async function replayLog(partition: Partition, current: () => boolean, apply: (batch: RecordBatch) => void): Promise<bigint | null> {
  const end = partition.log.logEndOffset;
  let offset = partition.log.logStartOffset;
  while (offset < end) {
    const chunk = await partition.log.read(offset, loadReadBytes, { minOneBatch: true, maxOffset: end });
    if (!current()) return null;
    const before = offset;
    for (const span of recordBatches(chunk)) {
      if (!span.complete) break;
      const batch = decodeRecordBatch(span.bytes);
      offset = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
      apply(batch);
    }
    if (offset === before) break;
  }
  return offset;
}
