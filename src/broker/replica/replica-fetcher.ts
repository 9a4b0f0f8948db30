/**
 * Follower replication: one fetch loop per leader broker, fetching every
 * partition this broker follows on that leader in one Fetch (v12: replica
 * id = this node, current leader epoch, last fetched epoch), long-polling
 * at the leader (`replica.fetch.wait.max.ms`).
 *
 * Per partition in the answer:
 * - records: whole batches at or past the log end are appended with the
 *   leader's offsets and epochs (Partition.appendAsFollower), then the high
 *   watermark follows the leader's;
 * - a diverging epoch: the log is truncated to where it agrees with the
 *   leader (Kafka's rule: the smaller of the leader's and our own end offset
 *   for that epoch; our end of the largest older epoch when we do not have
 *   it) and fetched again from there, which repeats until the logs agree;
 * - OFFSET_OUT_OF_RANGE: below the leader's log start the log restarts at
 *   it; past the leader's log end it is truncated to the leader's high
 *   watermark;
 * - an answer of either kind with impossible offsets (negative, a log start
 *   past the high watermark, beyond offsetMax) is an error (below) and
 *   changes nothing;
 * - a leadership error (NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH
 *   ...) or an unexpected one: the partition rests for
 *   `replica.fetch.backoff.ms` or until new metadata re-assigns it (a
 *   leadership error that comes twice in a row, outliving a back-off, is
 *   logged once).
 * A partition this node is being added to by a reassignment (not yet in
 * the ISR) rests after each answer as long as the follower replication
 * throttle asks.
 * A partition added to a loop (or given a new epoch) while its fetch is
 * parked at the leader would wait for that fetch (up to
 * replica.fetch.wait.max.ms, and acks=all produce with it): the loop drops
 * that connection and fetches again at once with the partition included.
 * A connection or request failure (no answer within
 * `replica.fetch.wait.max.ms` + `replica.socket.timeout.ms`) backs the
 * whole loop off for `replica.fetch.backoff.ms` and reconnects (each
 * connection authenticated as this node to the leader, unless the cluster
 * opted out: net/peer-login.ts); the first failure is logged (a leader
 * refusing this node's authentication included), and so is the first fetch answered after it.
 * `close()` stops every loop.
 * Fetch answers are joined into memory of one BufferPool shared by the
 * loops, given back once their batches are written.
 */
import { BrokerConnection } from '../../net/connection.ts';
import { peerLogin, type PeerCredentials } from '../../net/peer-login.ts';
import type { PeerTls } from '../../net/peer-connections.ts';
import type { Time } from '../../clock.ts';
import { offsetMax } from '../../limits.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import { offsets as batchField } from '../../protocol/records/batch-header.ts';
import { recordBatches } from '../../protocol/records/batch-splitter.ts';
import { defaultFetchRequest, type FetchRequest } from '../../protocol/generated/fetch-request.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import type { FetchResponse, PartitionData } from '../../protocol/generated/fetch-response.ts';
import type { Logger } from '../../logger.ts';
import type { Partition } from './partition.ts';
import { isThrottledReplica, type ReplicationThrottle } from './replication-throttle.ts';
import { BufferPool } from '../server/buffer-pool.ts';
import { zeroUuid } from '../../protocol/well-known.ts';

/** v12 is the first with lastFetchedEpoch / divergingEpoch, and the last with topic names. */
const fetchVersion = 12;

export interface ReplicaFetcherOptions {
  nodeId: number;
  /** Where a broker listens, from the metadata image; null when it is not registered. */
  brokerAddress(nodeId: number): { host: string; port: number } | null;
  /** replica.fetch.wait.max.ms */
  maxWaitMs: number;
  /** replica.fetch.response.max.bytes */
  maxBytes: number;
  /** replica.fetch.max.bytes */
  partitionMaxBytes: number;
  /** replica.fetch.backoff.ms */
  backoffMs: number;
  /** replica.socket.timeout.ms: how long a fetch may take beyond its max wait (and a connect) before the connection is given up. */
  socketTimeoutMs: number;
  /** TLS of the connections to leaders; none: TCP. */
  peerTls?: PeerTls;
  /** follower.replication.throttled.rate, for partitions this node is being added to. */
  throttle: ReplicationThrottle;
  logger: Logger;
  /** Rests after errors run on its monotonic clock and timers. */
  time: Time;
  /** How a fetcher authenticates to the leader it fetches from; null: it does not (peer.authentication=none). */
  credentials: PeerCredentials | null;
}

