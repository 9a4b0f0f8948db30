/**
 * What a handler file (handlers/NN-name.ts, one per API key) exports: the
 * versions it serves, where the request is served (`forwardToController`)
 * and a function from the decoded request body to the response body (or
 * null: send nothing, as for acks=0 produce). Handlers put
 * protocol failures into the response as per-item error codes; a thrown
 * exception is a bug and closes the client's connection.
 *
 * A handler sees the node only through the narrow services below, passed in
 * its request context (the broker assembles them; a test can pass fakes), and
 * the request context is where what is known about the caller lives. Nothing
 * here imports the broker.
 */
import type { ApiKey } from '../../protocol/generated/api-keys.ts';
import type { Allocate } from '../server/buffer-pool.ts';
import type { RequestMemory } from '../server/request-memory.ts';
import type { SaslSession } from '../server/sasl-session.ts';
import type { BrokerConfig } from '../config.ts';
import type { TopicConfigs } from '../topic-configs.ts';
import type { ReplicaManager } from '../replica/replica-manager.ts';
import type { GroupCoordinator } from '../group/coordinator.ts';
import type { TransactionCoordinator } from '../txn/coordinator.ts';
import type { BrokerMetrics } from '../metrics/broker-metrics.ts';
import type { Controller, ItemResult, NewTopic } from '../../controller/controller.ts';
import type { MetadataQuorum } from '../../controller/quorum/metadata-quorum.ts';
import type { MetadataImage } from '../../metadata/image.ts';
import type { BrokerRecord } from '../../metadata/records.ts';
import type { Logger } from '../../logger.ts';
import type { ClientQuotas } from '../auth/client-quotas.ts';
import type { AccessControl, ConnectionAccess } from '../auth/access-control.ts';

/** This node as the cluster sees it, and what it asks the active controller for on a handler's behalf. */
export interface NodeService {
  readonly nodeId: number;
  /** Whether this node may lead partitions, coordinate groups and answer Metadata with its own leaderships. */
  serving(): boolean;
  /** Registered brokers that are not fenced, by node id. */
  liveBrokers(): BrokerRecord[];
  /** The active controller (the metadata quorum's leader), -1 when none is known. */
  controllerId(): number;
  isInternalTopic(name: string): boolean;
  /**
   * Creates topics through the active controller, wherever it is; resolves
   * once this node has opened the logs it hosts. `forClient`: on a client's
   * behalf (Metadata auto-creation), so the controller counts it against
   * the client's limits rather than taking it for this node's own request.
   */
  createTopics(topics: NewTopic[], options?: { forClient?: boolean }): Promise<ItemResult[]>;
  /** A producer id unique in the cluster; null while none can be had. */
  nextProducerId(): Promise<bigint | null>;
}

/** The metadata this node has applied, to read (only the metadata quorum changes it). */
export type ImageService = Readonly<Pick<MetadataImage, 'clusterId' | 'brokers' | 'topicsByName' | 'topicsById' | 'scramCredentials' | 'acls' | 'clientQuotas'>>;
/** The partitions this node hosts. */
export type ReplicaService = Pick<ReplicaManager, 'leaderPartition' | 'whenOpened' | 'waitForData' | 'leaderThrottle' | 'topicReady' | 'hostedPartitions' | 'logsDir'>;
/** The consumer groups this node coordinates. */
export type GroupService = Pick<
  GroupCoordinator,
  'findCoordinator' | 'join' | 'sync' | 'heartbeat' | 'leave' | 'describe' | 'list' | 'deleteGroups' | 'commitOffsets' | 'commitTxnOffsets' | 'completeTxn' | 'fetchOffsets' | 'deleteOffsets'
>;
/** The transactional ids this node coordinates. */
export type TxnService = Pick<TransactionCoordinator, 'findCoordinator' | 'initProducerId' | 'addPartitions' | 'addOffsets' | 'endTxn' | 'describe' | 'list'>;
/** The controller's decisions: served only on the active controller (the dispatcher forwards controller APIs there). */
export type ControllerService = Pick<
  Controller,
  | 'createTopics'
  | 'deleteTopics'
  | 'createPartitions'
  | 'alterTopicConfigs'
  | 'alterBrokerConfigs'
  | 'electLeaders'
  | 'alterPartitionReassignments'
  | 'listPartitionReassignments'
  | 'alterPartition'
  | 'registerBroker'
  | 'brokerHeartbeat'
  | 'allocateProducerIds'
  | 'alterUserScramCredentials'
  | 'alterClientQuotas'
  | 'createAcls'
  | 'deleteAcls'
  | 'mutationThrottleMs'
