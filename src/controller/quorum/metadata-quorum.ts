/**
 * The metadata quorum of one node: runs the Raft core (raft/node.ts) on the
 * monotonic clock of the injected Time (a step of the wall clock moves no
 * timeout), the node's metadata directory and the cluster's sockets, and
 * applies committed metadata to the MetadataImage. DescribeQuorum's times
 * are turned into wall-clock times on the way out.
 *
 * - Storage: the quorum state and the Raft log live in the data dir's
 *   `metadata/` (raft/quorum-state-store.ts, raft/log-store.ts); outputs
 *   are handled one at a time in output.ts's order.
 * - Transport: Raft requests go to the voter's address from `--voters`
 *   over PeerConnections (Fetch/FetchSnapshot on one lane, the rest on
 *   another); their answers are handed back to the node. Requests from
 *   peers arrive through the broker's handlers (`handle`), are given a
 *   correlation id of our own and answered when the node answers them.
 *   A request whose sender the caller says the connection may not act as
 *   (`mayActAs`: not the node it authenticated as) throws SenderRefused
 *   before the Raft core sees it: only an authenticated voter can make
 *   this node adopt a quorum epoch (the core takes epochs only from
 *   voters).
 *   A request naming another cluster id is answered INCONSISTENT_CLUSTER_ID;
 *   such an answer to our own request is logged and reported (`onRefused`:
 *   a node that is still starting gives up, it is the one that does not
 *   belong). A request claiming to come from this node, or naming an
 *   epoch past src/limits.ts epochAcceptedMax, is answered
 *   INVALID_REQUEST and logged (raft-errors.ts refusedRequest); an answer
 *   naming such an epoch is dropped like a lost one. A message the node
 *   refuses as contradicting it (raft/node.ts `refused`) is logged, at most
 *   every refusalLogIntervalMs per peer.
 * - State machine: each data entry's payload is one proposal's records
 *   (metadata/entries.ts), applied to the image in log order, then passed
 *   to `onApply` listeners; a snapshot replaces the image (`onSnapshot`).
 *   Snapshots of the image are taken when the node asks.
 * - Active controller: this node is the active controller from the moment
 *   it applies the LeaderChange entry of its own leadership (everything
 *   committed before its epoch is in the image then) until it stops
 *   leading. `propose` (active controller only) resolves once the records
 *   are committed and applied here, and rejects with NotControllerError
 *   when leadership is lost first.
 */
import type { Time, TimerHandle } from '../../clock.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import type { HostPort, Voter } from '../../net/host-port.ts';
import type { Logger } from '../../logger.ts';
import { PeerConnections, type Lane, type PeerTls } from '../../net/peer-connections.ts';
import type { PeerCredentials } from '../../net/peer-login.ts';
import type { MetadataImage } from '../../metadata/image.ts';
import type { MetadataRecord } from '../../metadata/records.ts';
import { decodeMetadataEntry, encodeMetadataEntry, encodeMetadataSnapshot } from '../../metadata/entries.ts';
import { entryPayloadBytesMax, epochAcceptedMax, observersMax, votersMax } from '../../limits.ts';
import { resolveRaftConfig, type RaftConfig } from '../raft/constants.ts';
import { DiskRaftLogStore } from '../raft/log-store.ts';
import { quorumEpochOf, type RaftMessage } from '../raft/messages.ts';
import type { ReplicaDescription } from '../raft/leader-state.ts';
import { RaftNode, type QuorumDescription } from '../raft/node.ts';
import type { Apply, RaftOutput } from '../raft/output.ts';
import { loadPersisted, persistOutput, type RaftStores } from '../raft/persistence.ts';
import { FileQuorumStateStore } from '../raft/quorum-state-store.ts';
import { requestFromWire, responseFromWire, toWire } from '../raft/wire.ts';
import { errorAnswer, isRaftRequest, refusedRequest, SenderRefused, senderOf } from './raft-errors.ts';