interface Followed {
  partition: Partition;
  leaderEpoch: number;
  /** Not fetched before this time (after an error). */
  restUntilMs: number;
  /** The error code of the leader's last answer for it, and how many answers in a row had it. */
  errorCode: number;
  errorRepeats: number;
}

/** Every fetch loop of this broker, by leader. */
export class ReplicaFetchers {
  private readonly options: ReplicaFetcherOptions;
  private readonly loops = new Map<number, LeaderFetcher>();
  /** Partition key -> the leader it is followed on. */
  private readonly leaderOf = new Map<string, number>();
  private readonly framePool = new BufferPool();
  private closed = false;

  constructor(options: ReplicaFetcherOptions) {
    this.options = options;
  }

  /** Fetches `partition` from `leaderId` in `leaderEpoch` (moving it off its previous leader's loop). */
  follow(partition: Partition, leaderId: number, leaderEpoch: number): void {
    if (this.closed) return;
    const key = keyOf(partition);
    const previous = this.leaderOf.get(key);
    if (previous !== undefined && previous !== leaderId) this.loops.get(previous)?.remove(key);
    this.leaderOf.set(key, leaderId);
    let loop = this.loops.get(leaderId);
    if (!loop) {
      loop = new LeaderFetcher(leaderId, this.options, this.framePool);
      this.loops.set(leaderId, loop);
    }
    loop.add(key, partition, leaderEpoch);
  }

  /** Stops fetching `partition` (it leads now, has no leader, or is gone). */
  unfollow(partition: Partition): void {
    const key = keyOf(partition);
    const leader = this.leaderOf.get(key);
    if (leader === undefined) return;
    this.leaderOf.delete(key);
    this.loops.get(leader)?.remove(key);
  }

  /** A broker registered again (maybe at a new address): its loop reconnects. */
  brokerChanged(nodeId: number): void {
    this.loops.get(nodeId)?.reconnect();
  }

  async close(): Promise<void> {
    this.closed = true;
    const loops = [...this.loops.values()];
    this.loops.clear();
    this.leaderOf.clear();
    await Promise.all(loops.map((l) => l.stop()));
  }
}

function keyOf(partition: Partition): string {
  return `${partition.topic}-${partition.index}`;
}

/** An interruptible sleep. */
class Wakeup {
  private readonly time: Time;
  private pending: (() => void) | null = null;

  constructor(time: Time) {
    this.time = time;
  }

  sleep(ms: number): Promise<void> {
    const { time } = this;
    return new Promise((resolve) => {
      const timer = time.setTimeout(done, ms);
      const self = this;
      function done() {
        time.clear(timer);
        if (self.pending === done) self.pending = null;
        resolve();
      }
      this.pending = done;
    });
  }

  wake(): void {
    this.pending?.();
  }
}

/** The fetch loop for the partitions led by one broker. */
class LeaderFetcher {
  private readonly leaderId: number;
  private readonly options: ReplicaFetcherOptions;
  private readonly framePool: BufferPool;
  private readonly partitions = new Map<string, Followed>();
  private readonly wakeup: Wakeup;
  private connection: BrokerConnection | null = null;
  private stopped = false;
  private failing = false;
  /** A fetch is out and its answer awaited. */
  private fetching = false;
  /** The fetch out was abandoned (its connection closed) for a partition added meanwhile. */
  private interrupted = false;
  private readonly running: Promise<void>;

  constructor(leaderId: number, options: ReplicaFetcherOptions, framePool: BufferPool) {
    this.leaderId = leaderId;
    this.options = options;
    this.framePool = framePool;
    this.wakeup = new Wakeup(options.time);
    this.running = this.run();
  }

  /** Starts (or, in a new leader epoch, restarts) fetching a partition; the same epoch again changes nothing. */
  add(key: string, partition: Partition, leaderEpoch: number): void {
    const current = this.partitions.get(key);
    if (current?.partition === partition && current.leaderEpoch === leaderEpoch) return;
    this.partitions.set(key, { partition, leaderEpoch, restUntilMs: 0, errorCode: ErrorCode.NONE, errorRepeats: 0 });
    this.wakeup.wake();
    if (this.fetching) {
      this.interrupted = true;
      this.reconnect();
    }
  }

  remove(key: string): void {
    this.partitions.delete(key);
  }

