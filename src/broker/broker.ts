/**
 * The broker runtime, the composition root of one node: data dir, metadata
 * quorum and image, controller (active while this node leads the quorum),
 * partition replicas, the handler registry and the network listeners.
 * Handlers see none of it directly: the broker hands them narrow services
 * (handlers/handler.ts), and is itself their NodeService. The image,
 * controller, replicas and groups stay readable for in-process tests.
 *
 * start(): read the SSL listeners' certificates (server/listener-tls.ts;
 * the node's own peer connections present them too when the peer
 * listeners are SSL) -> lock the data dir (refused when stamped for another node or
 * voter set) -> start the metadata quorum -> open the listeners
 * (server/listeners-config.ts decides them: a client listener, and a peer
 * listener where the peer APIs are served, peers reaching the quorum
 * there, each connection proving first that it holds the cluster secret
 * unless peer.authentication=none, which is logged as a WARN; a node with
 * a peer listener and neither refuses to start; on SASL client listeners
 * each connection logs in as a user first, server/sasl-mechanisms.ts) -> wait until the image is
 * current (a quorum leader is known and this node applied what it
 * committed; the first leader of a new cluster records its id) -> check
 * and stamp the cluster id -> create the bootstrap user when asked and the
 * cluster has none -> open partition logs -> register this broker
 * with the active controller, every listener as an endpoint, and heartbeat (broker-lifecycle.ts) until it
 * is unfenced and has applied its unfencing (a re-registration moves
 * leadership, so leader epochs settle only then) -> wait for the group
 * coordinator to load the __consumer_offsets partitions it leads (from
 * then on it loads and gives them up as their leadership and this node's
 * serving change) -> serve Prometheus metrics when
 * asked (`metricsListen`; logs "metrics on http://HOST:PORT/metrics") -> log
 * the startup line ("kb broker started: listening on CLIENT://HOST:PORT,
 * PEER://HOST:PORT, node N, data dir D, cluster C"; client listeners first).
 * A failed start closes what it opened and removes a data dir it created
 * with no partition log in it (data-dir.ts), then rejects.
 * The listeners open early (peers reach the quorum through them), so client
 * requests can arrive while the node is starting, and later while it has
 * lost its lease: until `serving()`, it leads no partition
 * (NOT_LEADER_OR_FOLLOWER), coordinates no group (NOT_COORDINATOR) and
 * answers Metadata without its own leaderships.
 * stop(): controlled shutdown (the controller moves this broker's
 * leaderships away, bounded by broker.session.timeout.ms), then close the
 * metrics endpoint and the listeners, give up the groups (waiting for their writes),
 * then flush and close every log (which writes the clean-shutdown markers),
 * stop the quorum (a leader hands over first), then release the data dir.
 */
import { crc32cImplementation } from '../protocol/crc32c.ts';
import { snappyImplementation } from '../protocol/compression.ts';
import { BrokerConfig, ConfigError } from './config.ts';
import { DataDir } from './data-dir.ts';
import type { Logger } from '../logger.ts';
import { normalizeIp } from './server/connection-quotas.ts';
import { createDispatcher } from './server/dispatcher.ts';
import { handlers as allHandlers } from './handlers/index.ts';
import type { BrokerServices, Handler, NodeService, RequestContext } from './handlers/handler.ts';
import { ReplicaManager, replicationSettings } from './replica/replica-manager.ts';
import { MetadataImage } from '../metadata/image.ts';
import { endpointOf, type BrokerRecord, type Endpoint } from '../metadata/records.ts';
import type net from 'node:net';
import { Listener, refusalLogIntervalMs, type ListenerOptions } from './server/listener.ts';
import { nodePrincipal } from './auth/principal.ts';
import { RequestMemory } from './server/request-memory.ts';
import { RateLimitedLog } from './server/rate-limited-log.ts';
import { controllerListenerNames, interBrokerListenerName, resolveListeners, type ListenerSpec } from './server/listeners-config.ts';
import { ListenerTls, readListenerTls, usesTls } from './server/listener-tls.ts';
import { PeerConnections, type PeerTls } from '../net/peer-connections.ts';
import type { CoordinatorContext } from './coordinator-partitions.ts';
import { Controller, type ItemResult, type NewTopic } from '../controller/controller.ts';
import { internalTopicNames } from '../controller/topic-names.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import { MetadataQuorum } from '../controller/quorum/metadata-quorum.ts';
import { ControllerChannel, peerClientId } from './controller-channel.ts';
import type { PeerCredentials } from '../net/peer-login.ts';
import { clusterSecretMechanism } from './server/sasl-session.ts';
import { authFailureAddressesMax, authFailuresBurst, authFailuresPerSecond, authenticationTimeoutMs, unauthenticatedConnectionsMax } from '../limits.ts';
import { imageCredentials, readReauthMs, readSaslMechanisms, unknownUserKey, userMechanism } from './server/sasl-mechanisms.ts';
import { AuthFailures } from './server/auth-failures.ts';
import { refusesConnections } from './address-probe.ts';
import { BrokerLifecycle } from './broker-lifecycle.ts';
import { systemTime, type Time } from '../clock.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import type { AllocateProducerIdsResponse } from '../protocol/generated/allocate-producer-ids-response.ts';
import { formatHostPort, type HostPort, type Voter } from '../net/host-port.ts';
import { TopicConfigs } from './topic-configs.ts';
import { GroupCoordinator, consumerOffsetsTopic } from './group/coordinator.ts';
import { TransactionCoordinator, transactionStateTopic } from './txn/coordinator.ts';
import { MarkerSender } from './txn/marker-sender.ts';
import type { WriteTxnMarkersRequest } from '../protocol/generated/write-txn-markers-request.ts';
import type { WriteTxnMarkersResponse } from '../protocol/generated/write-txn-markers-response.ts';
import { BrokerMetrics } from './metrics/broker-metrics.ts';
import { MetricsServer, metricsPath } from './metrics/metrics-server.ts';
import { createBootstrapUser, type BootstrapUser } from './bootstrap-user.ts';
import { ClientQuotas } from './auth/client-quotas.ts';
import { AccessControl, ConnectionAccess, accessSettings } from './auth/access-control.ts';