/** A peer whose messages the node refuses is logged at most this often. */
const refusalLogIntervalMs = 10_000;

export class NotControllerError extends Error {
  override name = 'NotControllerError';
}

/** A proposal's records are more than one metadata log entry holds (entryPayloadBytesMax); nothing was written. */
export class ProposalTooLargeError extends Error {
  override name = 'ProposalTooLargeError';
}

export interface MetadataQuorumOptions {
  nodeId: number;
  voters: readonly Voter[];
  /** The metadata directory of the data dir. */
  dir: string;
  image: MetadataImage;
  logger: Logger;
  /** The cluster this node's data dir belongs to, once it is stamped. */
  clusterId: () => string | null;
  raftConfig?: Partial<RaftConfig>;
  /** The node cannot go on (its metadata directory failed). */
  onFatal: (err: Error) => void;
  /** A peer answered that it belongs to another cluster (logged already); the quorum goes on without it. */
  onRefused: (err: Error) => void;
  /** Raft runs on its monotonic clock and timers; DescribeQuorum reports times on its wall clock. */
  time: Time;
  /** How this node authenticates to the other voters; null: it does not (peer.authentication=none). */
  credentials: PeerCredentials | null;
  /** TLS of the connections to the other voters (SSL controller listeners); none: TCP. */
  peerTls?: PeerTls;
}

interface Waiter {
  end: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class MetadataQuorum {
  private readonly options: MetadataQuorumOptions;
  private readonly addresses: Map<number, HostPort>;
  private readonly peers: PeerConnections;
  private readonly fetchLane: Lane;
  private readonly controlLane: Lane;
  private readonly config: RaftConfig;
  private node: RaftNode | null = null;
  private stores: (RaftStores & { log: DiskRaftLogStore }) | null = null;
  private timer: TimerHandle | null = null;
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private stopped = false;
  /** Entries below this offset are applied to the image. */
  private appliedEnd = 0;
  private activeEpoch: number | null = null;
  private heardFromLeader = false;
  private nextInboundId = 1;
  private readonly inbound = new Map<string, (answer: RaftMessage) => void>();
  private waiters: Waiter[] = [];
  private readonly applyListeners: ((record: MetadataRecord) => void)[] = [];
  private readonly snapshotListeners: (() => void)[] = [];
  private readonly activationListeners: ((active: boolean) => void)[] = [];
  private readonly changeListeners = new Set<() => void>();
  /** Peers whose last request failed (logged once until they answer again). */
  private readonly unreachable = new Set<number>();
  /** Peers that answered our last request with another cluster id (logged once). */
  private readonly refusedBy = new Set<number>();
  /** When a message of each peer was last refused and logged. */
  private readonly refusalLoggedAt = new Map<number, number>();

  constructor(options: MetadataQuorumOptions) {
    this.options = options;
    this.addresses = new Map(options.voters.map((v) => [v.nodeId, { host: v.host, port: v.port }]));
    this.config = resolveRaftConfig(options.raftConfig);
    this.peers = new PeerConnections(`kb-raft-${options.nodeId}`, options.credentials, options.peerTls);
    this.fetchLane = { name: 'raft-fetch', requestTimeoutMs: this.config.requestTimeoutMs };
    this.controlLane = { name: 'raft', requestTimeoutMs: this.config.requestTimeoutMs };
  }

  /** Called with every record once it is committed and applied to the image. */
  onApply(listener: (record: MetadataRecord) => void): void {
    this.applyListeners.push(listener);
  }

  /** Called after a snapshot replaced the image. */
  onSnapshot(listener: () => void): void {
    this.snapshotListeners.push(listener);
  }

  /** Called with true when this node becomes the active controller, false when it stops being it. */
  onActivation(listener: (active: boolean) => void): void {
    this.activationListeners.push(listener);
  }

  async start(): Promise<void> {
    const quorum = await FileQuorumStateStore.open(this.options.dir);
    const log = await DiskRaftLogStore.open(this.options.dir, { clock: this.options.time });
    this.stores = { quorum, log };
    const persisted = await loadPersisted(this.stores);
    this.node = new RaftNode(
      {
        nodeId: this.options.nodeId,
        voters: this.options.voters.map((v) => v.nodeId),
        config: this.config,
        random: Math.random,
        refused: (from, reason) => this.peerRefused(from, reason),
      },
      persisted,
      this.options.time.monotonicMs(),
    );
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.node?.roleName === 'leader') {
      this.node.resign(this.options.time.monotonicMs());
      this.kick();
    }
    await this.pumping;
    this.stopped = true;
    this.options.time.clear(this.timer);
    this.peers.close();
    this.rejectWaiters('the broker is shutting down');
    await this.stores?.log.close();
  }

