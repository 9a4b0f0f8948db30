/**
 * One partition replica hosted on this broker: the storage log plus what
 * the protocol layers on it: its role (leader or follower, from the
 * committed PartitionRecord), high watermark, idempotent-producer state,
 * transactions (open ones, aborted ones, the last stable offset that
 * read_committed reads stop at; transactions.ts), LogAppendTime stamping,
 * and the wake-up of parked fetches and acks=all produces when data
 * arrives or the high watermark moves.
 *
 * Transaction markers are control batches the leader writes for the
 * coordinator (`appendMarker`, admitted like a producer's batch); leader
 * and follower record every batch in the producer and transaction tables
 * alike; an ABORT marker's transaction is indexed in the log's segment
 * holding it (storage txn-index.ts: `.txnindex`), which read_committed
 * reads answer `aborted_transactions` from. Both tables are snapshotted
 * at a clean close and restored from it on the next open (storage
 * files.ts: producer-state.snapshot; the indexes are trusted with it),
 * else rebuilt from the log (a marker's type read from its stored batch)
 * with every segment's aborted-transaction index.
 *
 * Leader appends are admitted one at a time in call order: work the caller
 * may still be doing on the batch (its check of compressed records, its
 * recompression), the role and
 * min.insync.replicas checks (acks=all), the producer check,
 * LogAppendTime stamping and the log enqueue, which assigns offsets in that
 * order. A batch does not wait for earlier batches to be written, so
 * appends that arrive while a write is in flight go out in the log's next
 * group write. An idempotent batch is admitted only once its producer's
 * earlier batches here are written and recorded (check -> append -> record
 * must not interleave for one producer), which holds up later admissions
 * behind it and so keeps the order.
 *
 * As leader (a FollowerTracker per leader term): followers' fetches move
 * the high watermark to the smallest log end in the maximal ISR (never
 * down); ISR changes are proposed to the controller through
 * `alterPartition`, one in flight at a time, and take effect from its
 * answer or the committed PartitionRecord (whichever comes first; each
 * change is reported once through `isrChanged` and logged once: who left
 * the ISR and why, who joined it). With replicas = [self] the
 * high watermark is the log end after each append. As follower: batches
 * fetched from the leader are appended with their offsets and epochs and
 * recorded in the producer table (so idempotent dedup survives a leader
 * change); the high watermark is min(leader's, own log end), never down.
 * Either way the high watermark set lies within the log (asserted: the log
 * would silently clamp it); a leader's answer with impossible offsets is
 * refused by the fetcher before it gets here (replica-fetcher.ts).
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Time } from '../../clock.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import { attributeBits, offsets as headerOffsets, readBatchHeader, updateBatchCrc, type BatchHeader } from '../../protocol/records/batch-header.ts';
import type { AlterPartitionRequest } from '../../protocol/generated/alter-partition-request.ts';
import type { AlterPartitionResponse } from '../../protocol/generated/alter-partition-response.ts';
import type { PartitionRecord } from '../../metadata/records.ts';
import type { AppendInfo, Log } from '../../storage/log.ts';
import { StorageError } from '../../storage/errors.ts';
import type { Logger } from '../../logger.ts';
import type { Allocate } from '../server/buffer-pool.ts';
import { FollowerTracker } from './follower-tracker.ts';
import { isIdempotent, ProducerStateTable, type ProducerSummary } from './producer-state.ts';
import { TransactionTable } from './transactions.ts';
import type { AbortedTxnEntry } from '../../storage/txn-index.ts';
import { encodeMarkerBatch, isControlBatch, isTransactionalBatch, readMarker, type TxnMarker } from '../../protocol/records/control-batch.ts';

export const latestTimestamp = -1n;
export const earliestTimestamp = -2n;
export const maxTimestamp = -3n;

export interface AppendResult {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: bigint;
  /** Last offset of the batch (for acks=all: committed once the high watermark passes it). */
  lastOffset: bigint;
  /** The leader epoch the batch was appended in. */
  leaderEpoch: number;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
}

export interface ErrorResult {
  errorCode: number;
  errorMessage: string | null;
}

export interface ConsumerRead {
  errorCode: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  /** Empty (never null) when nothing is read or errorCode is set: Kafka's answer, and librdkafka drops a whole Fetch answer with null records. */
  records: Buffer;
}

