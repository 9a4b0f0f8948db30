/**
 * The controller: the only writer of the metadata log. It validates requests
 * that change the cluster's shape (topics, partitions, configs, broker
 * registrations), turns them into MetadataRecords and proposes them to the
 * metadata quorum, one proposal at a time; a proposal resolves once it is
 * committed and applied to the image. It runs only on the active
 * controller (the quorum leader).
 *
 * Brokers: a registration is recorded fenced with a new, random broker epoch; a
 * heartbeat from a broker whose applied metadata has reached its
 * registration unfences it; a broker whose session expires (no heartbeat for
 * broker.session.timeout.ms, tracked in memory while this node is the active
 * controller, see activate/deactivate) is fenced. So is, at once, a broker
 * without a connection to this controller (the one its last request came
 * over closed, or it has sent none since this node became active) whose
 * registered address refuses connections: its process has died (kill -9
 * closes its sockets), there is no point waiting for its session to end.
 * Fencing, unfencing, re-registration and controlled shutdown move
 * leadership and shrink ISRs as leader-election.ts decides; AlterPartition
 * changes an ISR for its leader.
 * ElectLeaders runs preferred or unclean elections on request, and while
 * active, auto.leader.rebalance.enable periodically returns leadership to
 * preferred replicas where a broker is imbalanced (leader-balance.ts).
 * Reassignments (reassignment.ts) start and are cancelled on request and
 * complete in the proposal of the ISR change that puts the last target
 * replica in sync (and, after a failover, when this node activates).
 *
 * Users' SCRAM credentials change as scram-credentials.ts decides, ACLs
 * as acls.ts decides, client quotas as client-quotas.ts does.
 *
 * Topic and partition changes are bounded: a broker hosts at most
 * max.broker.partitions replicas (POLICY_VIOLATION beyond), and a client
 * creates or deletes partitions at the controller_mutation_rate quota of
 * its entity (its principal and client id, by Kafka's precedence), else
 * at controller.mutation.rate per client address (mutation-quota.ts;
 * THROTTLING_QUOTA_EXCEEDED per topic while throttled, mutationThrottleMs
 * for the response). A request another node forwarded counts against
 * that node's address at controller.mutation.rate (the client's entity is
 * not known here). A kb node's own requests (Caller)
 * are not throttled and alone may create an internal topic.
 *
 * Results are per item with Kafka error codes, never exceptions.
 */
import { randomBytes } from 'node:crypto';
import type { Time, TimerHandle } from '../clock.ts';
import { partitionsPerTopicMax } from '../limits.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { dynamicBrokerConfigs, endpointOf, type Endpoint, type BrokerRecord, type MetadataRecord, type PartitionRecord } from '../metadata/records.ts';
import type { Logger } from '../logger.ts';
import { metadataTopicName, topicNameProblem } from './topic-names.ts';
import { collisionKey } from '../metadata/image.ts';
import { placeReplicas } from './placement.ts';
import { electIfLeaderless, electLeader, fenceBroker, shutDownBroker, type ElectionType, type Eligibility } from './leader-election.ts';
import { rebalanceLeaders } from './leader-balance.ts';
import { changeIsr, type IsrChangeRequest } from './isr-change.ts';
import { BrokerSessions, type BrokerSession } from './broker-sessions.ts';
import { cancelReassignment, completeReassignment, isReassigning, startReassignment, targetProblem } from './reassignment.ts';
import { ProposalTooLargeError } from './quorum/metadata-quorum.ts';
import { MutationQuota, type MutationRate } from './mutation-quota.ts';
import { appliedQuota, quotaUser } from '../metadata/client-quotas.ts';
import { planClientQuotaAlterations, type QuotaAlteration, type QuotaAlterationResult } from './client-quotas.ts';
import { planCreateAcls, planDeleteAcls, type AclCreationResult, type AclDeletionResult } from './acls.ts';
import type { AclBinding, AclFilter } from '../protocol/acl.ts';
import { planScramAlterations, type ScramAlterationResult, type ScramDeletion, type ScramUpsertion } from './scram-credentials.ts';

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
  /** Internal topics (topic-names.ts): only the brokers create those they use; nobody deletes them, adds partitions or alters their configs. */
  internalTopics: ReadonlySet<string>;
  /** Offset of the last metadata record this node has applied (-1: none). */
  metadataOffset: () => number;
  /** broker.session.timeout.ms */
  sessionTimeoutMs: () => number;
  /** Whether nothing listens at a broker's address (a connection attempt is refused). */
  refusesConnections: (host: string, port: number) => Promise<boolean>;
  /** inter.broker.listener.name: the brokers' endpoint the address probe tries. */
  interBrokerListener: string;
  /** unclean.leader.election.enable in effect for a topic. */
  uncleanLeaderElection: (topic: string) => boolean;
  /** auto.leader.rebalance.enable, leader.imbalance.check.interval.seconds (in ms) and leader.imbalance.per.broker.percentage, read at activation. */
  leaderRebalance: () => { enabled: boolean; intervalMs: number; imbalancePercentMax: number };
  logger: Logger;
  /** Broker sessions run on its monotonic clock; its timers check them and rebalance leaders. */
  time: Time;
  /** A random integer in [0, bound) for placement; default Math.random. */
  random?: (bound: number) => number;
  /** max.broker.partitions; default no limit. */
  maxBrokerPartitions?: () => number;
  /** controller.mutation.rate and its burst; default no limit. */
  mutationRate?: () => MutationRate;
}