  // ---- views -----------------------------------------------------------------

  isActiveController(): boolean {
    return this.activeEpoch !== null;
  }

  /** The quorum leader (the active controller, or about to be), or null when none is known. */
  leaderId(): number | null {
    return this.node?.leaderId ?? null;
  }

  /** The offset of the last metadata entry applied here, -1 before any. */
  appliedOffset(): number {
    return this.appliedEnd - 1;
  }

  /** The quorum as the leader sees it, with its replicas' times on the wall clock (as DescribeQuorum reports them). */
  describe(): QuorumDescription {
    const now = this.options.time.monotonicMs();
    const described = this.running().describeQuorum(now);
    const wallOffsetMs = this.options.time.wallMs() - now;
    const wall = (ms: number): number => (ms < 0 ? ms : Math.round(ms + wallOffsetMs));
    const onWallClock = (r: ReplicaDescription): ReplicaDescription => ({ ...r, lastFetchTimestamp: wall(r.lastFetchTimestamp), lastCaughtUpTimestamp: wall(r.lastCaughtUpTimestamp) });
    return { ...described, currentVoters: described.currentVoters.map(onWallClock), observers: described.observers.map(onWallClock) };
  }

  /** The address of a voter, from the voter list. */
  voterAddress(nodeId: number): HostPort | undefined {
    return this.addresses.get(nodeId);
  }

  /** Resolves once a leader is known, this node has applied what it committed (the image is current) and the cluster has its id. */
  waitUntilCaughtUp(): Promise<void> {
    return this.waitFor(() => {
      const node = this.running();
      const current = this.isActiveController() || (node.leaderId !== null && this.heardFromLeader && this.appliedEnd >= node.highWatermark);
      return current && this.options.image.clusterId !== null;
    });
  }

