/**
 * The transaction coordinator of this broker (Kafka's KIP-98 protocol):
 * the state of each transactional id, kept durably in the compacted
 * internal topic `__transaction_state` (Kafka's record format:
 * txn-records.ts), and the markers that end its transactions
 * (marker-sender.ts).
 *
 * - Placement: a transactional id belongs to partition
 *   abs(hashCode(id)) % n of `__transaction_state` (Kafka's choice, the
 *   same as a group's); its coordinator is that partition's leader. The
 *   topic is created on the first FindCoordinator through the controller:
 *   `transaction.state.log.num.partitions` partitions, replication factor
 *   min(`transaction.state.log.replication.factor`, live brokers), compact.
 * - Loading, as the group coordinator (coordinator-partitions.ts): a partition is loaded (replayed to
 *   its log end) while this node leads it and may lead, in the leader epoch
 *   it loaded it in, and given up when that changes; `leadershipChanged()`
 *   is called when it may have. Requests for an id whose partition loads
 *   get COORDINATOR_LOAD_IN_PROGRESS, one this node does not serve
 *   NOT_COORDINATOR. A transaction found in PrepareCommit/PrepareAbort is
 *   completed (its markers written again, then Complete*), so the
 *   coordinator resumes in-flight commits and aborts where it moves.
 * - Every change of an id's state is one record appended to its partition
 *   and replicated to the ISR before it counts (and before the client
 *   hears of it); a request that finds a change in flight gets
 *   CONCURRENT_TRANSACTIONS, which clients retry.
 * - InitProducerId: a transaction timeout above `transaction.max.timeout.ms`
 *   (or not positive) is INVALID_TRANSACTION_TIMEOUT. A new id gets a new
 *   producer id at epoch 0; a known one the next epoch (a new producer id
 *   once the epoch is exhausted), fencing its previous instance. An Ongoing
 *   transaction of the id is aborted first under a bumped epoch (the caller
 *   gets CONCURRENT_TRANSACTIONS and retries). v3+ callers naming their
 *   producer id and epoch (KIP-360) must name the current ones, else
 *   PRODUCER_FENCED; one naming the epoch the last InitProducerId bumped
 *   (a retry whose answer was lost) gets the current id and epoch again.
 * - Cap: at `transaction.max.transactional.ids` ids on this coordinator
 *   (kb's; Kafka has none), InitProducerId of a new id gets
 *   COORDINATOR_NOT_AVAILABLE and the log says why (at most once a
 *   minute): ids without a transaction go after
 *   `transactional.id.expiration.ms`.
 * - AddPartitionsToTxn / AddOffsetsToTxn: the producer id and epoch must be
 *   the id's current ones (INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED);
 *   the partitions join the transaction, which becomes Ongoing. While the
 *   id's previous transaction is being completed they wait for that (up to
 *   completionWaitMs) rather than answer CONCURRENT_TRANSACTIONS at once. Partitions
 *   that do not exist are UNKNOWN_TOPIC_OR_PARTITION and the rest of that
 *   request OPERATION_NOT_ATTEMPTED.
 * - EndTxn: PrepareCommit/PrepareAbort is written and answered; the markers
 *   are then written to every partition of the transaction and
 *   CompleteCommit/CompleteAbort recorded. A retried EndTxn of a completed
 *   transaction is answered NONE.
 * - Timeouts: every `transaction.abort.timed.out.transaction.cleanup.interval.ms`
 *   an Ongoing transaction older than its timeout is aborted under a bumped
 *   epoch (its producer is fenced, as Kafka does); every
 *   `transaction.remove.expired.transaction.cleanup.interval.ms`, ids without a transaction (Empty,
 *   Complete*) that have not changed for `transactional.id.expiration.ms` are removed (a
 *   tombstone).
 * - Inspection (KIP-664): `describe` answers the state of ids this node
 *   coordinates (TRANSACTIONAL_ID_NOT_FOUND for unknown ones), `list` every
 *   id of the partitions it serves, filtered by state, producer id and
 *   how long the transaction has been open (COORDINATOR_LOAD_IN_PROGRESS
 *   while a partition the metadata says it leads is not served yet).
 * Error codes are PRODUCER_FENCED whatever the version; handlers map them
 * to what older versions know (INVALID_PRODUCER_EPOCH).
 */