export interface PartitionSettings {
  /** `max.message.bytes` of the topic. */
  maxMessageBytes(): number;
  /** `message.timestamp.type` of the topic is LogAppendTime. */
  logAppendTime(): boolean;
  /** `min.insync.replicas` of the topic. */
  minInsyncReplicas(): number;
}

/** What every partition on this broker shares for replication. */
export interface ReplicationContext {
  nodeId: number;
  /** Lag runs on its monotonic clock, LogAppendTime stamps come from its wall clock, acks=all waits end on its timers. */
  time: Time;
  /** `replica.lag.time.max.ms` */
  lagTimeMaxMs: number;
  /** The epoch of a registered, unfenced broker, or null (it may not join an ISR). */
  liveBrokerEpoch(nodeId: number): bigint | null;
  /** Whether this broker may act as a leader now (Broker.serving: its controller lease held); a waiting acks=all produce ends when it may not. */
  serving(): boolean;
  /** Sends an ISR change to the controller (AlterPartition, key 56). */
  alterPartition(request: AlterPartitionRequest): Promise<AlterPartitionResponse>;
  /** The committed ISR of a partition this node leads changed within a term (metrics count shrinks and expands). */
  isrChanged(previous: readonly number[], next: readonly number[]): void;
  logger: Logger;
}

const none: ErrorResult = { errorCode: ErrorCode.NONE, errorMessage: null };

export class Partition {
  readonly topic: string;
  readonly index: number;
  readonly log: Log;
  state: PartitionRecord;
  private readonly settings: PartitionSettings;
  private readonly cluster: ReplicationContext;
  private producers = new ProducerStateTable();
  private transactions = new TransactionTable();
  /** Emits 'change' on appends, high watermark moves and role or ISR changes. */
  private readonly changed = new EventEmitter();
  /** The admission of the latest append (settles once it is enqueued in the log). */
  private admission: Promise<unknown> = Promise.resolve();
  /** Per idempotent producer, its latest append not yet written and recorded. */
  private readonly producerAppends = new Map<bigint, Promise<AppendResult>>();
  /** Leader state of the current term; null while a follower. */
  private tracker: FollowerTracker | null = null;
  /** The AlterPartition request in flight, if any, with why it drops the followers it drops (for the log). */
  private inFlight: { request: AlterPartitionRequest; reasons: ReadonlyMap<number, string> } | null = null;
  private closed = false;

  constructor(topic: string, index: number, log: Log, state: PartitionRecord, settings: PartitionSettings, cluster: ReplicationContext) {
    this.topic = topic;
    this.index = index;
    this.log = log;
    this.state = state;
    this.settings = settings;
    this.cluster = cluster;
    this.changed.setMaxListeners(0);
  }

  /**
   * Restores the producer and transaction tables from the snapshot the
   * log's last clean close wrote, else rebuilds them, and the log's
   * aborted-transaction indexes, from the batches in the log; has the next
   * clean close snapshot them; then takes the role `state` gives.
   */
  async open(): Promise<void> {
    if (!this.restore(this.log.takeProducerSnapshot())) {
      this.log.resetAbortedTxns();
      for await (const header of this.log.batchHeaders(this.log.logStartOffset)) {
        const marker = isControlBatch(header) ? await this.storedMarker(header.baseOffset) : null;
        this.recordBatch(header, header.baseOffset, header.maxTimestamp, marker);
      }
    }
    this.log.snapshotOnClose(() => ({ producers: this.producers.toSnapshot(), transactions: this.transactions.toSnapshot() }));
    this.applyState(this.state, true);
  }

  /** Both tables from a producer-state snapshot; false when there is none or it does not decode (logged). */
  private restore(snapshot: unknown): boolean {
    if (snapshot === null || snapshot === undefined) return false;
    try {
      const { producers, transactions } = snapshot as Record<string, unknown>;
      const restored = [ProducerStateTable.fromSnapshot(producers), TransactionTable.fromSnapshot(transactions)] as const;
      [this.producers, this.transactions] = restored;
      return true;
    } catch (err) {
      this.cluster.logger.warn(`${this.name}: unreadable producer-state snapshot, rebuilding from the log: ${(err as Error).message}`);
      return false;
    }
  }

  /** The transaction marker stored at `offset` (a control batch); null for another control type or one that cannot be decoded (logged). */
  private async storedMarker(offset: bigint): Promise<TxnMarker | null> {
    const batch = await this.log.read(offset, 1, { minOneBatch: true, maxOffset: offset + 1n });
    return this.markerOf(batch, offset);
  }

