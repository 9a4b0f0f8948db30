/**
 * The group coordinator of this broker: classic consumer-group membership
 * (GroupManager) plus committed offsets, kept durably in the compacted
 * internal topic `__consumer_offsets` (Kafka's record format:
 * offset-records.ts; the in-memory view: offset-store.ts).
 *
 * - Placement: a group belongs to partition `partitionForGroup(groupId, n)`
 *   of `__consumer_offsets`; its coordinator is that partition's leader
 *   (so it moves with that leadership). A partition is served from what was
 *   loaded while this node leads it in the epoch it loaded it in; when the
 *   leadership moves (or comes back in a later epoch), its groups are
 *   given up (NOT_COORDINATOR) and loaded again on next use.
 * - The topic is created on demand (first FindCoordinator) through the
 *   controller: `offsets.topic.num.partitions` partitions, replication
 *   factor min(`offsets.topic.replication.factor`, live brokers),
 *   `cleanup.policy=compact`.
 * - Loading, as Kafka (coordinator-partitions.ts, shared with the
 *   transaction coordinator): a partition is loaded as soon as this node leads it
 *   and may lead (ReplicaManager.leaderPartition: its log open, the broker
 *   serving), and given up as soon as it does not, or leads it in another
 *   epoch: the broker calls `leadershipChanged()` whenever that may have
 *   changed, and `start()` waits for the loads of what it leads once
 *   serving. A request for a led partition not loaded yet (a lease regained
 *   without a metadata change) starts its load too. A partition is replayed
 *   up to its log end (not its high watermark). Groups found there come
 *   back Empty, keeping their offsets. Facts found only in kb's earlier
 *   msgpack records are rewritten in Kafka's format before the partition
 *   counts as loaded (upgradeLegacy). Requests for a group whose partition
 *   is loading get COORDINATOR_LOAD_IN_PROGRESS (FindCoordinator:
 *   COORDINATOR_NOT_AVAILABLE), and so does ListGroups while any partition
 *   the metadata says this node leads is not served yet; a group this node
 *   does not lead, or may not lead now (still starting, or without its
 *   controller lease), gets NOT_COORDINATOR.
 * - Writes: an OffsetCommit is one record batch appended to the group's
 *   partition and applied to memory once appended; group state is written
 *   after each rebalance, when a group empties, and as tombstones (with its
 *   offsets) when it is deleted. DeleteGroups answers once that is durable.
 * - Group ids and offset metadata that a record cannot hold (over 32767
 *   bytes) get INVALID_GROUP_ID / OFFSET_METADATA_TOO_LARGE; a group state
 *   that cannot be encoded is not written (logged).
 * - Commits: validated against the group (generation and member, as Kafka);
 *   per partition UNKNOWN_TOPIC_OR_PARTITION for partitions that do not
 *   exist, OFFSET_METADATA_TOO_LARGE above `offset.metadata.max.bytes`, and
 *   INVALID_COMMIT_OFFSET_SIZE when the batch exceeds the topic's
 *   max.message.bytes.
 * - Transactional offsets (TxnOffsetCommit): appended as a transactional
 *   batch of the producer and kept pending (txn-offsets.ts) until its
 *   transaction's marker on the group's partition: a commit applies them,
 *   an abort drops them. The partition's leader writes the marker
 *   (WriteTxnMarkers) and calls `completeTxn`; loading replays markers as
 *   they come in the log. A commit is validated against the group only
 *   when it names a member or generation (as Kafka: v0-2 name none).
 *   OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT for a
 *   partition with pending offsets. A producer fenced there (an older epoch
 *   than the partition's last marker) gets PRODUCER_FENCED.
 * - Expiry: every `offsets.retention.check.interval.ms`, offsets of Empty
 *   groups older than `offsets.retention.minutes` (counted from when the
 *   group emptied, or from the commit for member-less groups) are
 *   tombstoned, and so are any group's offsets of partitions that no
 *   longer exist (deleted topics); an Empty group left without offsets is
 *   deleted.
 * - Cap: at `group.max.groups` groups, a new group first evicts every
 *   Empty group whose offsets have all expired (as the next expiry pass
 *   would); with none, it gets COORDINATOR_NOT_AVAILABLE and the log says
 *   until when (once per such period, not per refusal).
 */