/**
 * Who asks for a topic change: a kb node itself, or a client: the address
 * the controller sees it at (a request forwarded by another node: that
 * node's) and, unless forwarded, its principal and client id.
 */
export type Caller = { node: true } | { node: false; client: string; entity: { principal: string; clientId: string | null } | null };

/** The burst of a controller_mutation_rate quota without controller.quota.window settings: Kafka's 11 x 1 s. */
const defaultMutationBurstSeconds = 11;

const someClient: Caller = { node: false, client: 'unknown', entity: null };

export interface BrokerRegistration {
  nodeId: number;
  /** Every listener of the broker. */
  endpoints: Endpoint[];
  rack: string | null;
  clusterId: string;
  /** Identifies the registering process (hex), so a second process with the same node id is refused. */
  incarnationId: string;
  /** The close signal of the connection the broker sent this over itself; null or absent when another node forwarded it. */
  connection?: AbortSignal | null;
}

export interface BrokerHeartbeat {
  nodeId: number;
  brokerEpoch: number;
  /** Offset of the last metadata record the broker has applied. */
  metadataOffset: number;
  wantFence: boolean;
  wantShutDown: boolean;
  /** As BrokerRegistration.connection. */
  connection?: AbortSignal | null;
}

export interface HeartbeatResult extends ItemResult {
  isCaughtUp: boolean;
  isFenced: boolean;
  shouldShutDown: boolean;
}

/** One partition of an AlterPartitionReassignments request: the target replicas, or null to cancel. */
export interface ReassignmentChange {
  partition: number;
  replicas: number[] | null;
}

export interface OngoingReassignment {
  partition: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export interface PartitionIsrChange extends Omit<IsrChangeRequest, 'brokerId'> {
  /** The topic by id (32 hex digits) or, for old request versions, by name. */
  topic: { id: string } | { name: string };
  partition: number;
}

const producerIdBlockSize = 1000;
/** How often the active controller looks for expired broker sessions, at most. */
const sessionCheckIntervalMaxMs = 1000;

const ok: ItemResult = { errorCode: ErrorCode.NONE, errorMessage: null };

function fail(errorCode: number, errorMessage: string): ItemResult {
  return { errorCode, errorMessage };
}

/** A change clients may not make to an internal topic (TOPIC_AUTHORIZATION_FAILED, as Kafka answers a change it does not allow). */
function internalTopicChange(name: string, what: string): ItemResult {
  return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `'${name}' is an internal topic and ${what}`);
}

/** Where proposals go: they resolve once committed and applied to the image. */
export interface MetadataProposals {
  propose(records: MetadataRecord[]): Promise<void>;
}

/**
 * A broker epoch nobody can guess (a forged heartbeat or ISR change must
 * name the current one): random in 1..Number.MAX_SAFE_INTEGER, never the
 * `previous` one. Epochs are only ever compared for equality, so they
 * need not grow; the registration record carries the value, so replaying
 * the metadata log gives every node the same epochs.
 */
export function newBrokerEpoch(previous: number | undefined): number {
  for (;;) {
    const epoch = Number(randomBytes(8).readBigUInt64BE(0) & BigInt(Number.MAX_SAFE_INTEGER));
    if (epoch > 0 && epoch !== previous) return epoch;
  }
}

export class Controller {
  private readonly quorum: MetadataProposals;
  private readonly image: MetadataImage;
  private readonly options: ControllerOptions;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly sessions: BrokerSessions;
  private readonly random: (bound: number) => number;
  /** While active: the session check and leader rebalance timers, and the metadata offset applied at activation. */
  private active: { timers: TimerHandle[]; sinceOffset: number } | null = null;
  /** Brokers whose address is being tried (fenceIfGone): one attempt each at a time, however often connections close. */
  private readonly probing = new Set<number>();
  private readonly mutations: MutationQuota;

  constructor(quorum: MetadataProposals, image: MetadataImage, options: ControllerOptions) {
    this.quorum = quorum;
    this.image = image;
    this.options = options;
    this.sessions = new BrokerSessions(options.time, (nodeId) => void this.fenceIfGone(nodeId));
    this.random = options.random ?? ((bound) => Math.floor(Math.random() * bound));
    this.mutations = new MutationQuota(() => options.mutationRate?.().burstSeconds ?? defaultMutationBurstSeconds, () => options.time.monotonicMs());
  }