>;
/** The metadata quorum: its own APIs' requests, and its state for DescribeQuorum. */
export type QuorumService = Pick<MetadataQuorum, 'handle' | 'describe' | 'voterAddress'>;
/** Topic configs (effective values with their source) and this broker's settings. */
export type ConfigService = Pick<TopicConfigs, 'entries' | 'brokerEntries' | 'storedCompression'>;
export type SettingsService = Pick<BrokerConfig, 'bool' | 'int'>;
export type MetricsService = Pick<BrokerMetrics, 'produced' | 'consumed'>;
/** Memory Fetch responses hold until their sockets take them, on all connections (`queued.max.response.bytes`). */
export type ResponseMemoryService = Pick<RequestMemory, 'room' | 'take' | 'give' | 'whenFree'>;
/** Client quotas this node enforces (auth/client-quotas.ts): Produce and Fetch record their bytes, the dispatcher handler time. */
export type QuotaService = Pick<ClientQuotas, 'produce' | 'fetch' | 'request'>;
/** Whether authorization is on, and the authorizer over the ACLs now (kb acl check asks it). */
export type AccessService = Pick<AccessControl, 'settings' | 'authorizer'>;
/** The node's log, for what a handler limited or refused (not per-request chatter). */
export type LogService = Pick<Logger, 'warn'>;
/** How peers prove who they are (controller-channel.ts `actsAs`). */
export interface PeerAuthService {
  /** False with peer.authentication=none: the node ids requests claim are taken as they are. */
  readonly required: boolean;
  /** Logs a request refused for the node id it claims (rate-limited: anyone can send them at will). */
  logRefusal(message: string): void;
}

/** Everything a handler may use of the node it runs on. */
export interface BrokerServices {
  node: NodeService;
  image: ImageService;
  replicas: ReplicaService;
  groups: GroupService;
  txns: TxnService;
  controller: ControllerService;
  quorum: QuorumService;
  configs: ConfigService;
  settings: SettingsService;
  metrics: MetricsService;
  log: LogService;
  access: AccessService;
  responseMemory: ResponseMemoryService;
  quotas: QuotaService;
  peerAuth: PeerAuthService;
  /** The handler registry (ApiVersions advertises it). */
  handlers: ReadonlyMap<number, Handler>;
}

export interface RequestContext {
  services: BrokerServices;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** host:port of the client. */
  clientAddress: string;
  /**
   * Who sent the request: `User:<name>` as the client authenticated (a SASL
   * login, else a TLS client certificate through
   * ssl.principal.mapping.rules), else `User:ANONYMOUS`; a node's principal
   * (auth/principal.ts) for a node's own requests and those on a peer
   * listener.
   */
  principal: string;
  /** What the principal may do (access-control.ts): handlers ask it per resource, as the table in auth/api-operations.ts says. */
  access: ConnectionAccess;
  /** The listener the request came in on (listeners-config.ts); peer: a peer listener, where the peer APIs are served. */
  listener: { name: string; peer: boolean };
  /** Aborted once the client's connection has closed: a request still waiting (a parked fetch) has nobody to answer. */
  clientGone: AbortSignal;
  /** Memory the response may refer to: valid until the response has been written, reused after. */
  allocate: Allocate;
  /** The node id the connection authenticated as (this node's own for its local requests); null when it has not. */
  peer: number | null;
  /** The connection's SASL session (SaslHandshake, SaslAuthenticate); null for this node's local requests. */
  sasl: SaslSession | null;
}

export interface Handler<Request = any, Response = any> {
  apiKey: ApiKey;
  /**
   * Served by the active controller only (topic and config changes, broker
   * registrations and heartbeats, ISR changes, producer id blocks): another
   * node forwards the request there through its ControllerChannel.
   */
  forwardToController?: boolean;
  minVersion: number;
  maxVersion: number;
  /**
   * The highest version ApiVersions advertises when lower than maxVersion:
   * versions above it are served to kb's own nodes only (which send them
   * without asking), e.g. the Fetch version of the metadata quorum, which
   * clients must not pick up.
   */
  advertisedMaxVersion?: number;
  /**
   * A peer API, never served on a client listener nor advertised there:
   * a client gets `clientRefusal`'s answer (CLUSTER_AUTHORIZATION_FAILED),
   * or, without one, its connection is closed (the Raft APIs).
   */
  peerOnly?: true;
  /**
   * On a client listener, what a client may not ask of this API (a peer's
   * request of an API both use, as a replica Fetch): the answer refusing
   * it, 'close' to close the connection, or null to serve it.
   */
  clientRefusal?: (request: Request, apiVersion: number) => Response | 'close' | null;
  /**
   * The answer carrying only `errorCode`, for a node's own controller API
   * (`forwardToController` and `peerOnly`: registration, heartbeat, ISR
   * change, producer ids). Such a request that reaches a node which is not
   * the active controller is answered NOT_CONTROLLER, as Kafka does, never
   * forwarded: the controller takes the node id only from the connection
   * the request came over, so a forwarded one would be refused. The
   * sender's controller channel then asks the controller it knows now.
   */
  errorAnswer?: (errorCode: number) => Response;
  /**
   * Authorization decided where the request arrives, before it is handled
   * or forwarded to the active controller (which takes a forwarded request
   * for a node's): see Authorization. Handlers that are not forwarded may
   * instead ask `ctx.access` as they go; auth/api-operations.ts says which
   * way each API is authorized.
   */
  authorize?: (request: Request, ctx: RequestContext) => Authorization<Request, Response>;
  handle(request: Request, ctx: RequestContext): Promise<Response | null> | Response | null;
}

/**
 * Null: go on with the request as it is. `denied`: the answer, the
 * principal may do none of it. `request`: go on with what the principal
 * may do, and `complete` the answer with the refused items' results.
 */
export type Authorization<Request, Response> = null | { denied: Response } | { request: Request; complete: (response: Response) => Response };

/** Identity helper that checks a handler's shape where it is defined. */
export function defineHandler<Request, Response>(handler: Handler<Request, Response>): Handler<Request, Response> {
  return handler;
}
