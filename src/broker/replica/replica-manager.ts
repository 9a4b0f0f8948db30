/**
 * The partitions this broker hosts, kept in step with the metadata image:
 * a partition record naming this node opens (or creates) its log and gives
 * it its role: leader, or follower fetching from the leader (one fetch loop
 * per leader broker, replica-fetcher.ts). A topic removal deletes its logs,
 * and so does a record that no longer names this node among a partition's
 * replicas (a reassignment moved it away); on start, logs of partitions
 * this node no longer hosts are deleted (a deletion cut short by a crash
 * is finished then). Every `replica.lag.time.max.ms / 2`, but at least
 * every second, the led partitions check for followers to drop from their
 * ISR, so a follower that stops fetching holds up acks=all produce for at
 * most about `replica.lag.time.max.ms` plus a second. Handlers reach
 * partitions through `leaderPartition`, which answers with the Kafka error
 * a client should see when this broker cannot serve it (unknown
 * topic/partition, not the leader, still opening, or not `serving`: a
 * broker still starting or without its controller lease leads nothing,
 * whatever its metadata says, and drops no follower from an ISR; when it
 * stops serving, `servingLost` ends the acks=all waits of what it led).
 * Every `producer.id.expiration.check.interval.ms` each hosted partition
 * forgets the producers idle for `producer.id.expiration.ms` (leaders and
 * followers alike, as Kafka's). `roleChanged` is told (the topic) whenever what `leaderPartition` answers
 * for a partition may have changed with the metadata: it opened, took a new
 * state (leader, epoch) or was dropped.
 */
import type { Time, TimerHandle } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { MetadataImage } from '../../metadata/image.ts';
import { endpointOf, type MetadataRecord, type PartitionRecord } from '../../metadata/records.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { AlterPartitionRequest } from '../../protocol/generated/alter-partition-request.ts';
import type { AlterPartitionResponse } from '../../protocol/generated/alter-partition-response.ts';
import { LogManager } from '../../storage/log-manager.ts';
import type { TopicConfigs } from '../topic-configs.ts';
import { ReplicationThrottle } from './replication-throttle.ts';
import { Partition, type ReplicationContext } from './partition.ts';
import { ReplicaFetchers } from './replica-fetcher.ts';
import type { PeerCredentials } from '../../net/peer-login.ts';
import type { PeerTls } from '../../net/peer-connections.ts';

/** Kafka's replica settings (broker config `replica.*`, and the producer ids' expiry). */
export interface ReplicationSettings {
  producerIdExpirationMs: number;
  producerIdExpirationCheckIntervalMs: number;
  lagTimeMaxMs: number;
  fetchWaitMaxMs: number;
  fetchMaxBytes: number;
  fetchResponseMaxBytes: number;
  fetchBackoffMs: number;
  socketTimeoutMs: number;
}

export interface ReplicaManagerOptions {
  nodeId: number;
  logsDir: string;
  image: MetadataImage;
  topicConfigs: TopicConfigs;
  recoveryThreads: number;
  /** How often logs fsync new appends and checkpoint their recovery point (LogManagerOptions). */
  recoveryFlushIntervalMs?: number;
  /** Sealed segments' files kept open while unused, and how long unused before closed (log.segment.open.files.*); default storage's. */
  segmentFiles?: { openMax: number; idleMs: number };
  logger: Logger;
  replication: ReplicationSettings;
  /** inter.broker.listener.name: followers fetch from leaders' endpoints there. */
  interBrokerListener: string;
  /** TLS of the followers' connections to leaders (an SSL inter-broker listener); none: TCP. */
  peerTls?: PeerTls;
  /** Sends an ISR change to the active controller (AlterPartition); without it ISR changes fail (a cluster of one never needs one). */
  alterPartition?: (request: AlterPartitionRequest) => Promise<AlterPartitionResponse>;
  /** Told when the ISR of a partition this node leads changes (metrics). */
  isrChanged?: (previous: readonly number[], next: readonly number[]) => void;
  /** ISR lag, fetch waits and the fetch loops' rests run on it. */
  time: Time;
  /** Whether this broker may act as a leader now (registered, caught up, its lease held: Broker.serving); default always. */
  serving?: () => boolean;
  /** How the replica fetchers authenticate to leaders; null: they do not (peer.authentication=none). */
  credentials: PeerCredentials | null;
  /** Told when a hosted partition opened, took a new state from the metadata or was dropped (the group coordinator follows its leaderships). */
  roleChanged?: (topic: string) => void;
}