  /**
   * The mutation bucket of a client and its rate: its quota entity's
   * (controller_mutation_rate by Kafka's precedence) when one applies,
   * else its address's at controller.mutation.rate; null for none.
   */
  private mutationLimit(caller: Caller): { bucket: string; rate: number; name: string } | null {
    if (caller.node) return null;
    const { entity } = caller;
    const quota = entity && appliedQuota(this.image.clientQuotas, quotaUser(entity.principal), entity.clientId ?? '', 'controller_mutation_rate');
    if (quota) return { bucket: `entity:${quota.bucket}`, rate: quota.limit, name: 'controller_mutation_rate quota' };
    const rate = this.options.mutationRate?.().rate;
    return rate === undefined ? null : { bucket: `address:${caller.client}`, rate, name: 'controller.mutation.rate' };
  }

  /** How long a client must wait before its next topic change (0: none), for the response's throttle_time_ms. */
  mutationThrottleMs(caller: Caller): number {
    const limit = this.mutationLimit(caller);
    return limit ? this.mutations.throttleMs(limit.bucket, limit.rate) : 0;
  }

  /** THROTTLING_QUOTA_EXCEEDED while the caller is throttled, else null. */
  private throttled(caller: Caller): ItemResult | null {
    const limit = this.mutationLimit(caller);
    const waitMs = limit ? this.mutations.throttleMs(limit.bucket, limit.rate) : 0;
    return waitMs === 0 ? null : fail(ErrorCode.THROTTLING_QUOTA_EXCEEDED, `${limit!.name} exceeded: retry in ${waitMs} ms`);
  }

  private recordMutations(caller: Caller, partitions: number): void {
    const limit = this.mutationLimit(caller);
    if (limit) this.mutations.record(limit.bucket, limit.rate, partitions);
  }

  /** Replicas each registered broker hosts now, for max.broker.partitions. */
  private hostedReplicas(): Map<number, number> {
    const hosted = new Map<number, number>();
    for (const topic of this.image.topicsById.values()) {
      for (const partition of topic.partitions) for (const id of partition?.replicas ?? []) hosted.set(id, (hosted.get(id) ?? 0) + 1);
    }
    return hosted;
  }

  /** POLICY_VIOLATION when `assignment` would put a broker above max.broker.partitions; else adds it to `hosted` and returns null. */
  private admitReplicas(hosted: Map<number, number>, assignment: number[][]): ItemResult | null {
    const cap = this.options.maxBrokerPartitions?.() ?? Infinity;
    const after = new Map(hosted);
    for (const replicas of assignment) for (const id of replicas) after.set(id, (after.get(id) ?? 0) + 1);
    for (const [id, count] of after) {
      if (count > cap && count > (hosted.get(id) ?? 0)) {
        return fail(ErrorCode.POLICY_VIOLATION, `broker ${id} would host ${count} partition replicas, more than max.broker.partitions=${cap}: delete topics, add brokers, or raise the limit`);
      }
    }
    for (const [id, count] of after) hosted.set(id, count);
    return null;
  }

  /** On the first activation of a new cluster: records its id. */
  start(): Promise<void> {
    return this.serialized(async () => {
      if (this.image.clusterId === null) await this.commit([{ type: 'cluster', clusterId: randomBytes(16).toString('base64url') }]);
      // A previous controller may have committed the last ISR expansion of a reassignment without completing it.
      const completions = this.partitionChanges(completeReassignment, (id) => this.isActive(id));
      if (completions.length > 0) await this.commit(completions);
    });
  }

  /**
   * This node became the active controller: every unfenced broker counts as
   * having just heartbeated (those whose address refuses connections are
   * fenced), and expired sessions are fenced from now on.
   */
  activate(): void {
    this.deactivate();
    const live = [...this.image.brokers.values()].filter((b) => !b.fenced).map((b) => b.nodeId);
    this.sessions.reset(live);
    const interval = Math.max(1, Math.min(sessionCheckIntervalMaxMs, Math.floor(this.options.sessionTimeoutMs() / 4)));
    const { time } = this.options;
    const timers = [
      time.setInterval(() => {
        this.fenceExpiredBrokers().catch((err: Error) => this.options.logger.error(`fencing expired brokers failed: ${err.message}`));
      }, interval, { background: true }),
    ];
    const rebalance = this.options.leaderRebalance();
    if (rebalance.enabled) {
      timers.push(
        time.setInterval(() => {
          this.rebalanceLeaders().catch((err: Error) => this.options.logger.error(`leader rebalancing failed: ${err.message}`));
        }, rebalance.intervalMs, { background: true }),
      );
    }
    this.active = { timers, sinceOffset: this.options.metadataOffset() };
    for (const nodeId of live) void this.fenceIfGone(nodeId);
  }

  /** This node stopped being the active controller: sessions are forgotten. */
  deactivate(): void {
    for (const timer of this.active?.timers ?? []) this.options.time.clear(timer);
    this.active = null;
    this.sessions.clear();
  }