export { consumerOffsetsTopic };
const createTopicsVersion = 7;
const alterPartitionVersion = 3;
const writeTxnMarkersVersion = 1;
/** The connections carrying transaction markers to partition leaders. */
const markerLane = { name: 'txn-markers', requestTimeoutMs: 30_000 };
/** The broker's own requests to its handlers (forwarded controller APIs) have a caller that never goes away. */
const localClientStays = new AbortController().signal;
/**
 * The secret this node's peers authenticate with (peer.authentication): a
 * node with a peer listener needs one unless the cluster opted out
 * ('none'); a node alone (a client listener only) may have none.
 */
function peerSecret(config: BrokerConfig, secret: Buffer | null, hasPeerListener: boolean): Buffer | null {
  const mode = config.string('peer.authentication');
  if (mode !== 'cluster-secret' && mode !== 'none') throw new ConfigError(`peer.authentication=${mode}: expected cluster-secret or none`);
  if (mode === 'none') return null;
  if (secret === null && hasPeerListener) {
    throw new ConfigError(
      'this node has a peer listener but no cluster secret: give every node the same secret with ' +
        '--cluster-secret-file FILE or the KB_CLUSTER_SECRET environment variable (kb cluster up generates one), or opt out with ' +
        '--set peer.authentication=none (anyone who can reach the peer listener can then take over the cluster)',
    );
  }
  return secret;
}

/** How long the controller tries to connect to a broker that lost its connection before leaving it to its session. */
const addressProbeTimeoutMs = 1_000;

export interface BrokerOptions {
  config: BrokerConfig;
  /** `--listen`: the client listener (listeners-config.ts has the shorthands). */
  listen?: HostPort;
  /** `--peer-listen`: a broker-only node's peer listener. */
  peerListen?: HostPort;
  /** `--advertised-listener`: what clients are told to connect to; defaults to the listen address (with the bound port). */
  advertised?: HostPort;
  dataDir: string;
  /** The metadata quorum's voters, at their peer listeners (the same list on every node); default: this node alone. */
  voters?: Voter[];
  logger: Logger;
  /** Called when the broker cannot go on (its metadata quorum failed); the owner should stop it. */
  onFatal?: (err: Error) => void;
  /** Every clock reading and timer of the node (replication, groups, the controller's sessions, the broker's lease); default systemTime. */
  time?: Time;
  /** Time for group sessions, rebalances and offset expiry only (tests drive groups by hand); default `time`. */
  groupClock?: Time;
  /** Where to serve Prometheus metrics over HTTP (port 0: a free port); none by default. */
  metricsListen?: HostPort;
  /** The first user, created at start when the cluster has none (bootstrap-user.ts). */
  bootstrapUser?: BootstrapUser;
  /** The cluster secret (cluster-secret.ts); required when the node has peers, unless peer.authentication=none. */
  clusterSecret?: Buffer | null;
}