/** Reads a broker's `replica.*` settings. */
export function replicationSettings(config: { int(key: string): number }): ReplicationSettings {
  return {
    producerIdExpirationMs: config.int('producer.id.expiration.ms'),
    producerIdExpirationCheckIntervalMs: config.int('producer.id.expiration.check.interval.ms'),
    lagTimeMaxMs: config.int('replica.lag.time.max.ms'),
    fetchWaitMaxMs: config.int('replica.fetch.wait.max.ms'),
    fetchMaxBytes: config.int('replica.fetch.max.bytes'),
    fetchResponseMaxBytes: config.int('replica.fetch.response.max.bytes'),
    fetchBackoffMs: config.int('replica.fetch.backoff.ms'),
    socketTimeoutMs: config.int('replica.socket.timeout.ms'),
  };
}

export interface PartitionRef {
  topic: string;
  partition: number;
}

type Unavailable = { errorCode: number; errorMessage: string };

/** The longest pause between two ISR shrink checks. */
const isrCheckIntervalMaxMs = 1000;

/** How often the led partitions check for out-of-sync followers. */
function isrCheckIntervalMs(lagTimeMaxMs: number): number {
  return Math.max(1, Math.min(isrCheckIntervalMaxMs, Math.floor(lagTimeMaxMs / 2)));
}

export class ReplicaManager {
  private readonly options: ReplicaManagerOptions;
  private readonly partitions = new Map<string, Partition>();
  /** Partitions whose logs are being opened: `topic-partition` -> the opening. */
  private readonly opening = new Map<string, Promise<void>>();
  /** Partition logs being deleted: an opening of the same partition waits for it. */
  private readonly deleting = new Map<string, Promise<void>>();
  private logs: LogManager | null = null;
  private readonly cluster: ReplicationContext;
  private readonly fetchers: ReplicaFetchers;
  /** Reassignment traffic quotas (leader/follower.replication.throttled.rate). */
  readonly leaderThrottle: ReplicationThrottle;
  readonly followerThrottle: ReplicationThrottle;
  private shrinkTimer: TimerHandle | null = null;
  private expiryTimer: TimerHandle | null = null;
  private closed = false;

  constructor(options: ReplicaManagerOptions) {
    this.options = options;
    const { nodeId, image, logger, replication } = options;
    this.cluster = {
      nodeId,
      time: options.time,
      lagTimeMaxMs: replication.lagTimeMaxMs,
      liveBrokerEpoch: (id) => {
        const broker = image.brokers.get(id);
        return broker && !broker.fenced ? BigInt(broker.epoch) : null;
      },
      alterPartition: options.alterPartition ?? (() => Promise.reject(new Error('no controller to send AlterPartition to'))),
      isrChanged: options.isrChanged ?? (() => {}),
      serving: () => options.serving?.() !== false,
      logger,
    };
    const rate = (name: string) => () => Number(options.topicConfigs.brokerValue(name).value);
    this.leaderThrottle = new ReplicationThrottle(rate('leader.replication.throttled.rate'), options.time);
    this.followerThrottle = new ReplicationThrottle(rate('follower.replication.throttled.rate'), options.time);
    this.fetchers = new ReplicaFetchers({
      nodeId,
      throttle: this.followerThrottle,
      brokerAddress: (id) => {
        const broker = image.brokers.get(id);
        const endpoint = broker && endpointOf(broker, options.interBrokerListener);
        return endpoint ? { host: endpoint.host, port: endpoint.port } : null;
      },
      maxWaitMs: replication.fetchWaitMaxMs,
      maxBytes: replication.fetchResponseMaxBytes,
      partitionMaxBytes: replication.fetchMaxBytes,
      backoffMs: replication.fetchBackoffMs,
      socketTimeoutMs: replication.socketTimeoutMs,
      peerTls: options.peerTls,
      logger,
      time: options.time,
      credentials: options.credentials,
    });
  }

  private static key(topic: string, partition: number): string {
    return `${topic}-${partition}`;
  }