  /**
   * Registers (or re-registers) a broker: a new broker epoch, fenced until
   * it heartbeats caught up. A re-registering broker loses its leaderships
   * and ISR memberships first, as if fenced (its log may have lost an
   * unflushed tail). A different process holding a live session for the
   * same node id is refused with DUPLICATE_BROKER_REGISTRATION. The epoch
   * is random (newBrokerEpoch), recorded in the registration record.
   */
  registerBroker(registration: BrokerRegistration): Promise<ItemResult & { brokerEpoch: number }> {
    return this.serialized(async () => {
      const { nodeId, clusterId, incarnationId, connection, endpoints } = registration;
      if (clusterId !== this.image.clusterId) {
        return { ...fail(ErrorCode.INCONSISTENT_CLUSTER_ID, `broker ${nodeId} belongs to cluster ${clusterId}, this is cluster ${this.image.clusterId}`), brokerEpoch: -1 };
      }
      const previous = this.image.brokers.get(nodeId);
      const holder = this.sessions.get(nodeId)?.incarnationId ?? null;
      if (previous && !previous.fenced && holder !== null && holder !== incarnationId && this.sessions.isAlive(nodeId, this.options.sessionTimeoutMs())) {
        return { ...fail(ErrorCode.DUPLICATE_BROKER_REGISTRATION, `broker ${nodeId} is registered by another live process`), brokerEpoch: -1 };
      }
      const records: MetadataRecord[] = previous && !previous.fenced ? this.fencingChanges(nodeId) : [];
      const epoch = newBrokerEpoch(previous?.epoch);
      records.push({ type: 'broker', nodeId, endpoints, rack: registration.rack, epoch, fenced: true });
      await this.commit(records);
      this.sessions.registered(nodeId, incarnationId, this.options.metadataOffset(), connection ?? null);
      return { ...ok, brokerEpoch: epoch };
    });
  }

  /**
   * A broker's heartbeat: keeps its session alive, unfences it once its
   * applied metadata reaches its registration, fences it if it asks, and
   * runs its controlled shutdown while it wants to shut down.
   */
  brokerHeartbeat(heartbeat: BrokerHeartbeat): Promise<HeartbeatResult> {
    return this.serialized(async () => {
      const { nodeId } = heartbeat;
      const broker = this.image.brokers.get(nodeId);
      if (!broker || broker.epoch !== heartbeat.brokerEpoch) {
        return { ...fail(ErrorCode.STALE_BROKER_EPOCH, `broker ${nodeId} epoch ${heartbeat.brokerEpoch} is not its current registration`), isCaughtUp: false, isFenced: true, shouldShutDown: false };
      }
      const session = this.sessions.heartbeat(nodeId, heartbeat.connection ?? null);
      const isCaughtUp = heartbeat.metadataOffset >= (session.registeredAt ?? this.active?.sinceOffset ?? this.options.metadataOffset());
      if (heartbeat.wantShutDown) {
        const shouldShutDown = await this.controlledShutdown(broker, session, heartbeat.metadataOffset);
        return { ...ok, isCaughtUp, isFenced: broker.fenced, shouldShutDown };
      }
      if (heartbeat.wantFence && !broker.fenced) await this.commit([...this.fencingChanges(nodeId), { ...broker, fenced: true }]);
      if (!heartbeat.wantFence && broker.fenced && isCaughtUp) await this.commit([{ ...broker, fenced: false }, ...this.unfencingChanges(nodeId)]);
      return { ...ok, isCaughtUp, isFenced: this.image.brokers.get(nodeId)!.fenced, shouldShutDown: false };
    });
  }

  /**
   * Moves what can move away from a broker in controlled shutdown; true
   * (it may shut down) once nothing more can move and the broker has applied
   * the last of those moves. A fenced broker may shut down at once.
   */
  private async controlledShutdown(broker: BrokerRecord, session: BrokerSession, metadataOffset: number): Promise<boolean> {
    if (broker.fenced) return true;
    session.shutdownAt ??= -1;
    const changes = this.partitionChanges((p, eligibility) => shutDownBroker(p, broker.nodeId, eligibility), (id) => this.isActive(id));
    if (changes.length > 0) {
      await this.commit(changes);
      session.shutdownAt = this.options.metadataOffset();
      return false;
    }
    return metadataOffset >= session.shutdownAt;
  }

  /** While active: fences every unfenced broker whose session has expired, one proposal each. */
  fenceExpiredBrokers(): Promise<number[]> {
    return this.serialized(async () => {
      const fenced: number[] = [];
      if (!this.active) return fenced;
      for (const broker of [...this.image.brokers.values()]) {
        if (broker.fenced || this.sessions.isAlive(broker.nodeId, this.options.sessionTimeoutMs())) continue;
        await this.commit([...this.fencingChanges(broker.nodeId), { ...broker, fenced: true }]);
        this.options.logger.info(`broker ${broker.nodeId} fenced: no heartbeat for ${this.options.sessionTimeoutMs()} ms`);
        fenced.push(broker.nodeId);
      }
      return fenced;
    });
  }