import type { Time, TimerHandle } from '../../clock.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import { readBatchHeader } from '../../protocol/records/batch-header.ts';
import { encodeRecordBatch } from '../../protocol/records/record-batch.ts';
import type { Partition } from '../replica/partition.ts';
import { partitionForGroup } from '../group/offset-store.ts';
import { CoordinatorPartitions, replayLog, type CoordinatorAnswer, type CoordinatorContext } from '../coordinator-partitions.ts';
import { decodeTxnKey, decodeTxnValue, TxnState, txnKey, txnRecord, txnStateNames, type TxnRecord, type TxnStateId } from './txn-records.ts';
import type { MarkerSender } from './marker-sender.ts';
import { RateLimitedLog } from '../server/rate-limited-log.ts';

export const transactionStateTopic = '__transaction_state';
const consumerOffsetsTopic = '__consumer_offsets';

/** How long a state write waits for the ISR of its partition (as the group coordinator's writes: Kafka's offsets.commit.timeout.ms default). */
const writeTimeoutMs = 5000;
/** An epoch at this value is exhausted: the next InitProducerId takes a new producer id (Kafka: Short.MaxValue - 1). */
const producerEpochExhausted = 32766;
const capLogIntervalMs = 60_000;
/** How long AddPartitionsToTxn / AddOffsetsToTxn wait for the id's previous transaction to complete before answering CONCURRENT_TRANSACTIONS. */
const completionWaitMs = 500;
/** Between attempts to record a transaction Complete* after its markers. */
const completeRetryMs = 200;

export interface TxnCoordinatorOptions extends CoordinatorContext {
  /** A producer id unique in the cluster; null while none can be had. */
  nextProducerId: () => Promise<bigint | null>;
  markers: MarkerSender;
  clock: Time;
}

export interface ProducerIdAnswer {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface DescribedTxn {
  errorCode: number;
  transactionalId: string;
  /** Kafka's state name (Empty, Ongoing, PrepareCommit, ...). */
  state: string;
  timeoutMs: number;
  /** -1 when no transaction has started. */
  startMs: number;
  producerId: bigint;
  producerEpoch: number;
  topics: TopicPartitions[];
}

export interface ListedTxn {
  transactionalId: string;
  producerId: bigint;
  state: string;
}

export interface TopicPartitions {
  name: string;
  partitions: number[];
}

export class TransactionCoordinator {
  private readonly options: TxnCoordinatorOptions;
  private readonly clock: Time;
  private readonly partitions: CoordinatorPartitions;
  /** The state of each transactional id of the partitions loaded (or loading). */
  private readonly txns = new Map<string, TxnRecord>();
  /** Ids with a state change (or their markers) in flight. */
  private readonly busy = new Set<string>();
  /** Ids whose transaction is being completed (markers, then Complete*) -> when that ends. */
  private readonly completions = new Map<string, Promise<void>>();
  private abortTimer: TimerHandle | null = null;
  private expiryTimer: TimerHandle | null = null;
  private stopped = false;
  private readonly capRefusals: RateLimitedLog;

  constructor(options: TxnCoordinatorOptions) {
    this.options = options;
    this.clock = options.clock;
    this.partitions = new CoordinatorPartitions({
      ...options,
      topic: transactionStateTopic,
      creation: {
        partitionsConfig: 'transaction.state.log.num.partitions',
        replicationFactorConfig: 'transaction.state.log.replication.factor',
        topicConfigs: [{ name: 'cleanup.policy', value: 'compact' }],
      },
      replay: (index, partition, current) => this.replay(index, partition, current),
      loaded: (index, epoch) => this.resumeCompletions(index, epoch),
      unload: (index) => this.unload(index),
    });
    this.capRefusals = new RateLimitedLog((line) => options.logger.warn(line), capLogIntervalMs, 'more refused', () => this.clock.monotonicMs());
  }