export class Broker implements NodeService {
  readonly nodeId: number;
  readonly image = new MetadataImage();
  readonly controller: Controller;
  readonly replicas: ReplicaManager;
  readonly groups: GroupCoordinator;
  readonly txns: TransactionCoordinator;
  /** This node's connections to partition leaders for transaction markers. */
  private readonly markerPeers: PeerConnections;
  private readonly config: BrokerConfig;
  private readonly logger: Logger;
  private readonly handlers: ReadonlyMap<number, Handler> = allHandlers;
  private readonly quorum: MetadataQuorum;
  private readonly controllerChannel: ControllerChannel;
  private readonly topicConfigs: TopicConfigs;
  private readonly metrics: BrokerMetrics;
  /** What handlers may use of this node. */
  private readonly services: BrokerServices;
  /** `queued.max.response.bytes`: fetched bytes responses hold until written, on all connections. */
  private readonly responseMemory: RequestMemory;
  /** authorizer.class.name and the ACLs: what each connection may do. */
  private readonly access: AccessControl;
  private readonly options: BrokerOptions;
  private readonly dataDir: DataDir;
  private readonly voters: Voter[];
  private clusterIdStamp: string | null = null;
  private started = false;
  /** What stop() is doing (for a stop that takes too long). */
  stopStage = 'not stopping';
  /** Rejects when the broker fails while starting (so start rejects). */
  private failedWhileStarting: (err: Error) => void = () => {};
  private readonly lifecycle: BrokerLifecycle;
  /** What this node listens on (listeners-config.ts). */
  private readonly listenerSpecs: ListenerSpec[];
  /** inter.broker.listener.name: where brokers reach each other. */
  private readonly interBrokerListener: string;
  /** The endpoints registered with the controller, once listening. */
  private endpoints: Endpoint[] = [];
  private listeners: Listener[] = [];
  /** The TLS of each SSL listener, by name (listener-tls.ts); its certificates load at start. */
  private readonly listenerTls = new Map<string, ListenerTls>();
  private metricsServer: MetricsServer | null = null;
  private producerIds = { next: 0, end: 0 };
  /** How this node proves itself to its peers; null when it does not (alone, or peer.authentication=none). */
  private readonly credentials: PeerCredentials | null;
  /** The secret peers prove themselves with; null when nobody can (peer.authentication=none, or no secret on a node alone). */
  private readonly clusterSecret: Buffer | null;
  /** The SASL mechanisms and login lifetime of each SASL client listener, by name (sasl-mechanisms.ts). */
  private readonly saslSettings = new Map<string, { mechanisms: string[]; reauthMs: number }>();
  /** Failed authentications by client address, on every listener. */
  private readonly authFailures: AuthFailures;
  /** What unknown users' fake SCRAM salts derive from (sasl-mechanisms.ts). */
  private readonly unknownUserKey: Buffer;