  reconnect(): void {
    this.connection?.close();
    this.connection = null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reconnect();
    this.wakeup.wake();
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.due().length === 0) {
        const now = this.options.time.monotonicMs();
        let next = Infinity;
        for (const f of this.partitions.values()) next = Math.min(next, f.restUntilMs);
        await this.wakeup.sleep(Number.isFinite(next) ? Math.max(1, next - now) : this.options.backoffMs);
        continue;
      }
      try {
        const connection = await this.connect();
        // Worked out once connected: partitions added while connecting are in this fetch.
        const due = this.due();
        if (due.length === 0) continue;
        connection.version(ApiKeys.Fetch, fetchVersion, fetchVersion);
        this.interrupted = false;
        this.fetching = true;
        const { body: response, release } = await connection.requestLeased(ApiKeys.Fetch, fetchVersion, this.request(due)).finally(() => (this.fetching = false));
        try {
          if (response.errorCode !== ErrorCode.NONE) throw new Error(`fetch failed with error code ${response.errorCode}`);
          await this.handle(new Map(due), response);
        } finally {
          release();
        }
        if (this.failing) this.options.logger.info(`replica fetcher for leader ${this.leaderId}: fetching again`);
        this.failing = false;
      } catch (err) {
        if (this.stopped) return;
        if (this.interrupted) {
          this.interrupted = false;
          continue;
        }
        if (!this.failing) this.options.logger.warn(`replica fetcher for leader ${this.leaderId}: ${(err as Error).message}; retrying every ${this.options.backoffMs} ms`);
        this.failing = true;
        this.reconnect();
        await this.wakeup.sleep(this.options.backoffMs);
      }
    }
  }

  /** The partitions not resting after an error. */
  private due(): [string, Followed][] {
    const now = this.options.time.monotonicMs();
    return [...this.partitions].filter(([, f]) => f.restUntilMs <= now);
  }

  private async connect(): Promise<BrokerConnection> {
    if (this.connection) return this.connection;
    const address = this.options.brokerAddress(this.leaderId);
    if (!address) throw new Error(`broker ${this.leaderId} is not registered`);
    const connection = new BrokerConnection({
      host: address.host,
      port: address.port,
      clientId: `kb-replica-fetcher-${this.options.nodeId}`,
      requestTimeoutMs: this.options.maxWaitMs + this.options.socketTimeoutMs,
      connectTimeoutMs: this.options.socketTimeoutMs,
      framePool: this.framePool,
      authenticate: this.options.credentials === null ? undefined : peerLogin(this.options.credentials, this.leaderId),
      tls: this.options.peerTls?.(address),
    });
    await connection.connect();
    if (this.stopped) connection.close();
    this.connection = connection;
    return connection;
  }

  private request(due: [string, Followed][]): FetchRequest {
    const byTopic = new Map<string, Followed[]>();
    for (const [, f] of due) byTopic.set(f.partition.topic, [...(byTopic.get(f.partition.topic) ?? []), f]);
    return {
      ...defaultFetchRequest(),
      replicaId: this.options.nodeId,
      maxWaitMs: this.options.maxWaitMs,
      minBytes: 1,
      maxBytes: this.options.maxBytes,
      topics: [...byTopic].map(([topic, followed]) => ({
        topic,
        topicId: zeroUuid,
        partitions: followed.map(({ partition, leaderEpoch }) => ({
          partition: partition.index,
          currentLeaderEpoch: leaderEpoch,
          fetchOffset: partition.log.logEndOffset,
          lastFetchedEpoch: partition.log.latestEpoch,
          logStartOffset: partition.log.logStartOffset,
          partitionMaxBytes: this.options.partitionMaxBytes,
          replicaDirectoryId: zeroUuid,
        })),
      })),
    };
  }

  private async handle(sent: Map<string, Followed>, response: FetchResponse): Promise<void> {
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const key = `${topic.topic}-${data.partitionIndex}`;
        const followed = sent.get(key);
        // Re-assigned (new epoch or leader) or dropped while the fetch was out: its answer is stale.
        if (!followed || this.partitions.get(key) !== followed) continue;
        try {
          await this.apply(followed, data);
        } catch (err) {
          this.options.logger.warn(`replicating ${key} from broker ${this.leaderId} failed: ${(err as Error).message}`);
          followed.restUntilMs = this.options.time.monotonicMs() + this.options.backoffMs;
        }
      }
    }
  }

  private async apply(followed: Followed, data: PartitionData): Promise<void> {
    const { partition } = followed;
    const log = partition.log;
    const impossible = impossibleOffsets(data);
    if (impossible) throw new Error(`the leader answered ${errorName(data.errorCode)} with ${impossible}`);
    followed.errorRepeats = followed.errorCode === data.errorCode ? followed.errorRepeats + 1 : 1;
    followed.errorCode = data.errorCode;
    switch (data.errorCode) {
      case ErrorCode.NONE: {
        const diverging = data.divergingEpoch;
        if (diverging.epoch >= 0 || diverging.endOffset >= 0) {
          await partition.truncateTo(truncationOffset(partition, diverging));
          return;
        }
        const batches = newBatches(data.records, log.logEndOffset);
        if (batches.length > 0) await partition.appendAsFollower(batches);
        partition.updateFollowerHighWatermark(data.highWatermark);
        if (isThrottledReplica(partition.state, this.options.nodeId)) {
          this.options.throttle.record(batches.reduce((n, b) => n + b.length, 0));
          followed.restUntilMs = this.options.time.monotonicMs() + this.options.throttle.delayMs();
        }
        return;
      }
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        if (log.logEndOffset < data.logStartOffset) await partition.truncateFullyAndStartAt(data.logStartOffset);
        else await partition.truncateTo(data.highWatermark);
        return;
      case ErrorCode.NOT_LEADER_OR_FOLLOWER:
      case ErrorCode.FENCED_LEADER_EPOCH:
      case ErrorCode.UNKNOWN_LEADER_EPOCH:
      case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      case ErrorCode.LEADER_NOT_AVAILABLE:
        if (followed.errorRepeats === 2) {
          this.options.logger.info(`${keyOf(partition)}: leader ${this.leaderId} answered ${errorName(data.errorCode)} twice in epoch ${followed.leaderEpoch}; asking again every ${this.options.backoffMs} ms until the metadata changes`);
        }
        followed.restUntilMs = this.options.time.monotonicMs() + this.options.backoffMs; // until new metadata re-assigns it
        return;
      default:
        throw new Error(`the leader answered error code ${data.errorCode}`);
    }
  }
}