  private markerOf(batch: Buffer, offset: bigint): TxnMarker | null {
    try {
      return readMarker(batch);
    } catch (err) {
      this.cluster.logger.warn(`${this.name}: control batch at offset ${offset} is not a readable transaction marker: ${(err as Error).message}`);
      return null;
    }
  }

  /** Records an appended batch in the producer and transaction tables (`marker`: the one a control batch holds). */
  private recordBatch(header: BatchHeader, baseOffset: bigint, timestamp: bigint, marker: TxnMarker | null): void {
    if (marker) {
      this.producers.recordMarker(marker.producerId, marker.producerEpoch, marker.coordinatorEpoch, timestamp);
      const ended = this.transactions.recordMarker(marker.producerId, marker.commit, baseOffset);
      if (ended && !ended.commit) {
        const lastStableOffset = this.transactions.firstOpenOffset() ?? baseOffset + 1n;
        this.log.recordAbortedTxn({ producerId: ended.producerId, firstOffset: ended.firstOffset, lastOffset: baseOffset, lastStableOffset });
      }
      return;
    }
    this.producers.record(header, baseOffset, timestamp);
    if (isTransactionalBatch(header) && !isControlBatch(header) && header.producerId >= 0n) this.transactions.recordData(header.producerId, baseOffset);
  }

  get highWatermark(): bigint {
    return this.log.highWatermark;
  }

  /**
   * The last stable offset: the first offset of the oldest transaction
   * that is open or whose marker is not below the high watermark yet,
   * capped by the high watermark, and at least the log start (retention
   * may have deleted the transaction's first batches).
   */
  get lastStableOffset(): bigint {
    const firstUnstable = this.transactions.firstUnstableOffset(this.highWatermark);
    if (firstUnstable === null || firstUnstable >= this.highWatermark) return this.highWatermark;
    return firstUnstable > this.log.logStartOffset ? firstUnstable : this.log.logStartOffset;
  }

  /**
   * The producers this partition knows (DescribeProducers), each with the
   * first offset of its open transaction (-1: none); a producer with an
   * open transaction but no sequenced batch (the group coordinator's
   * offsets) is listed with epoch -1.
   */
  describeProducers(): (ProducerSummary & { txnStartOffset: bigint })[] {
    const open = this.transactions.openTransactions();
    const known = this.producers.describe().map((p) => ({ ...p, txnStartOffset: open.get(p.producerId) ?? -1n }));
    const listed = new Set(known.map((p) => p.producerId));
    const unsequenced = [...open]
      .filter(([producerId]) => !listed.has(producerId))
      .map(([producerId, txnStartOffset]) => ({ producerId, epoch: -1, lastSequence: -1, lastTimestamp: -1n, coordinatorEpoch: -1, txnStartOffset }));
    return [...known, ...unsequenced];
  }

  /** Forgets the producers idle for `expirationMs` (producer.id.expiration.ms) without an open transaction here (producer-state.ts expire). */
  expireProducers(expirationMs: number): void {
    this.producers.expire(BigInt(this.cluster.time.wallMs() - expirationMs), this.transactions.openTransactions());
  }

  /** The aborted transactions a read_committed read of [from, to) must skip, from the log's indexes. */
  abortedTransactions(from: bigint, to: bigint): Promise<AbortedTxnEntry[]> {
    return this.log.abortedTxns(from, to);
  }

  get isLeader(): boolean {
    return this.tracker !== null;
  }

  /** The ISR the high watermark waits for: the committed one plus a proposed expansion. */
  maximalIsr(): number[] {
    return this.tracker?.maximalIsr() ?? [...this.state.isr];
  }

  maxMessageBytes(): number {
    return this.settings.maxMessageBytes();
  }

  // ---- role ----------------------------------------------------------------