  /**
   * Called when broker `nodeId` has no connection to this controller: fences
   * it if it still has none, is unfenced in the same registration, and its
   * address refuses connections (nothing listens there: its process died).
   * Anything else (it connects, or the attempt times out: paused, cut off)
   * leaves it to its session.
   */
  private async fenceIfGone(nodeId: number): Promise<void> {
    const broker = this.image.brokers.get(nodeId);
    const address = broker && endpointOf(broker, this.options.interBrokerListener);
    if (!this.active || !broker || !address || broker.fenced || this.probing.has(nodeId)) return;
    this.probing.add(nodeId);
    try {
      const refused = await this.options.refusesConnections(address.host, address.port).finally(() => this.probing.delete(nodeId));
      if (!refused) return;
      await this.serialized(async () => {
        const current = this.image.brokers.get(nodeId);
        if (!this.active || current?.epoch !== broker.epoch || current.fenced || this.sessions.get(nodeId)?.connected !== false) return;
        await this.commit([...this.fencingChanges(nodeId), { ...current, fenced: true }]);
        this.options.logger.info(`broker ${nodeId} fenced: it has no connection to the controller and nothing listens at ${address.host}:${address.port}`);
      });
    } catch (err) {
      this.options.logger.error(`fencing broker ${nodeId} failed: ${(err as Error).message}`);
    }
  }