  constructor(options: BrokerOptions) {
    const time = options.time ?? systemTime;
    this.options = options;
    this.config = options.config;
    this.logger = options.logger;
    this.nodeId = options.config.int('node.id');
    this.dataDir = new DataDir(options.dataDir);
    this.listenerSpecs = resolveListeners(this.config, { nodeId: this.nodeId, listen: options.listen, peerListen: options.peerListen, advertised: options.advertised, voters: options.voters });
    this.interBrokerListener = interBrokerListenerName(this.config);
    for (const spec of this.listenerSpecs) {
      if (usesTls(spec.securityProtocol)) this.listenerTls.set(spec.name, new ListenerTls(readListenerTls(this.config, spec.name), this.logger, time));
      if (!spec.peer && spec.securityProtocol.startsWith('SASL_')) {
        this.saslSettings.set(spec.name, { mechanisms: readSaslMechanisms(this.config, spec.name), reauthMs: readReauthMs(this.config, spec.name) });
      }
    }
    const controllerTls = this.peerTls(controllerListenerNames(this.config)[0] ?? '');
    const { host, port } = this.listenerSpecs.find((s) => s.peer) ?? this.listenerSpecs[0];
    // A node alone: a quorum of one sends no Raft messages, so its voter address is only what DescribeQuorum shows.
    this.voters = options.voters ?? [{ nodeId: this.nodeId, host, port }];
    this.clusterSecret = peerSecret(this.config, options.clusterSecret ?? null, this.listenerSpecs.some((s) => s.peer));
    this.credentials = this.clusterSecret === null ? null : { nodeId: this.nodeId, secret: this.clusterSecret };
    this.unknownUserKey = unknownUserKey(options.clusterSecret ?? null);
    this.authFailures = new AuthFailures({ burst: authFailuresBurst, perSecond: authFailuresPerSecond, addressesMax: authFailureAddressesMax }, time);
    this.topicConfigs = new TopicConfigs(this.config, this.image);
    const denials = new RateLimitedLog((line) => this.logger.warn(line), refusalLogIntervalMs, 'more denied');
    this.access = new AccessControl(accessSettings(this.config), this.image, (line) => denials.note(line));
    const mutationRate = Number(this.config.get('controller.mutation.rate'));
    if (!(mutationRate > 0)) throw new ConfigError(`controller.mutation.rate=${mutationRate}: must be a positive number of partitions per second`);
    const quotaWindow = { num: this.config.int('quota.window.num'), sizeMs: this.config.int('quota.window.size.seconds') * 1000 };
    if (!(quotaWindow.num >= 1 && quotaWindow.sizeMs >= 1000)) throw new ConfigError('quota.window.num and quota.window.size.seconds must be at least 1');
    this.metrics = new BrokerMetrics({
      image: this.image,
      isActiveController: () => this.quorum.isActiveController(),
      hostedPartitions: () => this.replicas.hostedPartitions(),
      committedOffsets: () => this.groups.committedOffsets(),
    });
    this.quorum = new MetadataQuorum({
      nodeId: this.nodeId,
      voters: this.voters,
      dir: this.dataDir.metadataDir,
      image: this.image,
      logger: this.logger,
      clusterId: () => this.clusterIdStamp,
      raftConfig: {
        electionTimeoutMs: this.config.int('controller.quorum.election.timeout.ms'),
        fetchTimeoutMs: this.config.int('controller.quorum.fetch.timeout.ms'),
        checkQuorumTimeoutMs: Math.floor(this.config.int('controller.quorum.fetch.timeout.ms') * 1.5),
        snapshotIntervalEntries: this.config.int('metadata.log.max.entries.between.snapshots'),
      },
      onFatal: (err) => this.fail(err),
      peerTls: controllerTls,
      onRefused: (err) => {
        if (!this.started) this.failedWhileStarting(err);
      },
      time,
      credentials: this.credentials,
    });
    this.controller = new Controller(this.quorum, this.image, {
      nodeId: this.nodeId,
      defaultPartitions: () => this.config.int('num.partitions'),
      defaultReplicationFactor: () => this.config.int('default.replication.factor'),
      topicConfigProblem: (name, value) => this.topicConfigs.problem(name, value),
      internalTopics: internalTopicNames,
      metadataOffset: () => this.quorum.appliedOffset(),
      sessionTimeoutMs: () => this.config.int('broker.session.timeout.ms'),
      refusesConnections: (host, port) => refusesConnections(host, port, addressProbeTimeoutMs),
      interBrokerListener: this.interBrokerListener,
      uncleanLeaderElection: (topic) => this.topicConfigs.value(topic, 'unclean.leader.election.enable') === 'true',
      leaderRebalance: () => ({
        enabled: this.config.bool('auto.leader.rebalance.enable'),
        intervalMs: Math.max(1, this.config.int('leader.imbalance.check.interval.seconds')) * 1000,
        imbalancePercentMax: this.config.int('leader.imbalance.per.broker.percentage'),
      }),
      logger: this.logger,
      maxBrokerPartitions: () => this.config.int('max.broker.partitions'),
      mutationRate: () => ({
        rate: mutationRate,
        burstSeconds: this.config.int('controller.quota.window.num') * this.config.int('controller.quota.window.size.seconds'),
      }),
      time,
    });
    this.replicas = new ReplicaManager({
      nodeId: this.nodeId,
      logsDir: this.dataDir.logsDir,
      image: this.image,
      topicConfigs: this.topicConfigs,
      recoveryThreads: this.config.int('num.recovery.threads.per.data.dir'),
      recoveryFlushIntervalMs: this.config.int('log.recovery.flush.interval.ms'),
      segmentFiles: { openMax: this.config.int('log.segment.open.files.max'), idleMs: this.config.int('log.segment.open.files.idle.ms') },
      logger: this.logger,
      replication: replicationSettings(this.config),
      interBrokerListener: this.interBrokerListener,
      peerTls: this.peerTls(this.interBrokerListener),
      alterPartition: (request) => this.controllerChannel.request(ApiKeys.AlterPartition, alterPartitionVersion, request),
      isrChanged: (previous, next) => this.metrics.isrChanged(previous, next),
      serving: () => this.serving(),
      roleChanged: (topic) => {
        if (topic === consumerOffsetsTopic) this.groups.leadershipChanged();
        if (topic === transactionStateTopic) this.txns.leadershipChanged();
      },
      time,
      credentials: this.credentials,
    });
    this.quorum.onApply((record) => {
      this.replicas.onMetadataRecord(record);
      // This node's registration decides whether it is serving, so whether it may coordinate what it leads.
      if (record.type === 'broker' && record.nodeId === this.nodeId) {
        this.groups.leadershipChanged();
        this.txns.leadershipChanged();
      }
    });
    // A snapshot replaced the image (this node was too far behind): bring the replicas and groups in line with it.
    this.quorum.onSnapshot(() => {
      this.image.toRecords().forEach((record) => this.replicas.onMetadataRecord(record));
      this.groups.leadershipChanged();
      this.txns.leadershipChanged();
    });
    this.quorum.onActivation((active) => {
      if (!active) return this.controller.deactivate();
      this.controller.activate();
      this.controller.start().catch((err: Error) => this.logger.error(`cannot record the cluster id: ${err.message}`));
    });
    this.controllerChannel = new ControllerChannel({
      nodeId: this.nodeId,
      quorum: this.quorum,
      handlers: this.handlers,
      localContext: (apiVersion) => this.localContext(apiVersion),
      time,
      credentials: this.credentials,
      peerTls: controllerTls,
    });
    this.lifecycle = new BrokerLifecycle({
      nodeId: this.nodeId,
      channel: this.controllerChannel,
      registration: () => ({ endpoints: this.endpoints, rack: this.config.string('broker.rack') || null, clusterId: this.image.clusterId! }),
      metadataOffset: () => this.quorum.appliedOffset(),
      heartbeatIntervalMs: this.config.int('broker.heartbeat.interval.ms'),
      sessionTimeoutMs: this.config.int('broker.session.timeout.ms'),
      logger: this.logger,
      time,
      // Cut off from the controller: what waits on this node's leaderships is answered now, not at its timeout.
      leaseLost: () => {
        this.replicas.servingLost();
        this.groups.leadershipChanged();
        this.txns.leadershipChanged();
      },
    });
    const coordinatorContext: CoordinatorContext = {
      nodeId: this.nodeId,
      config: this.config,
      image: this.image,
      createTopics: (topics) => this.createTopics(topics),
      replicas: this.replicas,
      liveBrokers: () => this.liveBrokers(),
      logger: this.logger,
    };
    this.groups = new GroupCoordinator({ ...coordinatorContext, clock: options.groupClock ?? time });
    this.markerPeers = new PeerConnections(peerClientId(this.nodeId), this.credentials, this.peerTls(this.interBrokerListener));
    this.txns = new TransactionCoordinator({
      ...coordinatorContext,
      nextProducerId: () => this.nextProducerId(),
      markers: new MarkerSender({
        leaderOf: (topic, partition) => this.image.partition(topic, partition)?.leader,
        send: (nodeId, request) => this.writeTxnMarkers(nodeId, request),
        logger: this.logger,
        time,
      }),
      clock: time,
    });
    this.responseMemory = new RequestMemory(this.config.int('queued.max.response.bytes'));
    const claimRefusals = new RateLimitedLog((line) => this.logger.warn(line), refusalLogIntervalMs, 'more refused');
    this.services = {
      node: this,
      image: this.image,
      replicas: this.replicas,
      groups: this.groups,
      txns: this.txns,
      controller: this.controller,
      quorum: this.quorum,
      configs: this.topicConfigs,
      settings: this.config,
      metrics: this.metrics,
      log: this.logger,
      access: this.access,
      peerAuth: { required: this.config.string('peer.authentication') !== 'none', logRefusal: (line) => claimRefusals.note(line) },
      handlers: this.handlers,
      responseMemory: this.responseMemory,
      quotas: new ClientQuotas(this.image, () => quotaWindow, () => time.monotonicMs()),
    };
  }