  async start(): Promise<void> {
    const { image, logsDir, recoveryThreads, logger } = this.options;
    this.logs = await LogManager.open(logsDir, {
      recoveryThreads,
      recoveryFlushIntervalMs: this.options.recoveryFlushIntervalMs,
      segmentFilesOpenMax: this.options.segmentFiles?.openMax,
      segmentFileIdleMs: this.options.segmentFiles?.idleMs,
      logger,
      clock: this.options.time,
      configFor: (name) => this.options.topicConfigs.logConfig(name.slice(0, name.lastIndexOf('-'))),
    });
    const hosted = new Set<string>();
    const openings: Promise<void>[] = [];
    for (const topic of image.topicsByName.values()) {
      for (const p of topic.partitions) {
        if (!p.replicas.includes(this.options.nodeId)) continue;
        hosted.add(ReplicaManager.key(topic.name, p.partition));
        openings.push(this.openPartition(topic.name, p));
      }
    }
    await Promise.all(openings);
    this.shrinkTimer = this.options.time.setInterval(() => {
      // A broker that may not lead (starting, lease lapsed) refuses its followers' fetches: their lag says nothing, and its
      // metadata may be stale, so it must not shrink an ISR to itself (with a log that may have lost its tail).
      if (this.options.serving?.() === false) return;
      for (const partition of this.partitions.values()) partition.maybeShrinkIsr();
    }, isrCheckIntervalMs(this.options.replication.lagTimeMaxMs), { background: true });
    const { producerIdExpirationMs, producerIdExpirationCheckIntervalMs } = this.options.replication;
    this.expiryTimer = this.options.time.setInterval(
      () => {
        for (const partition of this.partitions.values()) partition.expireProducers(producerIdExpirationMs);
      },
      producerIdExpirationCheckIntervalMs,
      { background: true },
    );
    for (const name of this.logs.partitionNames()) {
      if (!hosted.has(name)) {
        logger.info(`deleting log ${name}: this node no longer hosts it`);
        await this.logs.delete(name);
      }
    }
  }

  /** Applies a committed metadata record to the hosted partitions. */
  onMetadataRecord(record: MetadataRecord): void {
    // Not started: start() opens what the image names then. Closed: metadata still applied while the broker stops must not reopen logs or fetchers.
    if (!this.logs || this.closed) return;
    if (record.type === 'partition') {
      const topic = this.options.image.topicsById.get(record.topicId);
      if (!topic) return;
      const key = ReplicaManager.key(topic.name, record.partition);
      const existing = this.partitions.get(key);
      if (existing && !record.replicas.includes(this.options.nodeId)) {
        this.options.logger.info(`${key}: no longer a replica here (reassigned), deleting its log`);
        this.drop(key, existing);
      } else if (existing) {
        existing.applyState(record);
        this.updateFetching(existing);
        this.options.roleChanged?.(existing.topic);
      } else if (record.replicas.includes(this.options.nodeId) && !this.opening.has(key)) {
        void this.openPartition(topic.name, record);
      }
    } else if (record.type === 'broker') {
      this.fetchers.brokerChanged(record.nodeId);
    } else if (record.type === 'removeTopic') {
      for (const [key, partition] of this.partitions) {
        if (partition.state.topicId === record.topicId) this.drop(key, partition);
      }
    } else if (record.type === 'config' && record.resourceType === 'topic') {
      for (const partition of this.partitions.values()) {
        if (partition.topic === record.resourceName) partition.log.updateConfig(this.options.topicConfigs.logConfig(partition.topic));
      }
    }
  }

  /** Stops hosting a partition: no more fetching or waits, and its log is deleted. */
  private drop(key: string, partition: Partition): void {
    this.partitions.delete(key);
    this.fetchers.unfollow(partition);
    partition.close();
    this.options.roleChanged?.(partition.topic);
    const deletion = this.logs!.delete(key)
      .catch((err: Error) => this.options.logger.error(`deleting ${key} failed: ${err.message}`))
      .finally(() => {
        if (this.deleting.get(key) === deletion) this.deleting.delete(key);
      });
    this.deleting.set(key, deletion);
  }

  private openPartition(topic: string, state: PartitionRecord): Promise<void> {
    const key = ReplicaManager.key(topic, state.partition);
    const opening = (async () => {
      await this.deleting.get(key);
      const log = await this.logs!.openOrCreate(key, this.options.topicConfigs.logConfig(topic));
      const partition = new Partition(topic, state.partition, log, state, {
        maxMessageBytes: () => Number(this.options.topicConfigs.value(topic, 'max.message.bytes')),
        logAppendTime: () => this.options.topicConfigs.value(topic, 'message.timestamp.type') === 'LogAppendTime',
        minInsyncReplicas: () => Number(this.options.topicConfigs.value(topic, 'min.insync.replicas')),
      }, this.cluster);
      await partition.open();
      // Records committed while the log was opening were skipped: the image holds the latest.
      const latest = this.options.image.topicsByName.get(topic)?.partitions[state.partition];
      if (latest && latest !== partition.state) partition.applyState(latest);
      this.partitions.set(key, partition);
      if (!latest?.replicas.includes(this.options.nodeId)) return this.drop(key, partition);
      this.updateFetching(partition);
      this.options.roleChanged?.(partition.topic);
    })().finally(() => this.opening.delete(key));
    this.opening.set(key, opening);
    opening.catch((err) => this.options.logger.error(`cannot open partition ${key}: ${(err as Error).message}`));
    return opening;
  }