  /**
   * ElectLeaders: a preferred or unclean election (leader-election.ts
   * electLeader) for each named partition, or for every partition when
   * `partitions` is null; then, as Kafka does, partitions that needed no
   * election are left out of the results. Results keep the request's order.
   */
  electLeaders(
    type: ElectionType,
    partitions: { topic: string; partitions: number[] }[] | null,
  ): Promise<{ topic: string; partitions: (ItemResult & { partition: number })[] }[]> {
    return this.serialized(async () => {
      const everything = partitions === null;
      const requested = partitions ?? [...this.image.topicsByName.values()].map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }));
      const records: PartitionRecord[] = [];
      const results = requested.map(({ topic, partitions: indexes }) => ({
        topic,
        partitions: indexes.flatMap((index) => {
          const partition = this.image.partition(topic, index);
          if (!partition) return [{ partition: index, ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${topic}-${index}`) }];
          const outcome = electLeader(partition, type, (id) => this.isActive(id));
          if (!('errorCode' in outcome)) {
            records.push(outcome);
            return [{ partition: index, ...ok }];
          }
          if (everything && outcome.errorCode === ErrorCode.ELECTION_NOT_NEEDED) return [];
          return [{ partition: index, errorCode: outcome.errorCode, errorMessage: null }];
        }),
      }));
      if (records.length > 0) await this.commit(records);
      return results;
    });
  }

  /** While active: preferred-leader elections where a broker's leadership is imbalanced (leader-balance.ts); returns the partitions moved. */
  rebalanceLeaders(): Promise<PartitionRecord[]> {
    return this.serialized(async () => {
      if (!this.active) return [];
      const partitions = [...this.image.topicsById.values()].flatMap((t) => t.partitions.filter(Boolean));
      const changes = rebalanceLeaders(partitions, this.options.leaderRebalance().imbalancePercentMax, (id) => this.isActive(id));
      if (changes.length > 0) {
        await this.commit(changes);
        this.options.logger.info(`leader rebalance: ${changes.length} partition(s) back to their preferred leader`);
      }
      return changes;
    });
  }

  /** Registered, unfenced and not in a controlled shutdown: may lead, join ISRs and get new replicas. */
  private isActive(nodeId: number): boolean {
    const broker = this.image.brokers.get(nodeId);
    return broker !== undefined && !broker.fenced && !this.sessions.isShuttingDown(nodeId);
  }

  /** Partition changes for `nodeId` losing its leaderships and ISR memberships. */
  private fencingChanges(nodeId: number): PartitionRecord[] {
    return this.partitionChanges((p, eligibility) => fenceBroker(p, nodeId, eligibility), (id) => id !== nodeId && this.isActive(id));
  }

  /** Leaderless partitions that `nodeId`, about to be unfenced, lets elect a leader. */
  private unfencingChanges(nodeId: number): PartitionRecord[] {
    return this.partitionChanges(electIfLeaderless, (id) => id === nodeId || this.isActive(id));
  }

  private partitionChanges(
    change: (partition: PartitionRecord, eligibility: Eligibility) => PartitionRecord | null,
    canLead: (nodeId: number) => boolean,
  ): PartitionRecord[] {
    const changes: PartitionRecord[] = [];
    for (const topic of this.image.topicsById.values()) {
      const eligibility = { canLead, unclean: this.options.uncleanLeaderElection(topic.name) };
      for (const partition of topic.partitions) {
        const changed = partition && change(partition, eligibility);
        if (changed) changes.push(changed);
      }
    }
    return changes;
  }

  /**
   * ISR changes asked for by partition leaders (AlterPartition), validated
   * by isr-change.ts. Results follow `changes`, each with the partition's
   * resulting state when accepted.
   */
  alterPartition(
    brokerId: number,
    brokerEpoch: number,
    changes: PartitionIsrChange[],
  ): Promise<{ errorCode: number; results: { errorCode: number; state: PartitionRecord | null }[] }> {
    return this.serialized(async () => {
      if (this.image.brokers.get(brokerId)?.epoch !== brokerEpoch) return { errorCode: ErrorCode.STALE_BROKER_EPOCH, results: [] };
      const records: PartitionRecord[] = [];
      const results = changes.map(({ topic: ref, partition: index, ...request }) => {
        const topic = 'id' in ref ? this.image.topicsById.get(ref.id) : this.image.topicsByName.get(ref.name);
        const partition = topic?.partitions[index];
        if (!topic) return { errorCode: 'id' in ref ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, state: null };
        if (!partition) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, state: null };
        const outcome = changeIsr(partition, { brokerId, ...request }, (id, epoch) => this.isActive(id) && (epoch === -1 || this.image.brokers.get(id)!.epoch === epoch));
        if ('errorCode' in outcome) return { errorCode: outcome.errorCode, state: null };
        if (outcome.record) {
          records.push(outcome.record);
          const completed = completeReassignment(outcome.record, this.eligibility(topic.name));
          if (completed) records.push(completed);
        }
        return { errorCode: ErrorCode.NONE, state: outcome.record ?? partition };
      });
      if (records.length > 0) await this.commit(records);
      return { errorCode: ErrorCode.NONE, results };
    });
  }

  private eligibility(topic: string): Eligibility {
    return { canLead: (id) => this.isActive(id), unclean: this.options.uncleanLeaderElection(topic) };
  }

  /**
   * AlterPartitionReassignments: per partition, starts moving it to the
   * target replicas (live, distinct, non-empty: else
   * INVALID_REPLICA_ASSIGNMENT) or, with null, cancels the move in progress
   * (NO_REASSIGNMENT_IN_PROGRESS when there is none).
   */
  alterPartitionReassignments(topics: { name: string; partitions: ReassignmentChange[] }[]): Promise<{ name: string; partitions: (ItemResult & { partition: number })[] }[]> {
    return this.serialized(async () => {
      const records = new Map<string, PartitionRecord>();
      const results = topics.map(({ name, partitions }) => ({
        name,
        partitions: partitions.map(({ partition: index, replicas: target }) => {
          const result = (item: ItemResult) => ({ partition: index, ...item });
          const topic = this.image.topicsByName.get(name);
          const key = `${topic?.topicId}:${index}`;
          const partition = records.get(key) ?? topic?.partitions[index];
          if (!topic || !partition) return result(fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${name}/${index} does not exist`));
          let next: PartitionRecord | string | null;
          if (target === null) {
            next = cancelReassignment(partition, this.eligibility(name));
            if (next === null) return result(fail(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `${name}/${index} is not being reassigned`));
          } else {
            const problem = targetProblem(target, (id) => this.brokerProblem(id));
            if (problem) return result(fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${name}/${index}: ${problem}`));
            next = startReassignment(partition, target, this.eligibility(name));
          }
          if (typeof next === 'string') return result(fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${name}/${index}: ${next}`));
          if (next) records.set(key, next);
          return result(ok);
        }),
      }));
      if (records.size > 0) await this.commit([...records.values()]);
      return results;
    });
  }

  /** Why broker `id` cannot take a new replica, or null. */
  private brokerProblem(id: number): string | null {
    const broker = this.image.brokers.get(id);
    if (!broker) return `broker ${id} is not registered`;
    if (!this.isActive(id)) return `broker ${id} is not live (fenced or shutting down)`;
    return null;
  }

  /** Reassignments in progress, of the partitions asked for (every partition when null). */
  listPartitionReassignments(topics: { name: string; partitions: number[] }[] | null): { name: string; partitions: OngoingReassignment[] }[] {
    const wanted = topics ?? [...this.image.topicsByName.values()].map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partition) }));
    const out: { name: string; partitions: OngoingReassignment[] }[] = [];
    for (const { name, partitions } of wanted) {
      const ongoing = partitions
        .map((index) => this.image.partition(name, index))
        .filter((p): p is PartitionRecord => p !== undefined && isReassigning(p))
        .map((p) => ({ partition: p.partition, replicas: p.replicas, addingReplicas: p.addingReplicas ?? [], removingReplicas: p.removingReplicas ?? [] }));
      if (ongoing.length > 0) out.push({ name, partitions: ongoing });
    }
    return out;
  }

  /** Only a kb node's own request (its group coordinator's) may create an internal topic (not the metadata log's name). */
  createTopics(topics: NewTopic[], validateOnly: boolean, caller: Caller = someClient): Promise<CreatedTopic[]> {
    return this.serialized(async () => {
      const results: CreatedTopic[] = [];
      const records: MetadataRecord[] = [];
      const seen = new Set<string>();
      const hosted = this.hostedReplicas();
      for (const topic of topics) {
        const plan = this.throttled(caller) ?? this.planTopic(topic, seen, caller.node, hosted);
        seen.add(collisionKey(topic.name));
        if ('errorCode' in plan) {
          results.push({ name: topic.name, topicId: null, numPartitions: -1, replicationFactor: -1, ...plan });
          continue;
        }
        results.push({ name: topic.name, topicId: plan.topicId, ...ok, ...plan.shape });
        if (validateOnly) continue;
        for (const record of plan.records) records.push(record);
        this.recordMutations(caller, plan.shape.numPartitions);
      }
      const tooLarge = await this.commitUnlessTooLarge(records, caller);
      if (tooLarge === null) return results;
      return results.map((r) => (r.errorCode === ErrorCode.NONE ? { name: r.name, topicId: null, numPartitions: -1, replicationFactor: -1, ...tooLarge } : r));
    });
  }

  private planTopic(
    topic: NewTopic,
    namesInThisRequest: Set<string>,
    byNode: boolean,
    hosted: Map<number, number>,
  ): ItemResult | { topicId: string; records: MetadataRecord[]; shape: { numPartitions: number; replicationFactor: number } } {
    const nameProblem = topicNameProblem(topic.name);
    if (nameProblem) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
    if (this.options.internalTopics.has(topic.name) && (!byNode || topic.name === metadataTopicName)) {
      return fail(ErrorCode.INVALID_REQUEST, `creation of internal topic '${topic.name}' is prohibited: the brokers create the internal topics they use`);
    }
    if (this.image.topicsByName.has(topic.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${topic.name}' already exists`);
    const collides = this.image.topicCollidingWith(topic.name)?.name;
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
    const overfull = this.admitReplicas(hosted, assignment);
    if (overfull) return overfull;
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

  /** Replica lists per partition, explicit or spread over the active brokers by placement.ts. */
  private placeReplicas(topic: NewTopic, firstPartition = 0): number[][] | ItemResult {
    const live = [...this.image.brokers.values()].filter((b) => this.isActive(b.nodeId));
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
    return placeReplicas(live, partitions, replicationFactor, { firstPartition, startIndex: this.random(live.length), shift: this.random(live.length) });
  }

  /** Hands broker `nodeId` (at its current `brokerEpoch`) the next block of producer ids. */
  allocateProducerIds(nodeId: number, brokerEpoch: number): Promise<ItemResult & { firstProducerId: number; size: number }> {
    return this.serialized(async () => {
      if (this.image.brokers.get(nodeId)?.epoch !== brokerEpoch) {
        return { ...fail(ErrorCode.STALE_BROKER_EPOCH, `broker ${nodeId} epoch ${brokerEpoch} is not its current registration`), firstProducerId: -1, size: 0 };
      }
      const block = { firstProducerId: this.image.nextProducerId, size: producerIdBlockSize };
      await this.commit([{ type: 'producerIds', nodeId, ...block }]);
      return { ...ok, ...block };
    });
  }

  deleteTopics(names: string[], caller: Caller = someClient): Promise<(ItemResult & { name: string; topicId: string | null })[]> {
    return this.serialized(async () => {
      const records: MetadataRecord[] = [];
      const results = names.map((name) => {
        const topic = this.image.topicsByName.get(name);
        if (!topic) return { name, topicId: null, ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`) };
        if (this.options.internalTopics.has(name)) return { name, topicId: topic.topicId, ...internalTopicChange(name, 'cannot be deleted') };
        const throttled = this.throttled(caller);
        if (throttled) return { name, topicId: topic.topicId, ...throttled };
        if (!records.some((r) => r.type === 'removeTopic' && r.topicId === topic.topicId)) {
          records.push({ type: 'removeTopic', topicId: topic.topicId });
          this.recordMutations(caller, topic.partitions.length);
        }
        return { name, topicId: topic.topicId, ...ok };
      });
      if (records.length > 0) await this.commit(records);
      return results;
    });
  }

  createPartitions(
    requests: { name: string; count: number; assignments: number[][] | null }[],
    validateOnly: boolean,
    caller: Caller = someClient,
  ): Promise<(ItemResult & { name: string })[]> {
    return this.serialized(async () => {
      const records: MetadataRecord[] = [];
      const hosted = this.hostedReplicas();
      const results = requests.map(({ name, count, assignments }) => {
        const topic = this.image.topicsByName.get(name);
        if (!topic) return { name, ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`) };
        if (this.options.internalTopics.has(name)) return { name, ...internalTopicChange(name, 'cannot get more partitions') };
        const throttled = this.throttled(caller);
        if (throttled) return { name, ...throttled };
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
        const overfull = this.admitReplicas(hosted, placed);
        if (overfull) return { name, ...overfull };
        if (validateOnly) return { name, ...ok };
        placed.forEach((replicas, i) => records.push(this.newPartition(topic.topicId, current + i, replicas)));
        this.recordMutations(caller, placed.length);
        return { name, ...ok };
      });
      const tooLarge = await this.commitUnlessTooLarge(records, caller);
      if (tooLarge === null) return results;
      return results.map((r) => (r.errorCode === ErrorCode.NONE ? { name: r.name, ...tooLarge } : r));
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
      if (this.options.internalTopics.has(name)) return internalTopicChange(name, 'keeps the configs the broker gave it');
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

  /**
   * Sets (value) or removes (null) dynamic broker configs of broker
   * `resourceName` ('' = the cluster-wide default). Only the settings in
   * `dynamicBrokerConfigs`, with positive integer values.
   */
  alterBrokerConfigs(resourceName: string, changes: { name: string; value: string | null }[], validateOnly: boolean): Promise<ItemResult> {
    return this.serialized(async () => {
      if (resourceName !== '' && !this.image.brokers.has(Number(resourceName))) return fail(ErrorCode.INVALID_REQUEST, `broker '${resourceName}' is not registered`);
      for (const change of changes) {
        if (!dynamicBrokerConfigs.has(change.name)) {
          return fail(ErrorCode.INVALID_CONFIG, `${change.name} is static: set it with --config or --set at start (dynamic: ${[...dynamicBrokerConfigs].join(', ')})`);
        }
        if (change.value !== null && !/^[1-9]\d{0,18}$/.test(change.value)) return fail(ErrorCode.INVALID_CONFIG, `${change.name} must be a positive integer (bytes/s), got '${change.value}'`);
      }
      const records: MetadataRecord[] = changes.map((c) => ({ type: 'config', resourceType: 'broker', resourceName, name: c.name, value: c.value }));
      if (!validateOnly && records.length > 0) await this.commit(records);
      return ok;
    });
  }

  /**
   * Deletes and sets users' SCRAM credentials (scram-credentials.ts): one
   * result per user named. More changes than one metadata log entry holds
   * change nothing (POLICY_VIOLATION).
   */
  alterUserScramCredentials(deletions: ScramDeletion[], upsertions: ScramUpsertion[]): Promise<ScramAlterationResult[]> {
    return this.serialized(async () => {
      const { results, records } = planScramAlterations(this.image, deletions, upsertions);
      return this.commitAllOrNone(records, results, 'alter fewer users at once');
    });
  }

  /**
   * Sets and removes client quotas (client-quotas.ts): one result per
   * entry; validateOnly records nothing. More changes than one metadata
   * log entry holds change nothing (POLICY_VIOLATION).
   */
  alterClientQuotas(alterations: QuotaAlteration[], validateOnly: boolean): Promise<QuotaAlterationResult[]> {
    return this.serialized(async () => {
      const { results, records } = planClientQuotaAlterations(this.image, alterations);
      return this.commitAllOrNone(validateOnly ? [] : records, results, 'alter fewer quotas at once');
    });
  }

  /** Creates ACLs (acls.ts): one result per creation. More than one metadata log entry holds create none (POLICY_VIOLATION). */
  createAcls(creations: AclBinding[]): Promise<AclCreationResult[]> {
    return this.serialized(async () => {
      const { results, records } = planCreateAcls(this.image, creations);
      return this.commitAllOrNone(records, results, 'create fewer ACLs at once');
    });
  }

  /** Deletes the ACLs each filter matches (acls.ts). More than one metadata log entry holds delete none (POLICY_VIOLATION). */
  deleteAcls(filters: AclFilter[]): Promise<AclDeletionResult[]> {
    return this.serialized(async () => {
      const { results, records } = planDeleteAcls(this.image, filters);
      return this.commitAllOrNone(records, results, 'delete fewer ACLs at once', (r, tooLarge) => ({ ...r, ...tooLarge, matchingAcls: [] }));
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

  /**
   * Commits the records of a request that answers per item (nothing to do
   * without records), all or none: when they are more than one metadata log
   * entry holds, nothing is written and each result that would have
   * succeeded becomes `refused` with POLICY_VIOLATION, ending in `advice`.
   */
  private async commitAllOrNone<R extends ItemResult>(
    records: MetadataRecord[],
    results: R[],
    advice: string,
    refused: (result: R, tooLarge: ItemResult) => R = (result, tooLarge) => ({ ...result, ...tooLarge }),
  ): Promise<R[]> {
    try {
      if (records.length > 0) await this.commit(records);
      return results;
    } catch (err) {
      if (!(err instanceof ProposalTooLargeError)) throw err;
      const tooLarge = fail(ErrorCode.POLICY_VIOLATION, `${err.message}: ${advice}`);
      return results.map((r) => (r.errorCode === ErrorCode.NONE ? refused(r, tooLarge) : r));
    }
  }

  /**
   * Commits the new partitions of a CreateTopics or CreatePartitions request
   * (nothing to do without records). When they are more than one metadata
   * log entry holds, nothing is written and the error for the items that
   * would have succeeded is returned instead (POLICY_VIOLATION, as Kafka
   * answers a request with too many partitions), and the caller gets its
   * mutations back.
   */
  private async commitUnlessTooLarge(records: MetadataRecord[], caller: Caller): Promise<ItemResult | null> {
    if (records.length === 0) return null;
    try {
      await this.commit(records);
      return null;
    } catch (err) {
      if (!(err instanceof ProposalTooLargeError)) throw err;
      const partitions = records.filter((r) => r.type === 'partition').length;
      this.recordMutations(caller, -partitions);
      return fail(ErrorCode.POLICY_VIOLATION, `${partitions} new partitions in one request are too many: ${err.message}. Create fewer at once`);
    }
  }
}