  async start(): Promise<void> {
    await this.partitions.loadLed();
    const { config } = this.options;
    this.abortTimer = this.clock.setInterval(() => this.abortTimedOut(), config.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'), { background: true });
    this.expiryTimer = this.clock.setInterval(() => this.expireIds(), config.int('transaction.remove.expired.transaction.cleanup.interval.ms'), { background: true });
  }

  stop(): void {
    this.stopped = true;
    this.partitions.stop();
    for (const timer of [this.abortTimer, this.expiryTimer]) if (timer !== null) this.clock.clear(timer);
    this.abortTimer = this.expiryTimer = null;
  }

  // ---- placement and loading ----

  /** FindCoordinator for a transactional id: creates __transaction_state on first use. */
  findCoordinator(transactionalId: string): Promise<CoordinatorAnswer> {
    return this.partitions.findCoordinator(transactionalId);
  }

  private partitionOf(transactionalId: string): number | undefined {
    return this.partitions.partitionOf(transactionalId);
  }

  /** NONE when this node serves the id now, else the error to answer with. */
  private readiness(transactionalId: string): number {
    return this.partitions.readiness(transactionalId);
  }

  /** Whether the load of partition `index` in leader epoch `epoch` is still the one this node serves. */
  private current(index: number, epoch: number): boolean {
    return !this.stopped && this.partitions.get(index)?.epoch === epoch && this.partitions.track(index) !== ErrorCode.NOT_COORDINATOR;
  }

  /** This node's leadership of __transaction_state partitions, or whether it may lead, may have changed. */
  leadershipChanged(): void {
    this.partitions.leadershipChanged();
  }

  /** Partition `index` is given up: forgets its ids. */
  private unload(index: number): void {
    const count = this.partitions.count();
    for (const id of this.txns.keys()) {
      if (partitionForGroup(id, count) === index) this.txns.delete(id);
    }
  }

  /** Replays partition `index` up to its log end into `txns`; false when given up meanwhile. */
  private async replay(index: number, partition: Partition, current: () => boolean): Promise<boolean> {
    const end = partition.log.logEndOffset;
    let unreadable = 0;
    const offset = await replayLog(partition, current, (batch) => {
      if (batch.control) return;
      for (const record of batch.records) {
        try {
          const id = decodeTxnKey(record.key!);
          if (record.value === null) this.txns.delete(id);
          else this.txns.set(id, decodeTxnValue(id, record.value));
        } catch {
          unreadable++;
        }
      }
    });
    if (offset === null) return false;
    if (end > 0n) this.options.logger.info(`loaded ${transactionStateTopic}-${index} up to offset ${offset}${unreadable > 0 ? ` (${unreadable} unreadable records skipped)` : ''}`);
    return current();
  }

  /** Completes the transactions of partition `index` that were being committed or aborted when it was last led. */
  private resumeCompletions(index: number, epoch: number): void {
    const count = this.partitions.count();
    for (const txn of this.txns.values()) {
      if (partitionForGroup(txn.transactionalId, count) !== index) continue;
      if (txn.state === TxnState.PrepareCommit || txn.state === TxnState.PrepareAbort) this.complete(txn, index, epoch);
    }
  }

  // ---- requests ----

  async initProducerId(transactionalId: string, timeoutMs: number, producerId: bigint, producerEpoch: number): Promise<ProducerIdAnswer> {
    const refuse = (errorCode: number): ProducerIdAnswer => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    if (transactionalId === '') return refuse(ErrorCode.INVALID_REQUEST);
    if (timeoutMs <= 0 || timeoutMs > this.options.config.int('transaction.max.timeout.ms')) return refuse(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const ready = this.readiness(transactionalId);
    if (ready !== ErrorCode.NONE) return refuse(ready);
    if (this.busy.has(transactionalId)) return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
    const txn = this.txns.get(transactionalId);
    const retried = txn?.state === TxnState.Empty && producerId === txn.producerId && producerEpoch === txn.lastProducerEpoch;
    if (retried) return { errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
    if (txn !== undefined && producerId >= 0n && (producerId !== txn.producerId || producerEpoch !== txn.producerEpoch)) return refuse(ErrorCode.PRODUCER_FENCED);
    if (txn?.state === TxnState.PrepareCommit || txn?.state === TxnState.PrepareAbort) return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
    const cap = this.options.config.int('transaction.max.transactional.ids');
    if (txn === undefined && this.txns.size >= cap) {
      this.capRefusals.note(
        `this coordinator holds ${cap} transactional ids (transaction.max.transactional.ids): new ones get COORDINATOR_NOT_AVAILABLE until unused ones expire (transactional.id.expiration.ms)`,
      );
      return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    if (txn?.state === TxnState.Ongoing) {
      const errorCode = await this.abortFencing(txn, 'its producer was replaced (InitProducerId)');
      return refuse(errorCode === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : errorCode);
    }
    let next: { producerId: bigint; producerEpoch: number };
    if (txn === undefined || txn.producerEpoch >= producerEpochExhausted) {
      this.busy.add(transactionalId);
      const fresh = await this.options.nextProducerId().finally(() => this.busy.delete(transactionalId));
      if (fresh === null) return refuse(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      next = { producerId: fresh, producerEpoch: 0 };
    } else {
      next = { producerId: txn.producerId, producerEpoch: txn.producerEpoch + 1 };
    }
    const now = this.clock.wallMs();
    // Only a producer that named its epoch (KIP-360) may retry with it; a new instance fences every earlier epoch.
    const lastProducerEpoch = producerId >= 0n && next.producerId === txn?.producerId ? txn.producerEpoch : undefined;
    const errorCode = await this.write({ transactionalId, ...next, timeoutMs, state: TxnState.Empty, partitions: new Map(), startMs: -1, updateMs: now, lastProducerEpoch });
    return errorCode === ErrorCode.NONE ? { errorCode, ...next } : refuse(errorCode);
  }

  /** AddPartitionsToTxn: an error code per partition, by topic. */
  async addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, topics: TopicPartitions[]): Promise<Map<string, Map<number, number>>> {
    const everyPartition = (code: (topic: string, partition: number) => number) =>
      new Map(topics.map((t) => [t.name, new Map(t.partitions.map((p) => [p, code(t.name, p)]))]));
    const missing = (topic: string, partition: number) => this.options.image.partition(topic, partition) === undefined;
    if (topics.some((t) => t.partitions.some((p) => missing(t.name, p)))) {
      return everyPartition((topic, partition) => (missing(topic, partition) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
    }
    const errorCode = await this.addToTransaction(transactionalId, producerId, producerEpoch, topics);
    return everyPartition(() => errorCode);
  }

  /**
   * AddOffsetsToTxn: the group's partition of __consumer_offsets joins the
   * transaction; placed by the partitions the topic will have when it does
   * not exist yet (the group's FindCoordinator creates it), as Kafka does.
   */
  async addOffsets(transactionalId: string, producerId: bigint, producerEpoch: number, groupId: string): Promise<number> {
    const count = this.options.image.topicsByName.get(consumerOffsetsTopic)?.partitions.length ?? this.options.config.int('offsets.topic.num.partitions');
    return this.addToTransaction(transactionalId, producerId, producerEpoch, [{ name: consumerOffsetsTopic, partitions: [partitionForGroup(groupId, count)] }]);
  }

  private async addToTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, topics: TopicPartitions[]): Promise<number> {
    await this.completed(transactionalId);
    const checked = this.check(transactionalId, producerId, producerEpoch);
    if (typeof checked === 'number') return checked;
    const txn = checked;
    if (txn.state === TxnState.PrepareCommit || txn.state === TxnState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const ongoing = txn.state === TxnState.Ongoing;
    const partitions = new Map(ongoing ? [...txn.partitions].map(([topic, set]) => [topic, new Set(set)]) : []);
    let added = false;
    for (const { name, partitions: indexes } of topics) {
      const set = partitions.get(name) ?? new Set<number>();
      partitions.set(name, set);
      for (const p of indexes) {
        if (!set.has(p)) added = true;
        set.add(p);
      }
    }
    if (ongoing && !added) return ErrorCode.NONE;
    const now = this.clock.wallMs();
    return this.write({ ...txn, state: TxnState.Ongoing, partitions, startMs: ongoing ? txn.startMs : now, updateMs: now });
  }

  /** EndTxn: answered once Prepare* is durable; the markers and Complete* follow. */
  async endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<number> {
    const checked = this.check(transactionalId, producerId, producerEpoch);
    if (typeof checked === 'number') return checked;
    const txn = checked;
    const [prepare, completed] = commit ? [TxnState.PrepareCommit, TxnState.CompleteCommit] : [TxnState.PrepareAbort, TxnState.CompleteAbort];
    if (txn.state === completed) return ErrorCode.NONE;
    if (txn.state === prepare) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (txn.state !== TxnState.Ongoing) return ErrorCode.INVALID_TXN_STATE;
    return this.prepareAndComplete({ ...txn, state: prepare, updateMs: this.clock.wallMs() });
  }

  /** The id's state when it may be changed by the producer (`producerId`, `producerEpoch`), else the error code. */
  private check(transactionalId: string, producerId: bigint, producerEpoch: number): TxnRecord | number {
    const ready = this.readiness(transactionalId);
    if (ready !== ErrorCode.NONE) return ready;
    const txn = this.txns.get(transactionalId);
    if (txn === undefined || txn.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (txn.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (this.busy.has(transactionalId)) return ErrorCode.CONCURRENT_TRANSACTIONS;
    return txn;
  }

  // ---- inspection ----

  describe(transactionalIds: string[]): DescribedTxn[] {
    return transactionalIds.map((transactionalId) => {
      const ready = this.readiness(transactionalId);
      const txn = ready === ErrorCode.NONE ? this.txns.get(transactionalId) : undefined;
      if (txn === undefined) {
        const errorCode = ready === ErrorCode.NONE ? ErrorCode.TRANSACTIONAL_ID_NOT_FOUND : ready;
        return { errorCode, transactionalId, state: '', timeoutMs: 0, startMs: -1, producerId: -1n, producerEpoch: -1, topics: [] };
      }
      return {
        errorCode: ErrorCode.NONE,
        transactionalId,
        state: txnStateNames[txn.state],
        timeoutMs: txn.timeoutMs,
        startMs: txn.state === TxnState.Ongoing || txn.state === TxnState.PrepareCommit || txn.state === TxnState.PrepareAbort ? txn.startMs : -1,
        producerId: txn.producerId,
        producerEpoch: txn.producerEpoch,
        topics: [...txn.partitions].map(([name, partitions]) => ({ name, partitions: [...partitions].sort((a, b) => a - b) })),
      };
    });
  }

  /** The ids this node coordinates whose state is in `states` (all when empty), producer in `producerIds` (all when empty), open at least `minDurationMs` (none: -1). */
  list(states: string[], producerIds: bigint[], minDurationMs: number): { errorCode: number; unknownStates: string[]; transactions: ListedTxn[] } {
    const unknownStates = states.filter((s) => !txnStateNames.includes(s));
    const loading = (this.options.image.topicsByName.get(transactionStateTopic)?.partitions ?? []).some(
      (p) => p.leader === this.options.nodeId && this.partitions.get(p.partition)?.loaded !== true,
    );
    if (loading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStates, transactions: [] };
    const now = this.clock.wallMs();
    const transactions: ListedTxn[] = [];
    for (const txn of this.txns.values()) {
      const state = txnStateNames[txn.state];
      if (states.length > 0 && !states.includes(state)) continue;
      if (producerIds.length > 0 && !producerIds.includes(txn.producerId)) continue;
      if (minDurationMs >= 0 && (txn.state !== TxnState.Ongoing || now - txn.startMs < minDurationMs)) continue;
      if (this.readiness(txn.transactionalId) !== ErrorCode.NONE) continue;
      transactions.push({ transactionalId: txn.transactionalId, producerId: txn.producerId, state });
    }
    return { errorCode: ErrorCode.NONE, unknownStates, transactions };
  }

  // ---- ending transactions ----

  /** Aborts an Ongoing transaction under the next epoch, fencing its producer: NONE once PrepareAbort is durable. */
  private abortFencing(txn: TxnRecord, why: string): Promise<number> {
    this.options.logger.info(`aborting transaction ${txn.transactionalId} (producer ${txn.producerId}, epoch ${txn.producerEpoch}): ${why}`);
    return this.prepareAndComplete({ ...txn, producerEpoch: txn.producerEpoch + 1, state: TxnState.PrepareAbort, updateMs: this.clock.wallMs() });
  }

  /** Writes `prepared` (PrepareCommit or PrepareAbort); once durable, completes it in the background. */
  private async prepareAndComplete(prepared: TxnRecord): Promise<number> {
    const errorCode = await this.write(prepared);
    if (errorCode !== ErrorCode.NONE) return errorCode;
    const index = this.partitionOf(prepared.transactionalId);
    const epoch = index === undefined ? undefined : this.partitions.get(index)?.epoch;
    if (index !== undefined && epoch !== undefined) this.complete(prepared, index, epoch);
    return ErrorCode.NONE;
  }

  /**
   * Writes the markers of a prepared transaction, then records it Complete*
   * (again after a failed write, `completeRetryMs` apart); stops when
   * partition `index` is no longer served in `epoch`. The id is busy
   * meanwhile (and refused while Prepare* anyway).
   */
  private complete(prepared: TxnRecord, index: number, epoch: number): void {
    const { transactionalId } = prepared;
    this.busy.add(transactionalId);
    const completion: Promise<void> = this.completeNow(prepared, () => this.current(index, epoch), epoch)
      .catch((err: Error) => this.options.logger.error(`completing transaction ${transactionalId} failed: ${err.message}`))
      .finally(() => {
        this.busy.delete(transactionalId);
        if (this.completions.get(transactionalId) === completion) this.completions.delete(transactionalId);
      });
    this.completions.set(transactionalId, completion);
  }

  /**
   * Waits, at most completionWaitMs, for the completion of the id's previous
   * transaction (a millisecond or so): the next transaction's first request
   * comes right after EndTxn's answer, and clients back off for tens of ms
   * on CONCURRENT_TRANSACTIONS.
   */
  private async completed(transactionalId: string): Promise<void> {
    const completion = this.completions.get(transactionalId);
    if (completion === undefined) return;
    let timer: TimerHandle | null = null;
    await Promise.race([completion, new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, completionWaitMs, { background: true })))]);
    if (timer !== null) this.clock.clear(timer);
  }

  private async completeNow(prepared: TxnRecord, current: () => boolean, epoch: number): Promise<void> {
    const { transactionalId, producerId, producerEpoch, partitions } = prepared;
    const commit = prepared.state === TxnState.PrepareCommit;
    if (!(await this.options.markers.write({ transactionalId, producerId, producerEpoch, commit, coordinatorEpoch: epoch, partitions }, current))) return;
    const state: TxnStateId = commit ? TxnState.CompleteCommit : TxnState.CompleteAbort;
    for (let logged = false; current(); logged = true) {
      const errorCode = await this.write({ ...prepared, state, partitions: new Map(), updateMs: this.clock.wallMs() });
      if (errorCode === ErrorCode.NONE) return;
      if (!logged) this.options.logger.warn(`recording transaction ${transactionalId} ${txnStateNames[state]} failed: ${errorName(errorCode)}; retrying`);
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, completeRetryMs, { background: true }));
    }
  }

  /** Aborts the Ongoing transactions older than their timeout (see the header). */
  private abortTimedOut(): void {
    const now = this.clock.wallMs();
    for (const txn of this.txns.values()) {
      if (txn.state !== TxnState.Ongoing || this.busy.has(txn.transactionalId) || now - txn.startMs <= txn.timeoutMs) continue;
      if (this.readiness(txn.transactionalId) !== ErrorCode.NONE) continue;
      void this.abortFencing(txn, `open longer than its timeout of ${txn.timeoutMs} ms`).then((errorCode) => {
        if (errorCode !== ErrorCode.NONE) this.options.logger.warn(`aborting timed-out transaction ${txn.transactionalId} failed: error ${errorCode}; tried again later`);
      });
    }
  }

  /** Removes the ids idle longer than transactional.id.expiration.ms (see the header). */
  private expireIds(): void {
    const now = this.clock.wallMs();
    const expirationMs = this.options.config.int('transactional.id.expiration.ms');
    const idle: TxnStateId[] = [TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort];
    for (const txn of this.txns.values()) {
      if (!idle.includes(txn.state) || this.busy.has(txn.transactionalId) || now - txn.updateMs <= expirationMs) continue;
      if (this.readiness(txn.transactionalId) !== ErrorCode.NONE) continue;
      void this.persist(txn.transactionalId, null).then((errorCode) => {
        if (errorCode === ErrorCode.NONE) this.options.logger.info(`transactional id ${txn.transactionalId} expired (unused for longer than transactional.id.expiration.ms)`);
      });
    }
  }

  // ---- writing ----

  /** Appends `txn` as the id's new state, replicated to the ISR, then applies it; an error code. */
  private write(txn: TxnRecord): Promise<number> {
    return this.persist(txn.transactionalId, txn);
  }

  /** Appends the id's new state (null: a tombstone removing it), replicated to the ISR, then applies it; an error code. */
  private async persist(transactionalId: string, txn: TxnRecord | null): Promise<number> {
    const index = this.partitionOf(transactionalId);
    if (index === undefined) return ErrorCode.NOT_COORDINATOR;
    const partition = this.options.replicas.leaderPartition(transactionStateTopic, index);
    if ('errorCode' in partition) return ErrorCode.NOT_COORDINATOR;
    const epoch = partition.state.leaderEpoch;
    this.busy.add(transactionalId);
    try {
      const record = txn === null ? { key: txnKey(transactionalId), value: null } : txnRecord(txn);
      const batch = encodeRecordBatch({ baseTimestamp: BigInt(this.clock.wallMs()), records: [record] });
      if (batch.length > partition.maxMessageBytes()) return ErrorCode.INVALID_REQUEST;
      const appended = await partition.appendAsLeader(batch, readBatchHeader(batch), -1);
      const result = appended.errorCode === ErrorCode.NONE ? await partition.waitForReplication(appended, writeTimeoutMs) : appended;
      if (result.errorCode !== ErrorCode.NONE) {
        this.options.logger.warn(`append to ${transactionStateTopic}-${index} for transaction ${transactionalId} failed: ${result.errorMessage}`);
        return result.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER ? ErrorCode.NOT_COORDINATOR : ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
      if (this.partitions.get(index)?.epoch !== epoch) return ErrorCode.NOT_COORDINATOR;
      if (txn === null) this.txns.delete(transactionalId);
      else this.txns.set(transactionalId, txn);
      return ErrorCode.NONE;
    } finally {
      this.busy.delete(transactionalId);
    }
  }
}