  /**
   * Applies a committed PartitionRecord: leader when it names this node
   * (a new leader epoch is a new term), follower otherwise. A record of the
   * current term older than the state an AlterPartition answer installed is
   * ignored.
   */
  applyState(record: PartitionRecord, initial = false): void {
    const previous = this.state;
    const sameTerm = !initial && record.leaderEpoch === previous.leaderEpoch;
    if (this.tracker && sameTerm && record.partitionEpoch < previous.partitionEpoch) return;
    this.state = record;
    if (record.leader !== this.cluster.nodeId) {
      this.tracker = null;
      this.inFlight = null;
    } else if (!this.tracker || !sameTerm) {
      this.log.assignEpochStart(record.leaderEpoch);
      this.tracker = new FollowerTracker(this.cluster.nodeId, record.replicas, record.isr, this.log.logEndOffset, this.cluster.time.monotonicMs());
      this.inFlight = null;
    } else {
      this.reportIsrChange(previous.isr, record.isr, this.inFlight?.reasons);
      this.tracker.setCommitted(record.replicas, record.isr, this.cluster.time.monotonicMs());
      if (record.partitionEpoch > previous.partitionEpoch) {
        this.inFlight = null; // the proposal in flight was applied or superseded
        this.tracker.setPending(null);
      }
    }
    this.advanceHighWatermark();
    this.changed.emit('change');
  }

  /**
   * Reports a committed ISR change of this term (metrics) and logs who left
   * and why (`reasons` of the leader's own proposal, else the controller's
   * doing: fenced, reassigned away, or shut down) and who joined. Logged
   * after the rest of the metadata entry is applied: a fencing commits its
   * ISR changes before the broker's fenced record.
   */
  private reportIsrChange(previous: readonly number[], next: readonly number[], reasons: ReadonlyMap<number, string> = new Map()): void {
    const left = previous.filter((id) => !next.includes(id));
    const joined = next.filter((id) => !previous.includes(id));
    if (left.length === 0 && joined.length === 0) return;
    this.cluster.isrChanged(previous, next);
    const isr = `[${next.join(',')}]`;
    queueMicrotask(() => {
      for (const id of left) this.cluster.logger.info(`${this.name}: replica ${id} leaves the ISR, now ${isr}: ${reasons.get(id) ?? this.removedBecause(id)}`);
      for (const id of joined) this.cluster.logger.info(`${this.name}: replica ${id} joins the ISR, now ${isr}`);
    });
  }

  /** Why the controller took a replica out of the ISR. */
  private removedBecause(id: number): string {
    if (!this.state.replicas.includes(id)) return 'no longer a replica';
    return this.cluster.liveBrokerEpoch(id) === null ? 'fenced' : 'shut down';
  }

  /** Moves the leader's high watermark up to the smallest log end in the maximal ISR; true if it moved. */
  private advanceHighWatermark(): boolean {
    if (!this.tracker) return false;
    const candidate = this.tracker.highWatermark(this.log.logEndOffset);
    if (candidate <= this.log.highWatermark) return false;
    assert.equal(this.log.updateHighWatermark(candidate), candidate, "the ISR's high watermark lies within the leader's log");
    this.transactions.settledBelow(candidate);
    return true;
  }

  /** Ends every wait (the broker is stopping). */
  close(): void {
    this.closed = true;
    this.tracker = null;
    this.changed.emit('change');
  }

  /** Has every wait check again: this broker may no longer act as a leader (`serving`), so acks=all waits end. */
  servingLost(): void {
    this.changed.emit('change');
  }

  // ---- leader: appends -----------------------------------------------------

  /**
   * `preparing`: work the caller still does on the batch (the Produce
   * handler's walk of compressed records, its recompression); admission
   * waits for it. A refusal is the append's answer, a Buffer the batch to
   * store instead, null the batch as given.
   */
  appendAsLeader(batch: Buffer, header: BatchHeader, acks: number, preparing?: Promise<ErrorResult | Buffer | null>): Promise<AppendResult> {
    return this.inAdmissionOrder(async () => {
      const prepared = (await preparing) ?? batch;
      if (!Buffer.isBuffer(prepared)) return { appended: Promise.resolve(this.appendFailed(prepared.errorCode, prepared.errorMessage ?? '')) };
      return prepared === batch ? this.admit(batch, header, acks, null) : this.admit(prepared, readBatchHeader(prepared), acks, null);
    });
  }

  /**
   * Writes a transaction marker (WriteTxnMarkers) as a control batch:
   * admitted like a batch with acks=all, after its producer's earlier
   * appends, refused when its epochs are stale (ProducerStateTable.checkMarker).
   * The caller waits for its replication.
   */
  appendMarker(marker: TxnMarker): Promise<AppendResult> {
    const batch = encodeMarkerBatch(marker, BigInt(this.cluster.time.wallMs()));
    return this.inAdmissionOrder(() => this.admit(batch, readBatchHeader(batch), -1, marker));
  }

  private inAdmissionOrder(admit: () => Promise<{ appended: Promise<AppendResult> }>): Promise<AppendResult> {
    const admitted = this.admission.then(admit);
    this.admission = admitted.catch(() => undefined);
    return admitted.then((a) => a.appended);
  }