  async start(): Promise<void> {
    if (this.config.string('peer.authentication') === 'none') {
      this.logger.warn('peer.authentication=none: peers are not authenticated, anyone who can reach the peer listener can take over the cluster (give every node the cluster secret instead)');
    }
    for (const tls of this.listenerTls.values()) await tls.load();
    const stamp = await this.dataDir.open(this.nodeId, this.voters.map((v) => v.nodeId));
    this.clusterIdStamp = stamp.clusterId;
    try {
      await this.quorum.start();
      const bound = await this.listen();
      await this.waitForMetadata();
      const clusterId = this.image.clusterId!;
      if (stamp.clusterId && stamp.clusterId !== clusterId) {
        throw new Error(`data dir belongs to cluster ${stamp.clusterId} but its metadata quorum says ${clusterId}`);
      }
      await this.dataDir.stamp(clusterId);
      this.clusterIdStamp = clusterId;
      if (this.options.bootstrapUser) await createBootstrapUser(this.options.bootstrapUser, this.image, this.controllerChannel, this.logger);
      await this.replicas.start();
      this.endpoints = this.listenerSpecs.map((spec, i) => ({
        name: spec.name,
        host: spec.advertised.host,
        port: spec.advertised.port === 0 ? bound[i].port : spec.advertised.port,
        securityProtocol: spec.securityProtocol,
      }));
      this.lifecycle.start();
      await this.lifecycle.waitUntilUnfenced();
      await this.quorum.waitFor(() => this.serving());
      await this.groups.start();
      await this.txns.start();
      await this.serveMetrics();
      this.started = true;
      this.logger.info(
        `kb broker started: listening on ${this.listenerSpecs.map((s, i) => `${s.name}://${formatHostPort({ host: bound[i].address, port: bound[i].port })}`).join(', ')}, node ${this.nodeId}, ` +
          `data dir ${this.dataDir.root}, cluster ${this.image.clusterId}`,
      );
      this.logger.info(`batch checksums: CRC-32C ${crc32cImplementation}; snappy batches: decoded ${snappyImplementation}`);
    } catch (err) {
      await this.closeServers();
      await this.closeStorage();
      await this.dataDir.removeIfNew();
      throw err;
    }
  }