/**
 * What is impossible about the offsets of an answer the follower acts on
 * (NONE, OFFSET_OUT_OF_RANGE), or null: a leader keeps
 * 0 <= log start offset <= high watermark <= offsetMax, and a peer's answer
 * must not carry the follower's log outside that (storage asserts it).
 */
function impossibleOffsets(data: PartitionData): string | null {
  if (data.errorCode !== ErrorCode.NONE && data.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) return null;
  const { logStartOffset, highWatermark } = data;
  if (logStartOffset < 0n) return `a negative log start offset ${logStartOffset}`;
  if (highWatermark < 0n) return `a negative high watermark ${highWatermark}`;
  if (logStartOffset > highWatermark) return `log start offset ${logStartOffset} past its high watermark ${highWatermark}`;
  if (highWatermark > BigInt(offsetMax)) return `high watermark ${highWatermark} beyond ${offsetMax}`;
  return null;
}

/** Where a follower's log stops agreeing with the leader's, given the leader's diverging epoch. */
export function truncationOffset(partition: Partition, diverging: { epoch: number; endOffset: bigint }): bigint {
  const log = partition.log;
  if (diverging.endOffset < 0n) return partition.highWatermark;
  const own = log.endOffsetForEpoch(diverging.epoch);
  let target: bigint;
  if (own.endOffset < 0n) target = diverging.endOffset; // we know no epoch that old
  else if (own.epoch === diverging.epoch) target = own.endOffset < diverging.endOffset ? own.endOffset : diverging.endOffset;
  else target = own.endOffset; // we lack the leader's epoch: back to the end of our older one, then ask again
  return target < log.logEndOffset ? target : log.logEndOffset;
}

/** The complete batches of a fetch answer that end at or past `logEnd`, as views of the answer (the log keeps them only until written). */
function newBatches(records: Buffer | null, logEnd: bigint): Buffer[] {
  if (!records || records.length === 0) return [];
  const out: Buffer[] = [];
  for (const span of recordBatches(records)) {
    if (!span.complete) break;
    const lastOffset = span.bytes.readBigInt64BE(0) + BigInt(span.bytes.readInt32BE(batchField.lastOffsetDelta));
    if (lastOffset >= logEnd) out.push(span.bytes);
  }
  return out;
}