import { isoTime, type Time, type TimerHandle } from '../../clock.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { readBatchHeader } from '../../protocol/records/batch-header.ts';
import { encodeRecordBatch, type RecordInput } from '../../protocol/records/record-batch.ts';
import { decodeConsumerSubscription } from '../../protocol/consumer-protocol.ts';
import type { Partition } from '../replica/partition.ts';
import { CoordinatorPartitions, replayLog, type CoordinatorAnswer, type CoordinatorContext } from '../coordinator-partitions.ts';
import { GroupManager, type DeletedGroup } from './group-manager.ts';
import {
  joinError,
  syncError,
  type DescribedGroup,
  type DescribedMember,
  type GroupSnapshot,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type JoinRequest,
  type JoinResponse,
  type LeaveRequest,
  type LeaveResponse,
  type ListedGroup,
  type SyncRequest,
  type SyncResponse,
} from './group.ts';
import { OffsetStore, partitionForGroup, type TopicPartitionRef } from './offset-store.ts';
import { decodeRecordKey, fitsRecordString, groupRecord, offsetRecord, type CommittedOffset } from './offset-records.ts';
import { markerOf, PendingTxnOffsets } from './txn-offsets.ts';

export const consumerOffsetsTopic = '__consumer_offsets';

/** Kafka's offsets.topic.segment.bytes. */
const offsetsSegmentBytes = 100 * 1024 * 1024;
/** Facts of kb's earlier msgpack format rewritten per batch on load (a few hundred bytes each, far below max.message.bytes). */
const legacyFactsPerBatch = 500;
/** How long a group write waits for the ISR of its __consumer_offsets partition (Kafka's offsets.commit.timeout.ms default). */
const commitTimeoutMs = 5000;
const consumerProtocolType = 'consumer';

export interface CoordinatorOptions extends CoordinatorContext {
  clock: Time;
}

export interface OffsetCommitEntry extends TopicPartitionRef {
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  /** OffsetCommit v1 may say when; -1: now. */
  commitTimestampMs: number;
}

export interface OffsetCommit {
  groupId: string;
  memberId: string;
  /** -1 for a commit from outside the group's membership (simple consumer, admin tools). */
  generationId: number;
  groupInstanceId: string | null;
  /** OffsetCommit v2-4 retention_time_ms; null (or -1 on the wire): the broker's retention. */
  retentionMs: number | null;
  offsets: OffsetCommitEntry[];
}

/** TxnOffsetCommit: offsets committed in the producer's transaction. */
export interface TxnOffsetCommit extends Omit<OffsetCommit, 'retentionMs'> {
  producerId: bigint;
  producerEpoch: number;
}

export interface FetchedOffset extends TopicPartitionRef {
  /** Undefined when nothing is committed. */
  committed: CommittedOffset | undefined;
  errorCode: number;
}

export interface GroupOffset extends TopicPartitionRef {
  groupId: string;
  offset: bigint;
}

/** A transaction that ended (its marker written) while its partition loaded: completed once loaded. */
interface LateMarker {
  producerId: bigint;
  commit: boolean;
}

export class GroupCoordinator {
  private readonly options: CoordinatorOptions;
  private readonly clock: Time;
  private readonly manager: GroupManager;
  private readonly store = new OffsetStore();
  private readonly txnOffsets = new PendingTxnOffsets();
  private readonly partitions: CoordinatorPartitions;
  /** By partition index, of partitions loading: the transactions that ended meanwhile. */
  private readonly lateMarkers = new Map<number, LateMarker[]>();
  /** Groups that became Empty after having members -> when. */
  private readonly emptySince = new Map<string, number>();
  /** The latest unfinished write of each group's records (resolves to its error code). */
  private readonly pendingWrites = new Map<string, Promise<number>>();
  /** Wall-clock ms (Time.nowMs) before which no Empty group's offsets have all expired (as last seen at the group cap): no need to look again until then. */
  private noEvictionBefore = -Infinity;
  private expiryTimer: TimerHandle | null = null;

