/**
 * The broker runtime, the composition root of one node: data dir, metadata
 * log and image, controller (a quorum of one today), partition replicas, the
 * handler registry and the network listener.
 *
 * start(): lock the data dir -> replay the metadata log -> open partition
 * logs -> load the group coordinator's state from __consumer_offsets ->
 * listen -> register this broker -> log the startup line
 * ("kb broker started: listening on HOST:PORT, node N, data dir D, cluster C").
 * stop(): close the listener, give up the groups (waiting for their writes),
 * then flush and close every log (which writes the clean-shutdown markers),
 * then release the data dir.
 */
import { BrokerConfig } from './config.ts';
import { DataDir } from './data-dir.ts';
import type { Logger } from './logger.ts';
import { Listener } from './server/listener.ts';
import { createDispatcher } from './server/dispatcher.ts';
import { handlers as allHandlers } from './handlers/index.ts';
import type { Handler } from './handlers/handler.ts';
import { ReplicaManager, replicationSettings } from './replica/replica-manager.ts';
import { MetadataImage } from '../metadata/image.ts';
import { MetadataLog } from '../metadata/metadata-log.ts';
import type { BrokerRecord } from '../metadata/records.ts';
import { Controller } from '../controller/controller.ts';
import { formatHostPort, type HostPort } from '../cli/host-port.ts';
import { TopicConfigs, type ConfigEntry } from './topic-configs.ts';
import { GroupCoordinator, consumerOffsetsTopic } from './group/coordinator.ts';
import type { GroupClock } from './group/group.ts';

export { consumerOffsetsTopic };
const internalTopics: ReadonlySet<string> = new Set([consumerOffsetsTopic]);

export interface BrokerOptions {
  config: BrokerConfig;
  listen: HostPort;
  /** What clients are told to connect to; defaults to the listen address (with the bound port). */
  advertised?: HostPort;
  dataDir: string;
  logger: Logger;
  /** Time for group sessions, rebalances and offset expiry (tests pass a fake). */
  groupClock?: GroupClock;
}

export class Broker {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly image = new MetadataImage();
  readonly handlers: ReadonlyMap<number, Handler> = allHandlers;
  readonly controller: Controller;
  readonly replicas: ReplicaManager;
  readonly topicConfigs: TopicConfigs;
  readonly groups: GroupCoordinator;
  private readonly options: BrokerOptions;
  private readonly dataDir: DataDir;
  private readonly metadataLog: MetadataLog;
  private listener: Listener | null = null;
  private producerIds = { next: 0, end: 0 };

  constructor(options: BrokerOptions) {
    this.options = options;
    this.config = options.config;
    this.logger = options.logger;
    this.nodeId = options.config.int('node.id');
    this.dataDir = new DataDir(options.dataDir);
    this.metadataLog = new MetadataLog(this.dataDir.metadataDir, this.logger);
    this.topicConfigs = new TopicConfigs(this.config, this.image);
    this.controller = new Controller(this.metadataLog, this.image, {
      nodeId: this.nodeId,
      defaultPartitions: () => this.config.int('num.partitions'),
      defaultReplicationFactor: () => this.config.int('default.replication.factor'),
      topicConfigProblem: (name, value) => this.topicConfigs.problem(name, value),
      internalTopics,
    });
    this.replicas = new ReplicaManager({
      nodeId: this.nodeId,
      logsDir: this.dataDir.logsDir,
      image: this.image,
      topicConfigs: this.topicConfigs,
      recoveryThreads: this.config.int('num.recovery.threads.per.data.dir'),
      logger: this.logger,
      replication: replicationSettings(this.config),
    });
    this.controller.onCommit((record) => this.replicas.onMetadataRecord(record));
    this.groups = new GroupCoordinator({
      nodeId: this.nodeId,
      config: this.config,
      image: this.image,
      controller: this.controller,
      replicas: this.replicas,
      liveBrokers: () => this.liveBrokers(),
      logger: this.logger,
      clock: options.groupClock,
    });
  }

  async start(): Promise<void> {
    const stamp = await this.dataDir.open(this.nodeId);
    try {
      await this.metadataLog.open();
      await this.controller.start();
      await this.dataDir.stamp(this.nodeId, this.image.clusterId!);
      if (stamp.clusterId && stamp.clusterId !== this.image.clusterId) {
        throw new Error(`data dir belongs to cluster ${stamp.clusterId} but its metadata log says ${this.image.clusterId}`);
      }
      await this.replicas.start();
      await this.groups.start();
      this.listener = new Listener(
        {
          host: this.options.listen.host,
          port: this.options.listen.port,
          maxConnections: this.config.int('max.connections'),
          maxFrameBytes: this.config.int('socket.request.max.bytes'),
          maxQueuedFrames: this.config.int('queued.max.requests'),
          idleTimeoutMs: this.config.int('connections.max.idle.ms'),
        },
        createDispatcher(this.handlers, { broker: this }),
        this.logger,
      );
      const bound = await this.listener.listen();
      const advertised = this.options.advertised ?? { host: this.options.listen.host, port: bound.port };
      await this.controller.registerBroker({
        nodeId: this.nodeId,
        host: advertised.host,
        port: advertised.port === 0 ? bound.port : advertised.port,
        rack: this.config.string('broker.rack') || null,
      });
      this.logger.info(
        `kb broker started: listening on ${formatHostPort({ host: bound.address, port: bound.port })}, node ${this.nodeId}, ` +
          `data dir ${this.dataDir.root}, cluster ${this.image.clusterId}`,
      );
    } catch (err) {
      await this.closeStorage();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.listener?.close();
    this.listener = null;
    await this.closeStorage();
    this.logger.info('kb broker stopped cleanly');
  }

  private async closeStorage(): Promise<void> {
    await this.groups.stop();
    await this.replicas.close();
    await this.metadataLog.close();
    await this.dataDir.unlock();
  }

  /** Registered brokers that are not fenced, by node id. */
  liveBrokers(): BrokerRecord[] {
    return [...this.image.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.nodeId - b.nodeId);
  }

  /** The active controller: this node while the quorum has one voter. */
  controllerId(): number {
    return this.nodeId;
  }

  isInternalTopic(name: string): boolean {
    return internalTopics.has(name);
  }

  topicConfigEntries(topic: string, requested: { name: string; value: string | null }[] = []): ConfigEntry[] {
    return this.topicConfigs.entries(topic, requested);
  }

  brokerConfigEntries(): ConfigEntry[] {
    return this.topicConfigs.brokerEntries();
  }

  /** A producer id unique in the cluster, from blocks the controller hands out. */
  async nextProducerId(): Promise<bigint> {
    if (this.producerIds.next >= this.producerIds.end) {
      const block = await this.controller.allocateProducerIds(this.nodeId);
      this.producerIds = { next: block.firstProducerId, end: block.firstProducerId + block.size };
    }
    return BigInt(this.producerIds.next++);
  }
}