  /** Follows the partition's leader when it is a follower with a leader, else stops fetching it. */
  private updateFetching(partition: Partition): void {
    const { leader, leaderEpoch, replicas } = partition.state;
    const follows = !partition.isLeader && leader >= 0 && replicas.includes(this.options.nodeId);
    if (follows) this.fetchers.follow(partition, leader, leaderEpoch);
    else this.fetchers.unfollow(partition);
  }

  /** The directory holding the partition logs (DescribeLogDirs reports it). */
  get logsDir(): string {
    return this.options.logsDir;
  }

  /** Every partition whose log this broker holds, as leader or follower. */
  hostedPartitions(): Partition[] {
    return [...this.partitions.values()];
  }

  /** The partition if this broker leads it, else the error to answer with. */
  leaderPartition(topic: string, index: number): Partition | Unavailable {
    const key = ReplicaManager.key(topic, index);
    const partition = this.partitions.get(key);
    if (partition) {
      if (!partition.isLeader) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: `broker ${this.options.nodeId} is not the leader of ${key}` };
      if (this.options.serving?.() === false) {
        return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: `broker ${this.options.nodeId} leads nothing until the controller has acknowledged it and it has caught up` };
      }
      return partition;
    }
    const known = this.options.image.partition(topic, index);
    if (!known) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `${key} does not exist` };
    if (!known.replicas.includes(this.options.nodeId)) {
      return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: `broker ${this.options.nodeId} does not host ${key}` };
    }
    return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, errorMessage: `${key} is still being opened` };
  }

  /** Waits until the logs of a just-created topic's partitions (as the image has them) are open. */
  async topicReady(topic: string): Promise<void> {
    const partitions = this.options.image.topicsByName.get(topic)?.partitions ?? [];
    await Promise.allSettled(partitions.map((p) => this.opening.get(ReplicaManager.key(topic, p.partition))));
  }

  /**
   * Waits, at most `maxWaitMs`, until the logs of `wanted` that this broker
   * is still opening are open: a follower that learned of a new partition
   * before its leader finished opening it is then served instead of being
   * told LEADER_NOT_AVAILABLE (which rests its fetching for
   * replica.fetch.backoff.ms).
   */
  async whenOpened(wanted: PartitionRef[], maxWaitMs: number): Promise<void> {
    if (this.opening.size === 0 || maxWaitMs <= 0) return;
    const openings = wanted.map((w) => this.opening.get(ReplicaManager.key(w.topic, w.partition))).filter((o) => o !== undefined);
    if (openings.length === 0) return;
    const { time } = this.options;
    let timer: TimerHandle = null;
    const timeout = new Promise<void>((resolve) => (timer = time.setTimeout(resolve, maxWaitMs)));
    await Promise.race([Promise.allSettled(openings), timeout]);
    time.clear(timer);
  }

  /** Parks until one of `wanted` receives data, `maxWaitMs` passes or `until` aborts (the client has gone). */
  async waitForData(wanted: PartitionRef[], maxWaitMs: number, until: AbortSignal): Promise<void> {
    if (until.aborted) return;
    const controller = new AbortController();
    const stop = () => controller.abort();
    const timer = this.options.time.setTimeout(stop, maxWaitMs);
    until.addEventListener('abort', stop, { once: true });
    const waits = wanted
      .map((w) => this.partitions.get(ReplicaManager.key(w.topic, w.partition)))
      .filter((p): p is Partition => p !== undefined)
      .map((p) => p.waitForData(controller.signal));
    await Promise.race([...waits, new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve()))]);
    this.options.time.clear(timer);
    until.removeEventListener('abort', stop);
    controller.abort();
  }

  /** This broker may no longer lead (its lease lapsed): acks=all produces waiting on led partitions get NOT_LEADER_OR_FOLLOWER now. */
  servingLost(): void {
    for (const partition of this.partitions.values()) partition.servingLost();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.options.time.clear(this.shrinkTimer);
    this.options.time.clear(this.expiryTimer);
    await this.fetchers.close();
    await Promise.allSettled(this.opening.values());
    await Promise.allSettled(this.deleting.values());
    for (const partition of this.partitions.values()) partition.close();
    await this.logs?.close();
    this.partitions.clear();
  }
}