  /** Resolves when `condition` holds, checked after every change of the quorum's state. */
  waitFor(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.changeListeners.delete(check);
        resolve();
      };
      this.changeListeners.add(check);
    });
  }

  // ---- proposals ---------------------------------------------------------------

  /** Commits `records` as one entry; resolves once they are applied here. */
  propose(records: MetadataRecord[]): Promise<void> {
    if (!this.isActiveController()) return Promise.reject(this.notController());
    const result = this.running().propose(this.options.time.monotonicMs(), [encodeMetadataEntry(records)]);
    if (!result.accepted) {
      if (result.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) return Promise.reject(this.notController());
      if (result.errorCode === ErrorCode.MESSAGE_TOO_LARGE) {
        return Promise.reject(new ProposalTooLargeError(`${records.length} metadata records are more than one metadata log entry holds (${entryPayloadBytesMax / 1024 / 1024} MiB)`));
      }
      return Promise.reject(new Error(`metadata proposal refused: ${errorName(result.errorCode)}`));
    }
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ end: result.lastOffset + 1, resolve, reject }));
    this.kick();
    return done;
  }

  private notController(): NotControllerError {
    const leader = this.leaderId();
    return new NotControllerError(`node ${this.options.nodeId} is not the active controller${leader !== null && leader !== this.options.nodeId ? ` (node ${leader} is)` : ''}`);
  }

  private rejectWaiters(reason: string): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(new NotControllerError(reason));
  }

  // ---- inbound requests ----------------------------------------------------------

  /** Answers a Raft request body (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch or FetchSnapshot of the metadata topic) with a response body. */
  handle(apiKey: number, apiVersion: number, body: unknown, mayActAs: (nodeId: number) => boolean): Promise<unknown> {
    const request = requestFromWire(apiKey, apiVersion, body, this.nextInboundId++);
    if (!isRaftRequest(request)) throw new Error(`API ${apiKey} does not carry a Raft request`);
    if (!mayActAs(senderOf(request))) throw new SenderRefused(`a ${request.type} request claiming node ${senderOf(request)}, which its connection is not`);
    const theirs = (body as { clusterId?: string | null }).clusterId;
    const ours = this.clusterId();
    if (theirs && ours && theirs !== ours) {
      return Promise.resolve(toWire(errorAnswer(request, ErrorCode.INCONSISTENT_CLUSTER_ID), ours).body);
    }
    if (this.stopped || !this.node) return Promise.resolve(toWire(errorAnswer(request, ErrorCode.BROKER_NOT_AVAILABLE), ours ?? '').body);
    const refused = refusedRequest(request, this.options.nodeId);
    if (refused !== null) {
      this.options.logger.warn(`metadata quorum: refused a ${request.type} request from node ${senderOf(request)}: ${refused}`);
      return Promise.resolve(toWire(errorAnswer(request, ErrorCode.INVALID_REQUEST), ours ?? '').body);
    }
    const from = senderOf(request);
    const answered = new Promise<RaftMessage>((resolve) => this.inbound.set(`${from}:${request.correlationId}`, resolve));
    this.node.receive(this.options.time.monotonicMs(), from, request);
    this.kick();
    return answered.then((answer) => toWire(answer, this.clusterId() ?? '').body);
  }

  private clusterId(): string | null {
    return this.options.image.clusterId ?? this.options.clusterId();
  }

  // ---- driving the node ------------------------------------------------------------

  private running(): RaftNode {
    if (!this.node) throw new Error('the metadata quorum is not started');
    return this.node;
  }

  /** Handles the node's outputs until it has none, one at a time; calls made meanwhile ask for another round. */
  private kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = this.pump()
      .catch((err: Error) => {
        this.stopped = true;
        this.options.onFatal(new Error(`metadata quorum failed: ${err.message}`));
      })
      .finally(() => {
        this.pumping = null;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.kick();
        }
      });
  }

  private async pump(): Promise<void> {
    const node = this.running();
    for (let output = node.takeOutput(); output; output = node.takeOutput()) await this.handleOutput(node, output);
    this.afterChange();
  }

  private async handleOutput(node: RaftNode, output: RaftOutput): Promise<void> {
    await persistOutput(output, this.stores!);
    for (const { to, message } of output.messages) this.send(to, message);
    for (const apply of output.applies) this.apply(apply);
    if (output.snapshotDue) node.snapshotTaken(this.options.time.monotonicMs(), this.appliedEnd, encodeMetadataSnapshot(this.options.image.toRecords()));
    node.persisted(this.options.time.monotonicMs(), output.seq);
  }

  private send(to: number, message: RaftMessage): void {
    if (!isRaftRequest(message)) {
      const key = `${to}:${message.correlationId}`;
      const answer = this.inbound.get(key);
      this.inbound.delete(key);
      answer?.(message);
      return;
    }
    const address = this.addresses.get(to);
    if (!address) return;
    const wire = toWire(message, this.clusterId() ?? '');
    const lane = wire.apiKey === ApiKeys.Fetch || wire.apiKey === ApiKeys.FetchSnapshot ? this.fetchLane : this.controlLane;
    this.peers.request({ nodeId: to, ...address }, lane, wire.apiKey, wire.apiVersion, wire.body).then(
      (body) => {
        if (this.stopped) return;
        const answer = responseFromWire(wire.apiKey, wire.apiVersion, body, message.correlationId);
        if ('errorCode' in answer && answer.errorCode === ErrorCode.INCONSISTENT_CLUSTER_ID) {
          const err = new Error(`node ${to} at ${address.host}:${address.port} belongs to another cluster than this node's (${this.clusterId()})`);
          if (!this.refusedBy.has(to)) this.options.logger.error(err.message);
          this.refusedBy.add(to);
          this.options.onRefused(err);
          return;
        }
        this.refusedBy.delete(to);
        if (this.unreachable.delete(to)) this.options.logger.info(`metadata quorum: node ${to} is reachable again`);
        const epoch = quorumEpochOf(answer);
        if (epoch > epochAcceptedMax) return this.peerUnreachable(to, new Error(`its answer names epoch ${epoch}, past the highest taken`));
        if (answer.type === 'FetchResponse' && answer.errorCode === ErrorCode.NONE) this.heardFromLeader = true;
        this.running().receive(this.options.time.monotonicMs(), to, answer);
        this.kick();
      },
      (err: Error) => this.peerUnreachable(to, err),
    );
  }

  /** Logs a peer message the node refused as contradicting it (once per refusalLogIntervalMs per peer); the node goes on. */
  private peerRefused(from: number, reason: string): void {
    const now = this.options.time.monotonicMs();
    const last = this.refusalLoggedAt.get(from);
    if (last !== undefined && now - last < refusalLogIntervalMs) return;
    if (this.refusalLoggedAt.size >= votersMax + observersMax) this.refusalLoggedAt.clear();
    this.refusalLoggedAt.set(from, now);
    this.options.logger.warn(`metadata quorum: refused a message from node ${from}: ${reason} (do all nodes have the same --voters?)`);
  }

  /** Logs the first failure in a row to reach a peer (Raft retries on its own). */
  private peerUnreachable(to: number, err: Error): void {
    if (this.stopped || this.unreachable.has(to)) return;
    this.unreachable.add(to);
    this.options.logger.warn(`metadata quorum: cannot reach node ${to}: ${err.message}`);
  }

  private apply(apply: Apply): void {
    const image = this.options.image;
    if (apply.kind === 'snapshot') {
      image.clear();
      for (const record of decodeMetadataEntry(apply.snapshot.data)) image.apply(record);
      this.appliedEnd = apply.snapshot.id.endOffset;
      for (const listener of this.snapshotListeners) listener();
      return;
    }
    const node = this.running();
    for (const entry of apply.entries) {
      if (entry.kind === 'data') {
        for (const record of decodeMetadataEntry(entry.payload)) {
          image.apply(record);
          for (const listener of this.applyListeners) listener(record);
        }
      } else if (entry.epoch === node.epoch && node.roleName === 'leader') {
        this.activeEpoch = entry.epoch;
        for (const listener of this.activationListeners) listener(true);
      }
      this.appliedEnd = entry.offset + 1;
      this.resolveWaiters();
    }
  }

  private resolveWaiters(): void {
    while (this.waiters.length > 0 && this.waiters[0].end <= this.appliedEnd) this.waiters.shift()!.resolve();
  }

  /** Notices a lost leadership, wakes whoever waits on the quorum's state and sets the timer for the node's next deadline. */
  private afterChange(): void {
    const node = this.running();
    if (this.activeEpoch !== null && (node.roleName !== 'leader' || node.epoch !== this.activeEpoch)) {
      this.activeEpoch = null;
      this.rejectWaiters(`node ${this.options.nodeId} lost the metadata quorum leadership`);
      for (const listener of this.activationListeners) listener(false);
    }
    for (const check of [...this.changeListeners]) check();
    if (this.stopped) return;
    this.options.time.clear(this.timer);
    const deadline = node.nextDeadlineMs();
    if (Number.isFinite(deadline)) {
      this.timer = this.options.time.setTimeout(() => {
        this.timer = null;
        if (this.stopped) return;
        node.tick(this.options.time.monotonicMs());
        this.kick();
      }, deadline - this.options.time.monotonicMs());
    }
  }
}