  constructor(options: CoordinatorOptions) {
    this.options = options;
    this.clock = options.clock;
    const { config } = options;
    this.partitions = new CoordinatorPartitions({
      ...options,
      topic: consumerOffsetsTopic,
      creation: {
        partitionsConfig: 'offsets.topic.num.partitions',
        replicationFactorConfig: 'offsets.topic.replication.factor',
        topicConfigs: [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'segment.bytes', value: String(offsetsSegmentBytes) },
        ],
      },
      replay: (index, partition, current) => this.replayPartition(index, partition, current),
      loaded: (index) => this.loaded(index),
      unload: (index) => this.unload(index),
    });
    this.manager = new GroupManager({
      clock: this.clock,
      config: {
        minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
        maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
        initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
        maxSize: config.int('group.max.size'),
        maxGroups: config.int('group.max.groups'),
      },
      onGroupChange: (snapshot) => this.onGroupChange(snapshot),
      makeRoom: () => this.evictExpiredGroups(),
    });
  }

  /** Loads the partitions of __consumer_offsets this node leads (the broker is serving) and starts offset expiry. */
  async start(): Promise<void> {
    await this.partitions.loadLed();
    this.scheduleExpiry();
  }

  /** Gives every group up (members waiting get NOT_COORDINATOR) and waits for writes in flight. */
  async stop(): Promise<void> {
    this.partitions.stop();
    if (this.expiryTimer !== null) this.clock.clear(this.expiryTimer);
    this.expiryTimer = null;
    this.manager.close();
    await Promise.all(this.pendingWrites.values());
  }

  // ---- placement and loading ----

  /** FindCoordinator for a group: creates __consumer_offsets on first use. */
  findCoordinator(groupId: string): Promise<CoordinatorAnswer> {
    return this.partitions.findCoordinator(groupId);
  }

  /** NONE when this node serves the group now, else the error to answer with. */
  private readiness(groupId: string): number {
    return this.partitions.readiness(groupId);
  }

  /**
   * This node's leadership of __consumer_offsets partitions, or whether it
   * may lead (serving), may have changed: loads what it leads now and gives
   * up what it no longer leads (see the header).
   */
  leadershipChanged(): void {
    this.partitions.leadershipChanged();
  }

  /** Every committed offset of the groups this node coordinates now (for lag metrics; no side effects). */
  committedOffsets(): GroupOffset[] {
    const count = this.partitions.count();
    const out: GroupOffset[] = [];
    if (count === 0) return out;
    for (const groupId of this.store.groupIds()) {
      if (!this.partitions.serves(partitionForGroup(groupId, count))) continue;
      for (const [topic, partitions] of this.store.offsetsOf(groupId)) {
        for (const [partition, committed] of partitions) out.push({ groupId, topic, partition, offset: committed.offset });
      }
    }
    return out;
  }

  /** Gives up the groups of a partition this node no longer leads (or led in an older epoch), loaded or loading: their members get NOT_COORDINATOR and find the new coordinator. */
  private unload(index: number): void {
    this.lateMarkers.delete(index);
    this.txnOffsets.forget(index);
    const count = this.partitions.count();
    const groupIds = [...new Set([...this.store.groupIds(), ...this.manager.groupIds()])].filter((id) => partitionForGroup(id, count) === index);
    this.manager.unload(groupIds);
    this.store.forget(groupIds);
    for (const groupId of groupIds) this.emptySince.delete(groupId);
  }

  /** Partition `index` is loaded: completes the transactions that ended meanwhile. */
  private loaded(index: number): void {
    for (const { producerId, commit } of this.lateMarkers.get(index) ?? []) this.applyTxn(index, producerId, commit);
    this.lateMarkers.delete(index);
  }

  /** Replays partition `index` into memory while `current()`; true once loaded, false when given up (rejects when it cannot be read). */
  private async replayPartition(index: number, partition: Partition, current: () => boolean): Promise<boolean> {
    const started = this.clock.monotonicMs();
    const ignoredBefore = this.store.ignoredRecords;
    const loadedEnd = await this.replay(index, partition, current);
    if (loadedEnd === null || !current()) return false;
    const count = this.options.image.topicsByName.get(consumerOffsetsTopic)!.partitions.length;
    const inPartition = (groupId: string) => partitionForGroup(groupId, count) === index;
    for (const groupId of this.store.groupIds()) {
      if (inPartition(groupId)) this.restore(groupId);
    }
    const upgraded = this.upgradeLegacy(this.store.legacyUpgrade(inPartition));
    const ignored = this.store.ignoredRecords - ignoredBefore;
    if (partition.log.logEndOffset > 0n) {
      this.options.logger.info(
        `loaded ${consumerOffsetsTopic}-${index} up to offset ${loadedEnd} in ${Math.round(this.clock.monotonicMs() - started)} ms` +
          (ignored > 0 ? ` (${ignored} unreadable records skipped)` : '') +
          (upgraded > 0 ? ` (rewriting ${upgraded} records of kb's earlier msgpack format in Kafka's)` : ''),
      );
    }
    return true;
  }

  /**
   * Rewrites the facts that loading found only in kb's earlier msgpack
   * format in Kafka's, and tombstones their legacy keys (see
   * offset-store.ts), in batches of whole facts. Appended before the
   * partition counts as loaded, so they precede any new write of the group.
   * A failed append leaves the legacy records for the next load. Returns how
   * many facts it rewrites.
   */
  private upgradeLegacy(byGroup: Map<string, RecordInput[][]>): number {
    let facts = 0;
    for (const [groupId, records] of byGroup) {
      facts += records.length;
      for (let i = 0; i < records.length; i += legacyFactsPerBatch) {
        void this.append(groupId, records.slice(i, i + legacyFactsPerBatch).flat()).then((errorCode) => {
          if (errorCode !== ErrorCode.NONE) this.options.logger.warn(`rewriting the msgpack records of group ${groupId} failed: error ${errorCode}; retried on the next load`);
        });
      }
    }
    return facts;
  }

  /**
   * Feeds every record of the partition, oldest first, to the offset store
   * (transactional ones once their commit marker comes):
   * up to the log end, as Kafka does, not the high watermark. A leader's log
   * end is its term's log (the leader never truncates it), and its high
   * watermark can be far behind: a restarted leader's comes from a
   * checkpoint, a new leader's from its last fetch as a follower, while
   * acknowledged commits were replicated to it already. Returns where it
   * stopped; null when it stopped because the load is no longer `current`
   * (the partition was given up meanwhile).
   */
  private replay(index: number, partition: Partition, current: () => boolean): Promise<bigint | null> {
    return replayLog(partition, current, (batch) => {
      if (batch.control) {
        for (const record of batch.records) {
          const commit = markerOf(record);
          if (commit !== null) this.applyTxn(index, batch.producerId, commit);
        }
      } else if (batch.transactional) {
        this.txnOffsets.add(index, batch.producerId, batch.records, offsetsNamed(batch.records));
      } else {
        for (const record of batch.records) this.store.apply(record.key, record.value);
      }
    });
  }

  /** A group found on load comes back Empty (its members rejoin), with its offsets. */
  private restore(groupId: string): void {
    this.manager.isValidCommit(groupId, '', -1, null);
    const stored = this.store.storedGroup(groupId);
    if (stored === undefined) return;
    if (stored.state !== 'Empty') this.emptySince.set(groupId, this.clock.wallMs());
    else if (stored.stateChangedAtMs !== null) this.emptySince.set(groupId, stored.stateChangedAtMs);
  }

  // ---- membership ----

  join(request: JoinRequest): Promise<JoinResponse> {
    const error = fitsRecordString(request.groupId) ? this.readiness(request.groupId) : ErrorCode.INVALID_GROUP_ID;
    return error === ErrorCode.NONE ? this.manager.join(request) : Promise.resolve(joinError(request.memberId, error));
  }

  sync(request: SyncRequest): Promise<SyncResponse> {
    const error = this.readiness(request.groupId);
    return error === ErrorCode.NONE ? this.manager.sync(request) : Promise.resolve(syncError(error));
  }

  heartbeat(request: HeartbeatRequest): Promise<HeartbeatResponse> {
    const error = this.readiness(request.groupId);
    return error === ErrorCode.NONE ? this.manager.heartbeat(request) : Promise.resolve({ errorCode: error });
  }

  leave(request: LeaveRequest): Promise<LeaveResponse> {
    const error = this.readiness(request.groupId);
    return error === ErrorCode.NONE ? this.manager.leave(request) : Promise.resolve({ errorCode: error, members: [] });
  }

  async describe(groupIds: string[]): Promise<DescribedGroup[]> {
    return Promise.all(
      groupIds.map(async (groupId) => {
        const error = this.readiness(groupId);
        if (error === ErrorCode.NONE) return (await this.manager.describe([groupId]))[0];
        return { errorCode: error, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] } satisfies DescribedGroup;
      }),
    );
  }

  /** ListGroups: every group of the loaded partitions; COORDINATOR_LOAD_IN_PROGRESS while a partition the metadata says this node leads is not served yet. */
  async list(statesFilter: string[]): Promise<{ errorCode: number; groups: ListedGroup[] }> {
    if (this.partitions.loading()) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    return { errorCode: ErrorCode.NONE, groups: await this.manager.list(statesFilter) };
  }

  /** DeleteGroups: only Empty groups; answered once the group's tombstones are written. */
  async deleteGroups(groupIds: string[]): Promise<DeletedGroup[]> {
    return Promise.all(
      groupIds.map(async (groupId) => {
        const error = this.readiness(groupId);
        if (error !== ErrorCode.NONE) return { groupId, errorCode: error };
        const [result] = await this.manager.delete([groupId]);
        if (result.errorCode !== ErrorCode.NONE) return result;
        return { groupId, errorCode: (await this.pendingWrites.get(groupId)) ?? ErrorCode.NONE };
      }),
    );
  }

  private onGroupChange(snapshot: GroupSnapshot): void {
    const { groupId } = snapshot;
    if (snapshot.state === 'Empty') this.emptySince.set(groupId, snapshot.stateChangedAtMs);
    else this.emptySince.delete(groupId);
    let records: RecordInput[];
    try {
      records = [groupRecord(snapshot)];
    } catch (err) {
      // A member's id, instance id or protocol longer than a record's string can hold (32767 bytes).
      this.options.logger.warn(`cannot write the state of group ${groupId}: ${(err as Error).message}`);
      return;
    }
    if (snapshot.state === 'Dead') {
      for (const { topic, partition } of this.store.partitionsOf(groupId)) records.push(offsetRecord(groupId, topic, partition, null));
    }
    void this.append(groupId, records).then((errorCode) => {
      if (errorCode !== ErrorCode.NONE) this.options.logger.warn(`writing the state of group ${groupId} failed: error ${errorCode}`);
    });
  }

  /**
   * At the group cap (group.max.groups): evicts every Empty group whose
   * offsets have all expired (offsets.retention.minutes), as the next
   * expiry pass would, writing their tombstones in the background; true
   * when it evicted any. Otherwise logs when the first could go and why new
   * groups are refused, and does not look again before then.
   */
  private evictExpiredGroups(): boolean {
    const now = this.clock.wallMs();
    if (now < this.noEvictionBefore) return false;
    const retentionMs = this.options.config.int('offsets.retention.minutes') * 60_000;
    const expired: string[] = [];
    let nextExpiry = Infinity;
    for (const groupId of this.manager.emptyGroupIds()) {
      const expiresAt = this.store.allExpireAt(groupId, retentionMs, this.emptySince.get(groupId));
      if (expiresAt <= now) expired.push(groupId);
      else nextExpiry = Math.min(nextExpiry, expiresAt);
    }
    const cap = this.options.config.int('group.max.groups');
    if (expired.length === 0) {
      this.noEvictionBefore = nextExpiry;
      const until = Number.isFinite(nextExpiry) ? `before ${isoTime(nextExpiry)}, when the offsets of an Empty group expire (offsets.retention.minutes)` : 'while every group has members';
      this.options.logger.warn(`this coordinator holds ${cap} groups (group.max.groups): new groups get COORDINATOR_NOT_AVAILABLE; none can be evicted ${until}`);
      return false;
    }
    void this.manager.delete(expired);
    this.options.logger.info(`this coordinator holds ${cap} groups (group.max.groups): evicted ${expired.length} Empty group(s) whose offsets expired (offsets.retention.minutes)`);
    return true;
  }

  // ---- offsets ----

  /** OffsetCommit: an error code per entry, in order. */
  async commitOffsets(commit: OffsetCommit): Promise<number[]> {
    const { groupId } = commit;
    const everyEntry = (errorCode: number) => commit.offsets.map(() => errorCode);
    if (groupId === '' || !fitsRecordString(groupId)) return everyEntry(ErrorCode.INVALID_GROUP_ID);
    const unavailable = this.readiness(groupId);
    if (unavailable !== ErrorCode.NONE) return everyEntry(unavailable);
    const invalid = this.manager.isValidCommit(groupId, commit.memberId, commit.generationId, commit.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return everyEntry(invalid);

    const { errors, records } = this.offsetRecords(groupId, commit.offsets, commit.retentionMs);
    if (records.length === 0) return errors;
    const appended = await this.append(groupId, records);
    return errors.map((e) => (e === ErrorCode.NONE ? appended : e));
  }

  /**
   * TxnOffsetCommit: an error code per entry, in order. The offsets count
   * once the producer's transaction commits (see the header).
   */
  async commitTxnOffsets(commit: TxnOffsetCommit): Promise<number[]> {
    const { groupId } = commit;
    const everyEntry = (errorCode: number) => commit.offsets.map(() => errorCode);
    if (groupId === '' || !fitsRecordString(groupId)) return everyEntry(ErrorCode.INVALID_GROUP_ID);
    const unavailable = this.readiness(groupId);
    if (unavailable !== ErrorCode.NONE) return everyEntry(unavailable);
    const namesMember = commit.memberId !== '' || commit.generationId >= 0 || commit.groupInstanceId !== null;
    if (namesMember || !this.manager.has(groupId)) {
      const invalid = this.manager.isValidCommit(groupId, commit.memberId, commit.generationId, commit.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return everyEntry(invalid);
    }
    const { errors, records } = this.offsetRecords(groupId, commit.offsets, null);
    if (records.length === 0) return errors;
    const appended = await this.append(groupId, records, { producerId: commit.producerId, producerEpoch: commit.producerEpoch });
    return errors.map((e) => (e === ErrorCode.NONE ? appended : e));
  }

  /**
   * The leader of partition `index` of __consumer_offsets wrote the marker
   * of `producerId`'s transaction there: its pending offsets are applied
   * (commit) or dropped (abort). While the partition loads, completed once
   * loaded; when not served here, nothing (a load replays the marker).
   */
  completeTxn(index: number, producerId: bigint, commit: boolean): void {
    const load = this.partitions.get(index);
    if (load === undefined) return;
    if (load.loaded) this.applyTxn(index, producerId, commit);
    else {
      const late = this.lateMarkers.get(index) ?? [];
      late.push({ producerId, commit });
      this.lateMarkers.set(index, late);
    }
  }

  private applyTxn(index: number, producerId: bigint, commit: boolean): void {
    for (const record of this.txnOffsets.complete(index, producerId, commit)) this.store.apply(record.key, record.value);
  }

  /** The records of `offsets` that can be written, and an error code per entry (NONE for those). */
  private offsetRecords(groupId: string, offsets: OffsetCommitEntry[], retentionMs: number | null): { errors: number[]; records: RecordInput[] } {
    const now = this.clock.wallMs();
    const metadataMaxBytes = this.options.config.int('offset.metadata.max.bytes');
    const errors = offsets.map((entry) => {
      if (this.options.image.partition(entry.topic, entry.partition) === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (entry.metadata !== null && (Buffer.byteLength(entry.metadata) > metadataMaxBytes || !fitsRecordString(entry.metadata))) {
        return ErrorCode.OFFSET_METADATA_TOO_LARGE;
      }
      return ErrorCode.NONE;
    });
    const records: RecordInput[] = [];
    offsets.forEach((entry, i) => {
      if (errors[i] !== ErrorCode.NONE) return;
      records.push(
        offsetRecord(groupId, entry.topic, entry.partition, {
          offset: entry.offset,
          leaderEpoch: entry.leaderEpoch,
          metadata: entry.metadata ?? '',
          commitTimestampMs: entry.commitTimestampMs >= 0 ? entry.commitTimestampMs : now,
          expireTimestampMs: retentionMs === null || retentionMs < 0 ? null : now + retentionMs,
        }),
      );
    });
    return { errors, records };
  }

  /** OffsetFetch: the committed offsets of `wanted` (every committed one when null); `requireStable`: UNSTABLE_OFFSET_COMMIT where a transaction holds one. */
  async fetchOffsets(groupId: string, wanted: TopicPartitionRef[] | null, requireStable = false): Promise<{ errorCode: number; offsets: FetchedOffset[] }> {
    const errorCode = this.readiness(groupId);
    if (errorCode !== ErrorCode.NONE) return { errorCode, offsets: [] };
    const refs = wanted ?? this.store.partitionsOf(groupId);
    const index = this.partitions.partitionOf(groupId)!;
    return {
      errorCode,
      offsets: refs.map(({ topic, partition }) =>
        requireStable && this.txnOffsets.isPending(index, groupId, topic, partition)
          ? { topic, partition, committed: undefined, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }
          : { topic, partition, committed: this.store.get(groupId, topic, partition), errorCode },
      ),
    };
  }

  /**
   * OffsetDelete: removes offsets of an Empty group, or of topics a Stable
   * consumer group is not subscribed to (GROUP_SUBSCRIBED_TO_TOPIC for the
   * others; a rebalancing consumer group counts as subscribed to all). A
   * non-empty group of another protocol type gets NON_EMPTY_GROUP.
   */
  async deleteOffsets(groupId: string, refs: TopicPartitionRef[]): Promise<{ errorCode: number; errors: number[] }> {
    const unavailable = this.readiness(groupId);
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, errors: [] };
    const [group] = await this.manager.describe([groupId]);
    if (group.groupState === 'Dead') return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errors: [] };
    const empty = group.groupState === 'Empty';
    if (!empty && group.protocolType !== consumerProtocolType) return { errorCode: ErrorCode.NON_EMPTY_GROUP, errors: [] };
    const subscribed = empty ? new Set<string>() : subscribedTopics(group);
    const errors = refs.map(({ topic, partition }) => {
      if (this.options.image.partition(topic, partition) === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return subscribed === null || subscribed.has(topic) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE;
    });
    const tombstones = refs
      .filter((ref, i) => errors[i] === ErrorCode.NONE && this.store.get(groupId, ref.topic, ref.partition) !== undefined)
      .map((ref) => offsetRecord(groupId, ref.topic, ref.partition, null));
    const appended = tombstones.length === 0 ? ErrorCode.NONE : await this.append(groupId, tombstones);
    return { errorCode: ErrorCode.NONE, errors: errors.map((e) => (e === ErrorCode.NONE ? appended : e)) };
  }

  // ---- writing ----

  /**
   * Appends `records` to the group's partition as one batch and applies
   * them once appended; an error code. With `txn`: a transactional batch of
   * that producer, whose records stay pending until its marker.
   */
  private append(groupId: string, records: RecordInput[], txn?: { producerId: bigint; producerEpoch: number }): Promise<number> {
    const write = this.appendNow(groupId, records, txn);
    this.pendingWrites.set(groupId, write);
    void write.then(() => {
      if (this.pendingWrites.get(groupId) === write) this.pendingWrites.delete(groupId);
    });
    return write;
  }

  private async appendNow(groupId: string, records: RecordInput[], txn?: { producerId: bigint; producerEpoch: number }): Promise<number> {
    const index = this.partitions.partitionOf(groupId);
    if (index === undefined) return ErrorCode.NOT_COORDINATOR;
    const partition = this.options.replicas.leaderPartition(consumerOffsetsTopic, index);
    if ('errorCode' in partition) return ErrorCode.NOT_COORDINATOR;
    const batch = encodeRecordBatch({ baseTimestamp: BigInt(this.clock.wallMs()), records, ...(txn && { ...txn, baseSequence: -1, transactional: true }) });
    if (batch.length > partition.maxMessageBytes()) return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    const appended = await partition.appendAsLeader(batch, readBatchHeader(batch), -1);
    const result = appended.errorCode === ErrorCode.NONE ? await partition.waitForReplication(appended, commitTimeoutMs) : appended;
    if (result.errorCode !== ErrorCode.NONE) {
      this.options.logger.warn(`append to ${consumerOffsetsTopic}-${index} for group ${groupId} failed: ${result.errorMessage}`);
      if (result.errorCode === ErrorCode.INVALID_PRODUCER_EPOCH) return ErrorCode.PRODUCER_FENCED;
      return result.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER ? ErrorCode.NOT_COORDINATOR : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    if (txn) this.txnOffsets.add(index, txn.producerId, records.map((r) => ({ key: r.key ?? null, value: r.value ?? null })), offsetsNamed(records));
    else for (const record of records) this.store.apply(record.key ?? null, record.value);
    return ErrorCode.NONE;
  }

  // ---- expiry ----

  private scheduleExpiry(): void {
    this.expiryTimer = this.clock.setTimeout(() => {
      void this.expireOffsets()
        .catch((err: Error) => this.options.logger.error(`offset expiry failed: ${err.message}`))
        .finally(() => {
          if (this.expiryTimer !== null) this.scheduleExpiry();
        });
    }, this.options.config.int('offsets.retention.check.interval.ms'), { background: true });
  }

  /** One expiry pass (see the header). */
  async expireOffsets(): Promise<void> {
    const retentionMs = this.options.config.int('offsets.retention.minutes') * 60_000;
    const { image } = this.options;
    const empty = new Set((await this.manager.list(['Empty'])).map((g) => g.groupId));
    for (const groupId of new Set([...empty, ...this.store.groupIds()])) {
      if (this.readiness(groupId) !== ErrorCode.NONE) continue;
      const vanished = this.store.partitionsOf(groupId).filter((ref) => image.partition(ref.topic, ref.partition) === undefined);
      const expired = empty.has(groupId)
        ? this.store.expiredOffsets(groupId, this.clock.wallMs(), retentionMs, this.emptySince.get(groupId))
        : [];
      const removed = [...vanished, ...expired.filter((ref) => image.partition(ref.topic, ref.partition) !== undefined)];
      if (removed.length > 0) {
        const errorCode = await this.append(groupId, removed.map((ref) => offsetRecord(groupId, ref.topic, ref.partition, null)));
        if (errorCode !== ErrorCode.NONE) continue;
        this.options.logger.info(`removed ${removed.length} committed offset(s) of group ${groupId} (${expired.length} expired)`);
      }
      if (empty.has(groupId) && !this.store.hasOffsets(groupId)) await this.manager.delete([groupId]);
    }
  }
}

/** The group offsets that offset records name (records of other keys, or unreadable ones, name none). */
function offsetsNamed(records: readonly RecordInput[]): { groupId: string; topic: string; partition: number }[] {
  return records.flatMap((record) => {
    try {
      const key = record.key ? decodeRecordKey(record.key) : null;
      return key?.kind === 'offset' ? [{ groupId: key.groupId, topic: key.topic, partition: key.partition }] : [];
    } catch {
      return [];
    }
  });
}

/** Topics the members of a Stable consumer group subscribe to; null when a member's subscription is unreadable. */
function subscribedTopics(group: DescribedGroup): Set<string> | null {
  const topics = new Set<string>();
  for (const member of group.members) {
    const subscription = decodeSubscription(member);
    if (subscription === null) return null;
    for (const topic of subscription) topics.add(topic);
  }
  return topics;
}

function decodeSubscription(member: DescribedMember): string[] | null {
  try {
    return decodeConsumerSubscription(member.memberMetadata).topics;
  } catch {
    return null;
  }
}