  /**
   * Opens every listener, each with its own connection limits (a peer
   * listener's slots are not the clients'), its own dispatcher, and the
   * peers' address exemption on peer listeners only; resolves with the
   * bound addresses, in listenerSpecs order.
   */
  private async listen(): Promise<net.AddressInfo[]> {
    const bound: net.AddressInfo[] = [];
    for (const spec of this.listenerSpecs) {
      const listener = { name: spec.name, peer: spec.peer };
      const refusals = new RateLimitedLog((line) => this.logger.warn(line), refusalLogIntervalMs, 'more refused');
      const opened = new Listener(
        {
          host: spec.host,
          port: spec.port,
          maxConnections: this.config.int('max.connections'),
          maxConnectionsPerIp: this.config.int('max.connections.per.ip'),
          maxConnectionsPerIpOverrides: this.config.string('max.connections.per.ip.overrides'),
          maxConnectionCreationRate: this.config.int('max.connection.creation.rate'),
          isPeer: spec.peer ? (ip) => this.isPeerAddress(ip) : undefined,
          tls: this.listenerTls.get(spec.name),
          maxFrameBytes: this.config.int('socket.request.max.bytes'),
          firstFrameBytesMax: this.config.int('sasl.server.max.receive.size'),
          servesApi: (apiKey, apiVersion) => {
            const handler = this.handlers.get(apiKey);
            return handler !== undefined && (spec.peer || handler.peerOnly !== true) && apiVersion >= handler.minVersion && apiVersion <= handler.maxVersion;
          },
          maxQueuedFrames: this.config.int('queued.max.requests'),
          queuedMaxRequestBytes: this.config.int('queued.max.request.bytes'),
          idleTimeoutMs: this.config.int('connections.max.idle.ms'),
          responseMemory: this.responseMemory,
          authentication: spec.peer ? this.peerAuthentication() : this.userAuthentication(spec.name),
        },
        createDispatcher(this.handlers, {
          services: this.services,
          quorum: this.quorum,
          controllerChannel: this.controllerChannel,
          metrics: this.metrics,
          listener,
          refused: (line) => refusals.note(line),
          access: this.access,
        }),
        this.logger,
      );
      this.listeners.push(opened);
      bound.push(await opened.listen());
      this.listenerTls.get(spec.name)?.watch();
    }
    return bound;
  }

  /**
   * A peer listener's authentication: with the cluster secret, a connection
   * must prove it holds it (KB-CLUSTER-SECRET) before anything but
   * ApiVersions and SASL; with peer.authentication=none, nothing is asked.
   */
  private peerAuthentication(): ListenerOptions['authentication'] {
    const secret = this.clusterSecret;
    return {
      mechanisms: secret === null ? [] : [clusterSecretMechanism(secret, this.nodeId)],
      required: secret !== null,
      timeoutMs: authenticationTimeoutMs,
      unauthenticatedMax: unauthenticatedConnectionsMax,
    };
  }