  /** Checks and enqueues one batch (`marker`: the one a control batch of ours holds); resolves once it is in the log's queue with its append's outcome (wrapped, so admission does not wait for the write). */
  private async admit(batch: Buffer, header: BatchHeader, acks: number, marker: TxnMarker | null): Promise<{ appended: Promise<AppendResult> }> {
    const idempotent = isIdempotent(header) || marker !== null;
    if (idempotent) await this.producerAppends.get(header.producerId);
    const refusal = this.leaderRefusal(acks);
    if (refusal) return { appended: Promise.resolve(this.appendFailed(refusal.errorCode, refusal.errorMessage!)) };
    const leaderEpoch = this.state.leaderEpoch;
    const check = marker ? this.producers.checkMarker(marker.producerId, marker.producerEpoch, marker.coordinatorEpoch) : this.producers.check(header);
    if (check.action === 'reject') return { appended: Promise.resolve(this.appendFailed(check.errorCode, check.message)) };
    const logAppendTime = this.settings.logAppendTime();
    if (check.action === 'duplicate') {
      const duplicate: AppendResult = {
        ...none,
        baseOffset: check.baseOffset,
        lastOffset: check.baseOffset + BigInt(header.lastOffsetDelta),
        leaderEpoch,
        logAppendTimeMs: logAppendTime ? check.timestamp : -1n,
        logStartOffset: this.log.logStartOffset,
      };
      return { appended: Promise.resolve(duplicate) };
    }
    let appendTime = -1n;
    if (logAppendTime) {
      appendTime = BigInt(this.cluster.time.wallMs());
      batch.writeInt16BE(header.attributes | attributeBits.timestampTypeLogAppend, headerOffsets.attributes);
      batch.writeBigInt64BE(appendTime, headerOffsets.maxTimestamp);
      updateBatchCrc(batch);
    }
    const appended = this.log.append(batch, leaderEpoch).then(
      (info): AppendResult => {
        this.recordBatch(header, info.baseOffset, logAppendTime ? appendTime : header.maxTimestamp, marker);
        this.advanceHighWatermark();
        this.changed.emit('change');
        return { ...none, baseOffset: info.baseOffset, lastOffset: info.lastOffset, leaderEpoch, logAppendTimeMs: appendTime, logStartOffset: this.log.logStartOffset };
      },
      (err: Error) => this.appendFailed(ErrorCode.KAFKA_STORAGE_ERROR, `append to ${this.name} failed: ${err.message}`),
    );
    if (idempotent) {
      this.producerAppends.set(header.producerId, appended);
      void appended.then(() => {
        if (this.producerAppends.get(header.producerId) === appended) this.producerAppends.delete(header.producerId);
      });
    }
    return { appended };
  }

  private get name(): string {
    return `${this.topic}-${this.index}`;
  }

