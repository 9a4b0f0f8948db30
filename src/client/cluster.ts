/**
 * A client's view of a cluster: bootstrap addresses, one lazily opened
 * BrokerConnection per broker, and cached metadata (brokers, controller,
 * topics with partition leaders). `refreshMetadata` re-reads it from any
 * reachable broker; `leader(topic, partition)` gives the connection to the
 * partition's leader, refreshing once when it is unknown. `controller()`
 * waits, within the request timeout, while the cluster names no active
 * controller that is a registered broker (its nodes still starting, an
 * election under way), then says the cluster is still forming.
 *
 * A connection that has closed (its broker stopped or restarted) is opened
 * again on next use, so a long-lived client (`kb console`) follows brokers
 * that come and go instead of failing on the dead connection.
 *
 * Every connection is secured alike (`security`: TLS, SASL); when no
 * broker lets the client in and one failed on security (a TLS handshake,
 * the wrong protocol, a refused login: ConnectionSecurityError), that is
 * the error, not "no broker reachable".
 *
 * A stalled broker (one that accepts connections and never answers) costs
 * at most the request timeout and never blocks the others: `anyBroker`
 * tries every address at once, and `close()` ends every connection,
 * those still connecting too, so nothing keeps the process alive.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type tls from 'node:tls';
import { BrokerConnection, ClientError, ConnectionSecurityError } from '../net/connection.ts';
import { saslAuthentication } from '../net/sasl-login.ts';
import type { SaslCredentials } from '../protocol/sasl-client.ts';
import { zeroUuid } from '../protocol/well-known.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import type { MetadataResponseTopic } from '../protocol/generated/metadata-response.ts';

/** How every connection secures itself: TLS, a SASL login, both or neither (PLAINTEXT). */
export interface ConnectionSecurity {
  tls?: tls.ConnectionOptions;
  sasl?: SaslCredentials;
}

export interface ClusterOptions {
  bootstrap: { host: string; port: number }[];
  clientId?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** TLS and SASL settings of every connection (PLAINTEXT without). */
  security?: ConnectionSecurity;
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

const metadataVersionMax = 9;
const defaultRequestTimeoutMs = 30_000;
const defaultConnectTimeoutMs = 5_000;
/** Pause between metadata refreshes while waiting for a controller. */
const controllerRetryBackoffMs = 200;

export class Cluster {
  private readonly options: Required<ClusterOptions>;
  private readonly connections = new Map<string, { connection: BrokerConnection; ready: Promise<BrokerConnection> }>();
  metadata: ClusterMetadata | null = null;

  constructor(options: ClusterOptions) {
    if (options.bootstrap.length === 0) throw new ClientError('no bootstrap broker given');
    this.options = {
      clientId: 'kb',
      requestTimeoutMs: defaultRequestTimeoutMs,
      connectTimeoutMs: defaultConnectTimeoutMs,
      security: {},
      ...options,
    };
  }

  /** The (shared) connection to host:port, opened on first use and again once it has closed (the broker went away). */
  connection(host: string, port: number): Promise<BrokerConnection> {
    const key = `${host}:${port}`;
    let entry = this.connections.get(key);
    if (entry?.connection.closed) entry = undefined;
    if (!entry) {
      const connection = new BrokerConnection({
        host,
        port,
        clientId: this.options.clientId,
        requestTimeoutMs: this.options.requestTimeoutMs,
        connectTimeoutMs: this.options.connectTimeoutMs,
        tls: this.options.security.tls,
        authenticate: this.options.security.sasl && saslAuthentication(this.options.security.sasl),
      });
      const opened = { connection, ready: connection.connect().then(() => connection) };
      opened.ready.catch(() => {
        if (this.connections.get(key) === opened) this.connections.delete(key);
      });
      this.connections.set(key, opened);
      entry = opened;
    }
    return entry.ready;
  }

  /** A connection to any reachable broker, known brokers and the bootstrap list tried at once: the first to answer (an open one at once). */
  async anyBroker(): Promise<BrokerConnection> {
    const candidates = new Map([...(this.metadata?.brokers.values() ?? []), ...this.options.bootstrap].map((b) => [`${b.host}:${b.port}`, b]));
    try {
      return await Promise.any([...candidates.values()].map(({ host, port }) => this.connection(host, port)));
    } catch (err) {
      const refused = (err as AggregateError).errors.find((e) => e instanceof ConnectionSecurityError);
      if (refused) throw refused;
      const errors = (err as AggregateError).errors.map((e: Error) => e.message);
      throw new ClusterUnreachableError(`no broker reachable: ${[...new Set(errors)].join('; ')}`);
    }
  }

  async broker(nodeId: number): Promise<BrokerConnection> {
    const info = this.metadata?.brokers.get(nodeId) ?? (await this.refreshMetadata()).brokers.get(nodeId);
    if (!info) throw new ClientError(`broker ${nodeId} is not in the cluster metadata`);
    return this.connection(info.host, info.port);
  }

  /** Reads metadata for `topics` (all topics when null), creating none unless `allowAutoTopicCreation` (the broker's auto.create.topics.enable decides). */
  async refreshMetadata(topics: string[] | null = null, allowAutoTopicCreation = false): Promise<ClusterMetadata> {
    const connection = await this.anyBroker();
    const response = await connection.request(ApiKeys.Metadata, metadataVersionMax, {
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: zeroUuid })),
      allowAutoTopicCreation,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const metadata: ClusterMetadata = {
      clusterId: response.clusterId,
      controllerId: response.controllerId,
      brokers: new Map(response.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }])),
      topics: new Map(response.topics.map(topicInfo).map((t) => [t.name, t])),
    };
    const knownTopics = topics === null || !this.metadata ? new Map<string, TopicInfo>() : this.metadata.topics;
    for (const [name, topic] of metadata.topics) knownTopics.set(name, topic);
    this.metadata = { ...metadata, topics: knownTopics };
    return metadata;
  }

  /** The active controller's connection, waiting for one (see the header); throws ClientError once the request timeout has passed without. */
  async controller(): Promise<BrokerConnection> {
    const deadline = Date.now() + this.options.requestTimeoutMs;
    let metadata = this.metadata ?? (await this.refreshMetadata());
    for (;;) {
      const controller = metadata.brokers.get(metadata.controllerId);
      if (controller) return this.connection(controller.host, controller.port);
      if (Date.now() + controllerRetryBackoffMs > deadline) {
        const seen = metadata.controllerId < 0 ? 'no node knows of a controller yet' : `its controller, node ${metadata.controllerId}, has not registered as a broker yet`;
        throw new ClientError(`the cluster is still forming (no controller yet): ${seen} after ${this.options.requestTimeoutMs} ms; are a majority of the voters up? Try again in a moment`);
      }
      await sleep(controllerRetryBackoffMs);
      metadata = await this.refreshMetadata();
    }
  }

  close(): void {
    for (const { connection } of this.connections.values()) connection.close();
    this.connections.clear();
  }
}

/**
 * A topic of a Metadata answer. Its name is null only in v12+ answers to
 * topics asked for by id (this client asks by name, at v9 at most).
 */
function topicInfo(t: MetadataResponseTopic): TopicInfo {
  return {
    name: t.name ?? '',
    topicId: t.topicId,
    errorCode: t.errorCode,
    internal: t.isInternal,
    partitions: t.partitions
      .map((p) => ({
        partition: p.partitionIndex,
        leader: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        offline: p.offlineReplicas,
        errorCode: p.errorCode,
      }))
      .sort((a, b) => a.partition - b.partition),
  };
}