  /**
   * A SASL client listener's authentication: the user mechanisms of its
   * sasl.enabled.mechanisms, checked against the users' SCRAM credentials,
   * required before anything but ApiVersions and SASL, lasting its
   * connections.max.reauth.ms; nothing on other client listeners.
   */
  private userAuthentication(listener: string): ListenerOptions['authentication'] {
    const settings = this.saslSettings.get(listener);
    if (settings === undefined) return undefined;
    const lookup = imageCredentials(this.image);
    return {
      mechanisms: settings.mechanisms.map((name) => userMechanism(name, lookup, { unknownUserKey: this.unknownUserKey })),
      sessionLifetimeMs: settings.reauthMs,
      required: true,
      timeoutMs: authenticationTimeoutMs,
      unauthenticatedMax: unauthenticatedConnectionsMax,
      failures: this.authFailures,
    };
  }

  /**
   * How this node dials peers at `listener`: with TLS when it is one of its
   * own SSL listeners (the same settings on every node), presenting that
   * listener's certificate and trusting its truststore.
   */
  private peerTls(listener: string): PeerTls {
    return (address) => this.listenerTls.get(listener)?.clientOptions(address.host);
  }

  private async serveMetrics(): Promise<void> {
    const at = this.options.metricsListen;
    if (!at) return;
    this.metricsServer = new MetricsServer(this.metrics.registry, this.logger);
    let bound;
    try {
      bound = await this.metricsServer.listen(at);
    } catch (err) {
      throw new Error(`cannot serve metrics on ${formatHostPort(at)}: ${(err as Error).message}`);
    }
    this.logger.info(`metrics on http://${formatHostPort({ host: bound.address, port: bound.port })}${metricsPath}`);
  }

  private async closeServers(): Promise<void> {
    await this.metricsServer?.close();
    this.metricsServer = null;
    for (const tls of this.listenerTls.values()) tls.stop();
    await Promise.all(this.listeners.map((l) => l.close()));
    this.listeners = [];
  }

  /** Waits until the metadata image is current, saying so when that takes a while (the other voters may not be up yet). */
  private async waitForMetadata(): Promise<void> {
    const notice = setTimeout(() => this.logger.info('waiting for the controller quorum (a majority of the voters must be up)'), 2_000);
    try {
      await Promise.race([
        this.quorum.waitUntilCaughtUp(),
        new Promise<never>((_, reject) => (this.failedWhileStarting = reject)),
      ]);
    } finally {
      clearTimeout(notice);
    }
  }

  /** The broker cannot go on: a failure while starting fails start(); later, the owner is told (onFatal) and should stop it. */
  private fail(err: Error): void {
    if (!this.started) return this.failedWhileStarting(err);
    this.logger.error(err.message);
    this.options.onFatal?.(err);
  }

  async stop(): Promise<void> {
    this.stopStage = 'controlled shutdown';
    // A controlled shutdown needs a controller: without a quorum leader (the other voters are gone too) it cannot complete.
    const quorumLost = this.quorum.waitFor(() => this.quorum.leaderId() === null);
    const outcome = await Promise.race([
      this.lifecycle.shutdown(this.config.int('broker.session.timeout.ms')).then(() => 'done' as const),
      quorumLost.then(() => 'no quorum' as const),
    ]);
    if (outcome === 'no quorum') {
      this.logger.warn('the controller quorum is gone: stopping without a controlled shutdown');
      this.lifecycle.close();
    }
    this.stopStage = 'closing the listeners';
    await this.closeServers();
    await this.closeStorage();
    this.logger.info('kb broker stopped cleanly');
  }

  private async closeStorage(): Promise<void> {
    this.lifecycle.close();
    this.controller.deactivate();
    this.stopStage = 'stopping the group and transaction coordinators';
    this.txns.stop();
    this.markerPeers.close();
    await this.groups.stop();
    this.stopStage = 'closing the partition logs';
    await this.replicas.close();
    this.controllerChannel.close();
    this.stopStage = 'stopping the metadata quorum';
    await this.quorum.stop();
    await this.dataDir.unlock();
  }

  /** The context this node's handlers run with for its own requests. */
  private localContext(apiVersion: number): RequestContext {
    return {
      services: this.services,
      apiVersion,
      correlationId: 0,
      clientId: peerClientId(this.nodeId),
      clientAddress: 'local',
      principal: nodePrincipal(this.nodeId),
      access: new ConnectionAccess(null, nodePrincipal(this.nodeId), 'local', () => {}),
      listener: { name: this.interBrokerListener, peer: true },
      clientGone: localClientStays,
      allocate: Buffer.allocUnsafe,
      peer: this.nodeId,
      sasl: null,
    };
  }