  /** Why this replica may not take a leader append now, or null. */
  private leaderRefusal(acks: number): ErrorResult | null {
    if (!this.tracker) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: `broker ${this.cluster.nodeId} is not the leader of ${this.name}` };
    const minIsr = this.settings.minInsyncReplicas();
    if (acks === -1 && this.state.isr.length < minIsr) {
      return {
        errorCode: ErrorCode.NOT_ENOUGH_REPLICAS,
        errorMessage: `${this.name} has ${this.state.isr.length} in-sync replicas [${this.state.isr.join(',')}], fewer than min.insync.replicas=${minIsr}`,
      };
    }
    return null;
  }

  private appendFailed(errorCode: number, errorMessage: string): AppendResult {
    return { errorCode, errorMessage, baseOffset: -1n, lastOffset: -1n, leaderEpoch: -1, logAppendTimeMs: -1n, logStartOffset: -1n };
  }

  /**
   * acks=all: resolves once the high watermark passes `appended.lastOffset`
   * (NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR is by then
   * smaller than min.insync.replicas), with NOT_LEADER_OR_FOLLOWER when
   * this replica leaves the term the batch was appended in or this broker
   * may no longer lead (`serving`: its lease lapsed, so it cannot know it
   * still leads; the batch, appended here but not committed, is not
   * acknowledged, and an idempotent producer's retry lands at the new
   * leader), or REQUEST_TIMED_OUT after `timeoutMs`.
   */
  waitForReplication(appended: AppendResult, timeoutMs: number): Promise<ErrorResult> {
    const requiredOffset = appended.lastOffset + 1n;
    const { time } = this.cluster;
    return new Promise((resolve) => {
      const finish = (result: ErrorResult) => {
        time.clear(timer);
        this.changed.off('change', check);
        resolve(result);
      };
      const check = () => {
        const outcome = this.replicationOutcome(requiredOffset, appended.leaderEpoch);
        if (outcome) finish(outcome);
      };
      const timer = time.setTimeout(
        () => finish({ errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: `${this.name}: the in-sync replicas did not reach offset ${requiredOffset} within ${timeoutMs} ms` }),
        timeoutMs, // a client's negative timeout: no wait
      );
      this.changed.on('change', check);
      check();
    });
  }

  private replicationOutcome(requiredOffset: bigint, leaderEpoch: number): ErrorResult | null {
    if (!this.tracker || this.closed || this.state.leaderEpoch !== leaderEpoch) {
      return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: `broker ${this.cluster.nodeId} lost the leadership of ${this.name} (epoch ${leaderEpoch})` };
    }
    if (this.log.highWatermark < requiredOffset) {
      if (this.cluster.serving()) return null;
      return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: `broker ${this.cluster.nodeId} may no longer lead ${this.name}: no controller lease` };
    }
    const minIsr = this.settings.minInsyncReplicas();
    if (this.state.isr.length >= minIsr) return none;
    return {
      errorCode: ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
      errorMessage: `${this.name} was written but its ISR shrank to [${this.state.isr.join(',')}], fewer than min.insync.replicas=${minIsr}`,
    };
  }

  /** A client's or follower's current leader epoch (-1: none given) against ours: NONE, FENCED_LEADER_EPOCH (older) or UNKNOWN_LEADER_EPOCH (newer). */
  checkLeaderEpoch(currentLeaderEpoch: number): number {
    if (currentLeaderEpoch < 0 || currentLeaderEpoch === this.state.leaderEpoch) return ErrorCode.NONE;
    return currentLeaderEpoch < this.state.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
  }

  // ---- leader: followers and the ISR ----------------------------------------

  /** Whether `nodeId` is a follower replica of this partition in the current term. */
  hasFollower(nodeId: number): boolean {
    return this.tracker?.isReplica(nodeId) ?? false;
  }

  /**
   * Checks a follower's fetch position against this log: the largest epoch
   * <= `lastFetchedEpoch` and its end offset when the follower's log
   * diverges from it (it must truncate), else null.
   */
  divergingEpoch(lastFetchedEpoch: number, fetchOffset: bigint): { epoch: number; endOffset: bigint } | null {
    if (lastFetchedEpoch < 0) return null;
    const found = this.log.endOffsetForEpoch(lastFetchedEpoch);
    return found.epoch < lastFetchedEpoch || found.endOffset < fetchOffset ? found : null;
  }

  /** A follower fetched from `fetchOffset` (its log end): may move the high watermark and add it to the ISR. */
  recordFollowerFetch(nodeId: number, fetchOffset: bigint): void {
    const tracker = this.tracker;
    if (!tracker || fetchOffset > this.log.logEndOffset) return;
    tracker.recordFetch(nodeId, fetchOffset, this.log.logEndOffset, this.cluster.time.monotonicMs());
    if (!this.inFlight && tracker.mayJoin(nodeId, this.log.highWatermark) && this.cluster.liveBrokerEpoch(nodeId) !== null) {
      this.proposeIsr([...tracker.isr, nodeId]);
    }
    if (this.advanceHighWatermark()) this.changed.emit('change');
  }

  /** Proposes removing the ISR followers that have lagged for longer than replica.lag.time.max.ms (called periodically). */
  maybeShrinkIsr(): void {
    const tracker = this.tracker;
    if (!tracker || this.inFlight) return;
    const [end, now, lagMaxMs] = [this.log.logEndOffset, this.cluster.time.monotonicMs(), this.cluster.lagTimeMaxMs];
    const out = tracker.outOfSync(end, now, lagMaxMs);
    if (out.length === 0) return;
    const reasons = new Map(out.map((id) => [id, tracker.outOfSyncReason(id, end, now, lagMaxMs)]));
    this.proposeIsr(tracker.isr.filter((id) => !out.includes(id)), reasons);
  }

  private proposeIsr(isr: number[], reasons: ReadonlyMap<number, string> = new Map()): void {
    const tracker = this.tracker!;
    const brokerEpoch = (id: number) => this.cluster.liveBrokerEpoch(id) ?? -1n;
    const request: AlterPartitionRequest = {
      brokerId: this.cluster.nodeId,
      brokerEpoch: brokerEpoch(this.cluster.nodeId),
      topics: [
        {
          topicName: this.topic,
          topicId: Buffer.from(this.state.topicId, 'hex'),
          partitions: [
            {
              partitionIndex: this.index,
              leaderEpoch: this.state.leaderEpoch,
              newIsr: isr,
              newIsrWithEpochs: isr.map((id) => ({ brokerId: id, brokerEpoch: brokerEpoch(id) })),
              leaderRecoveryState: 0,
              partitionEpoch: this.state.partitionEpoch,
            },
          ],
        },
      ],
    };
    this.inFlight = { request, reasons };
    tracker.setPending(isr);
    this.cluster.alterPartition(request).then(
      (response) => this.onAlterPartition(request, tracker, response),
      (err: Error) => this.onAlterPartitionFailed(request, tracker, err.message),
    );
  }

  private onAlterPartition(request: AlterPartitionRequest, tracker: FollowerTracker, response: AlterPartitionResponse): void {
    if (this.inFlight?.request !== request || this.tracker !== tracker) return;
    const answer = response.topics[0]?.partitions[0];
    const errorCode = response.errorCode !== ErrorCode.NONE ? response.errorCode : (answer?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    if (errorCode !== ErrorCode.NONE || !answer) return this.onAlterPartitionFailed(request, tracker, errorName(errorCode));
    const { reasons } = this.inFlight;
    this.inFlight = null;
    tracker.setPending(null);
    if (answer.leaderEpoch === this.state.leaderEpoch && answer.partitionEpoch > this.state.partitionEpoch) {
      this.reportIsrChange(this.state.isr, answer.isr, reasons);
      this.state = { ...this.state, isr: answer.isr, partitionEpoch: answer.partitionEpoch };
      tracker.setCommitted(this.state.replicas, answer.isr, this.cluster.time.monotonicMs());
    }
    this.advanceHighWatermark();
    this.changed.emit('change');
  }

  /** The proposal is dropped; the committed metadata stays the truth and the change is proposed again when still due. */
  private onAlterPartitionFailed(request: AlterPartitionRequest, tracker: FollowerTracker, reason: string): void {
    if (this.inFlight?.request !== request || this.tracker !== tracker) return;
    this.cluster.logger.warn(`${this.name}: ISR change to [${tracker.pendingIsr?.join(',')}] failed: ${reason}`);
    this.inFlight = null;
    tracker.setPending(null);
    this.changed.emit('change');
  }

  // ---- follower --------------------------------------------------------------

  /** Appends whole batches fetched from the leader (offsets and epochs kept) and records their producers. */
  async appendAsFollower(batches: Buffer[]): Promise<void> {
    // Every append settles before this returns, failed or not: the caller may reuse the batches' memory then.
    const settled = await Promise.allSettled(batches.map((batch) => this.log.appendAsFollower(batch)));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const appended = settled.map((s) => (s as PromiseFulfilledResult<AppendInfo>).value);
    batches.forEach((batch, i) => {
      const header = readBatchHeader(batch);
      const marker = isControlBatch(header) ? this.markerOf(batch, appended[i].baseOffset) : null;
      this.recordBatch(header, appended[i].baseOffset, header.maxTimestamp, marker);
    });
    this.changed.emit('change');
  }

  /** A follower's high watermark: the leader's, capped at its own log end; never moves down. */
  updateFollowerHighWatermark(leaderHighWatermark: bigint): void {
    const candidate = leaderHighWatermark < this.log.logEndOffset ? leaderHighWatermark : this.log.logEndOffset;
    if (candidate <= this.log.highWatermark) return;
    assert.equal(this.log.updateHighWatermark(candidate), candidate, "a follower's high watermark lies within its log");
    this.transactions.settledBelow(candidate);
  }

  /** Truncates a follower's diverging tail (whole batches at or above `offset`) and forgets their producers. */
  async truncateTo(offset: bigint): Promise<void> {
    await this.log.truncateTo(offset);
    this.producers.truncateTo(this.log.logEndOffset);
    this.transactions.truncateTo(this.log.logEndOffset);
  }

  /** Empties a follower's log and restarts it at the leader's log start. */
  async truncateFullyAndStartAt(offset: bigint): Promise<void> {
    await this.log.truncateFullyAndStartAt(offset);
    this.producers.truncateTo(offset);
    this.transactions.truncateTo(0n);
  }

  // ---- reads -----------------------------------------------------------------

  /**
   * Whole batches from the one holding `offset`, below the high watermark.
   * An offset between the high watermark and the log end reads nothing (a
   * new leader's high watermark may still be below the old leader's), past
   * the log end it is OFFSET_OUT_OF_RANGE, and so is one whose segment was
   * deleted during the read. A read the storage fails (a segment file that
   * cannot be opened: out of descriptors) is KAFKA_STORAGE_ERROR, which
   * clients retry.
   */
  readForConsumer(offset: bigint, maxBytes: number, minOneBatch: boolean, allocate?: Allocate): Promise<ConsumerRead> {
    return this.readBelow(this.highWatermark, offset, maxBytes, minOneBatch, allocate);
  }

  /** As readForConsumer, in read_committed: below the last stable offset. */
  readCommitted(offset: bigint, maxBytes: number, minOneBatch: boolean, allocate?: Allocate): Promise<ConsumerRead> {
    return this.readBelow(this.lastStableOffset, offset, maxBytes, minOneBatch, allocate);
  }

  /** Whole batches from the one holding `offset` up to the log end (a follower fetching). */
  readForFollower(offset: bigint, maxBytes: number, minOneBatch: boolean, allocate?: Allocate): Promise<ConsumerRead> {
    return this.readBelow(this.log.logEndOffset, offset, maxBytes, minOneBatch, allocate);
  }

  private async readBelow(limit: bigint, offset: bigint, maxBytes: number, minOneBatch: boolean, allocate: Allocate | undefined): Promise<ConsumerRead> {
    const highWatermark = this.highWatermark;
    const logStartOffset = this.log.logStartOffset;
    if (offset < logStartOffset || offset > this.log.logEndOffset) {
      return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark, logStartOffset, records: Buffer.alloc(0) };
    }
    if (offset >= limit) return { errorCode: ErrorCode.NONE, highWatermark, logStartOffset, records: Buffer.alloc(0) };
    try {
      const records = await this.log.read(offset, maxBytes, { minOneBatch, maxOffset: limit, allocate });
      return { errorCode: ErrorCode.NONE, highWatermark, logStartOffset, records };
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      if (err.code !== 'offsetOutOfRange') this.cluster.logger.warn(`${this.name}: read at offset ${offset} failed: ${err.message}`);
      const errorCode = err.code === 'offsetOutOfRange' ? ErrorCode.OFFSET_OUT_OF_RANGE : ErrorCode.KAFKA_STORAGE_ERROR;
      return { errorCode, highWatermark, logStartOffset: this.log.logStartOffset, records: Buffer.alloc(0) };
    }
  }

  /** Resolves when data is appended, the high watermark or the role changes, or `signal` aborts. */
  waitForData(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.changed.off('change', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.changed.on('change', done);
      signal.addEventListener('abort', done);
    });
  }

  /** ListOffsets: what a consumer can read is below the high watermark, or below the last stable offset in read_committed. */
  async offsetFor(timestamp: bigint, readCommitted = false): Promise<{ offset: bigint; timestamp: bigint; leaderEpoch: number }> {
    const epoch = this.state.leaderEpoch;
    const readable = readCommitted ? this.lastStableOffset : this.highWatermark;
    if (timestamp === latestTimestamp) return { offset: readable, timestamp: -1n, leaderEpoch: epoch };
    if (timestamp === earliestTimestamp) return { offset: this.log.logStartOffset, timestamp: -1n, leaderEpoch: epoch };
    const found = timestamp === maxTimestamp ? await this.log.maxTimestampOffset() : await this.log.offsetForTimestamp(timestamp);
    if (!found || found.offset >= readable) return { offset: -1n, timestamp: -1n, leaderEpoch: -1 };
    return { offset: found.offset, timestamp: found.timestamp, leaderEpoch: epoch };
  }

  async deleteRecordsBefore(offset: bigint): Promise<{ lowWatermark: bigint; errorCode: number }> {
    const target = offset === -1n ? this.highWatermark : offset;
    if (target < 0n || target > this.highWatermark) return { lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
    await this.log.deleteRecordsBefore(target);
    return { lowWatermark: this.log.logStartOffset, errorCode: ErrorCode.NONE };
  }
}
