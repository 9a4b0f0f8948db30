/**
 * A client's view of a cluster: bootstrap addresses, one lazily opened
 * BrokerConnection per broker, and cached metadata (brokers, controller,
 * topics with partition leaders). `refreshMetadata` re-reads it from any
 * reachable broker; `leader(topic, partition)` gives the connection to the
 * partition's leader, refreshing once when it is unknown.
 */
import { BrokerConnection, ClientError } from './connection.ts';

export interface ClusterOptions {
  bootstrap: { host: string; port: number }[];
  clientId?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: Buffer;
  errorCode: number;
  internal: boolean;
  partitions: PartitionInfo[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: Map<number, BrokerInfo>;
  topics: Map<string, TopicInfo>;
}

/** No bootstrap or known broker accepted a connection. */
export class ClusterUnreachableError extends ClientError {
  override name = 'ClusterUnreachableError';
}

const metadataKey = 3;
const metadataVersionMax = 9;
const defaultRequestTimeoutMs = 30_000;
const defaultConnectTimeoutMs = 5_000;

export class Cluster {
  private readonly options: Required<ClusterOptions>;
  private readonly connections = new Map<string, Promise<BrokerConnection>>();
  metadata: ClusterMetadata | null = null;

  constructor(options: ClusterOptions) {
    if (options.bootstrap.length === 0) throw new ClientError('no bootstrap broker given');
    this.options = {
      clientId: 'kb',
      requestTimeoutMs: defaultRequestTimeoutMs,
      connectTimeoutMs: defaultConnectTimeoutMs,
      ...options,
    };
  }

  /** The (shared) connection to host:port, opened on first use. */
  connection(host: string, port: number): Promise<BrokerConnection> {
    const key = `${host}:${port}`;
    let pending = this.connections.get(key);
    if (!pending) {
      const connection = new BrokerConnection({
        host,
        port,
        clientId: this.options.clientId,
        requestTimeoutMs: this.options.requestTimeoutMs,
        connectTimeoutMs: this.options.connectTimeoutMs,
      });
      pending = connection.connect().then(() => connection);
      pending.catch(() => this.connections.delete(key));
      this.connections.set(key, pending);
    }
    return pending;
  }

  /** A connection to any reachable broker: known brokers first, then the bootstrap list. */
  async anyBroker(): Promise<BrokerConnection> {
    const candidates = [...(this.metadata?.brokers.values() ?? []), ...this.options.bootstrap];
    const errors: string[] = [];
    for (const { host, port } of candidates) {
      try {
        return await this.connection(host, port);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    throw new ClusterUnreachableError(`no broker reachable: ${[...new Set(errors)].join('; ')}`);
  }

  async broker(nodeId: number): Promise<BrokerConnection> {
    const info = this.metadata?.brokers.get(nodeId) ?? (await this.refreshMetadata()).brokers.get(nodeId);
    if (!info) throw new ClientError(`broker ${nodeId} is not in the cluster metadata`);
    return this.connection(info.host, info.port);
  }

  /** Reads metadata for `topics` (all topics when null) without creating any. */
  async refreshMetadata(topics: string[] | null = null): Promise<ClusterMetadata> {
    const connection = await this.anyBroker();
    const response = await connection.request(metadataKey, metadataVersionMax, {
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: Buffer.alloc(16) })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const metadata: ClusterMetadata = {
      clusterId: response.clusterId,
      controllerId: response.controllerId,
      brokers: new Map(response.brokers.map((b: any) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }])),
      topics: new Map(
        response.topics.map((t: any) => [
          t.name,
          {
            name: t.name,
            topicId: t.topicId,
            errorCode: t.errorCode,
            internal: t.isInternal,
            partitions: t.partitions
              .map((p: any) => ({
                partition: p.partitionIndex,
                leader: p.leaderId,
                leaderEpoch: p.leaderEpoch,
                replicas: p.replicaNodes,
                isr: p.isrNodes,
                offline: p.offlineReplicas,
                errorCode: p.errorCode,
              }))
              .sort((a: PartitionInfo, b: PartitionInfo) => a.partition - b.partition),
          },
        ]),
      ),
    };
    const knownTopics = topics === null || !this.metadata ? new Map<string, TopicInfo>() : this.metadata.topics;
    for (const [name, topic] of metadata.topics) knownTopics.set(name, topic);
    this.metadata = { ...metadata, topics: knownTopics };
    return metadata;
  }

  async controller(): Promise<BrokerConnection> {
    const metadata = this.metadata ?? (await this.refreshMetadata());
    return this.broker(metadata.controllerId);
  }

  close(): void {
    for (const pending of this.connections.values()) pending.then((c) => c.close(), () => undefined);
    this.connections.clear();
  }
}