  /** WriteTxnMarkers to node `nodeId`: this node's own handler, or the node's inter-broker listener. */
  private async writeTxnMarkers(nodeId: number, request: WriteTxnMarkersRequest): Promise<WriteTxnMarkersResponse> {
    if (nodeId === this.nodeId) {
      const handler = this.handlers.get(ApiKeys.WriteTxnMarkers);
      if (!handler) throw new Error('this broker does not serve WriteTxnMarkers');
      return (await handler.handle(request, this.localContext(writeTxnMarkersVersion))) as WriteTxnMarkersResponse;
    }
    const broker = this.image.brokers.get(nodeId);
    const endpoint = broker && endpointOf(broker, this.interBrokerListener);
    if (!endpoint) throw new Error(`broker ${nodeId} has no ${this.interBrokerListener} listener`);
    return (await this.markerPeers.request({ nodeId, host: endpoint.host, port: endpoint.port }, markerLane, ApiKeys.WriteTxnMarkers, writeTxnMarkersVersion, request)) as WriteTxnMarkersResponse;
  }

  /**
   * Whether this node may act as a leader or group coordinator and answer
   * Metadata with its own leaderships: it holds a lease from the controller
   * (broker-lifecycle.ts) and has applied the metadata log up to its
   * current registration's unfencing, so what it believes it leads is what
   * the controller decided after it (re)started or last lost its lease.
   */
  serving(): boolean {
    const registered = this.image.brokers.get(this.nodeId);
    return this.lifecycle.hasLease() && registered !== undefined && registered.epoch === this.lifecycle.brokerEpoch && !registered.fenced;
  }

  /**
   * Whether `ip` is the address of another voter or registered broker (as
   * written in --voters or registered on the inter-broker listener): on a
   * peer listener its connections are exempt from the per-address limits.
   */
  private isPeerAddress(ip: string): boolean {
    const brokers = [...this.image.brokers.values()].flatMap((b) => {
      const endpoint = endpointOf(b, this.interBrokerListener);
      return endpoint ? [{ nodeId: b.nodeId, host: endpoint.host }] : [];
    });
    const others = [...this.voters, ...brokers].filter((peer) => peer.nodeId !== this.nodeId);
    return others.some((peer) => normalizeIp(peer.host) === ip);
  }

  /** Registered brokers that are not fenced, by node id. */
  liveBrokers(): BrokerRecord[] {
    return [...this.image.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.nodeId - b.nodeId);
  }

  /** The active controller (the metadata quorum's leader), -1 when none is known. */
  controllerId(): number {
    return this.quorum.leaderId() ?? -1;
  }

  isInternalTopic(name: string): boolean {
    return internalTopicNames.has(name);
  }

  /**
   * Creates topics through the active controller, wherever it is; resolves
   * once this node has opened the logs it hosts. `forClient`: on a client's
   * behalf (Metadata auto-creation), so the controller treats it as the
   * client's request (ControllerChannel.forward), not this node's own.
   */
  async createTopics(topics: NewTopic[], { forClient = false }: { forClient?: boolean } = {}): Promise<ItemResult[]> {
    const channel = this.controllerChannel;
    const send = forClient ? channel.forward.bind(channel) : channel.request.bind(channel);
    const response = await send(ApiKeys.CreateTopics, createTopicsVersion, {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        assignments: t.assignments.map((a) => ({ partitionIndex: a.partition, brokerIds: a.brokerIds })),
        configs: t.configs,
      })),
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const created = response.topics.filter((t) => t.errorCode === ErrorCode.NONE).map((t) => t.name);
    await Promise.all(created.map((name) => this.quorum.waitFor(() => this.image.topicsByName.has(name)).then(() => this.replicas.topicReady(name))));
    return response.topics.map((t) => ({ errorCode: t.errorCode, errorMessage: t.errorMessage }));
  }

  /** A producer id unique in the cluster, from blocks the controller hands out; null while none can be had. */
  async nextProducerId(): Promise<bigint | null> {
    if (this.producerIds.next >= this.producerIds.end) {
      let block: AllocateProducerIdsResponse;
      try {
        block = await this.controllerChannel.request(ApiKeys.AllocateProducerIds, 0, {
          brokerId: this.nodeId,
          brokerEpoch: BigInt(this.lifecycle.brokerEpoch),
        });
      } catch (err) {
        this.logger.warn(`cannot get producer ids from the controller: ${(err as Error).message}`);
        return null;
      }
      if (block.errorCode !== ErrorCode.NONE) {
        this.logger.warn(`the controller refused producer ids: ${errorName(block.errorCode)}`);
        return null;
      }
      this.producerIds = { next: Number(block.producerIdStart), end: Number(block.producerIdStart) + block.producerIdLen };
    }
    return BigInt(this.producerIds.next++);
  }
}
