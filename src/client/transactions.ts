/**
 * Transaction inspection on a Cluster, shaped for the CLI (KIP-664): list
 * the transactional ids every broker coordinates (ListTransactions), and
 * describe one at its coordinator (DescribeTransactions, through
 * coordinator-requests.ts). Kafka errors throw ClientError; an id the
 * coordinator does not know is null.
 *
 * `abortOpen` aborts the open transaction of an id as a new producer of
 * the id would: InitProducerId makes the coordinator abort it under the
 * next epoch (CONCURRENT_TRANSACTIONS: the abort is under way), which
 * fences the producer that opened it.
 *
 * `findHanging` asks the leaders of the topics' partitions which producers
 * have a transaction open there (DescribeProducers), and keeps those whose
 * last batch is older than `maxAgeMs`: past the longest transaction
 * timeout, their coordinator should have ended them (KIP-664's hanging
 * transactions). Producers without a sequenced batch (the group
 * coordinator's offsets) have no timestamp to judge by and are left out.
 * `abortAt` ends one of them at its partition (see there).
 */
import { ErrorCode } from '../protocol/errors.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import { check } from './admin.ts';
import type { Cluster } from './cluster.ts';
import { coordinatorKinds, CoordinatorRequests } from './coordinator-requests.ts';
import { ClientError } from '../net/connection.ts';
import type { TopicPartitions } from './groups.ts';

const listTransactionsVersion = 1;
const describeTransactionsVersion = 0;
const initProducerIdVersion = 4;
const describeProducersVersion = 0;
const writeTxnMarkersVersion = 1;

export interface TransactionListing {
  transactionalId: string;
  producerId: bigint;
  state: string;
  /** The broker coordinating it. */
  coordinator: number;
}

export interface TransactionDescription {
  transactionalId: string;
  state: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  /** When the open transaction started (ms since the epoch); null without one. */
  startTimeMs: number | null;
  partitions: TopicPartitions[];
}

export interface HangingTransaction {
  topic: string;
  partition: number;
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** The first offset of the open transaction. */
  startOffset: bigint;
  lastTimestampMs: number;
}

export interface ListFilter {
  states?: string[];
  producerIds?: bigint[];
  /** Only transactions open at least this long. */
  minDurationMs?: number;
}

export class TransactionAdmin {
  private readonly cluster: Cluster;
  private readonly coordinators: CoordinatorRequests;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
    this.coordinators = new CoordinatorRequests(cluster, coordinatorKinds.transaction);
  }

  /** Every transactional id of every broker, by id. */
  async list(filter: ListFilter = {}): Promise<TransactionListing[]> {
    const metadata = await this.cluster.refreshMetadata([]);
    const perBroker = await Promise.all(
      [...metadata.brokers.keys()].map(async (nodeId) => {
        const connection = await this.cluster.broker(nodeId);
        const listed = await this.coordinators.retrying(() =>
          connection.request(ApiKeys.ListTransactions, listTransactionsVersion, {
            stateFilters: filter.states ?? [],
            producerIdFilters: filter.producerIds ?? [],
            durationFilter: BigInt(filter.minDurationMs ?? -1),
          }),
        );
        check(listed.errorCode, null, `listing the transactions of broker ${nodeId}`);
        if (listed.unknownStateFilters.length > 0) check(ErrorCode.INVALID_REQUEST, `unknown transaction state ${listed.unknownStateFilters.join(', ')}`, 'listing transactions');
        return listed.transactionStates.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState, coordinator: nodeId }));
      }),
    );
    return perBroker.flat().sort((a, b) => a.transactionalId.localeCompare(b.transactionalId));
  }

  /** Aborts the id's open transaction (see the header); the id as its coordinator sees it then. */
  async abortOpen(txn: TransactionDescription): Promise<TransactionDescription> {
    await this.coordinators.withCoordinator(txn.transactionalId, 'aborting the transaction of', async (connection) => {
      const request = { transactionalId: txn.transactionalId, transactionTimeoutMs: txn.timeoutMs, producerId: -1n, producerEpoch: -1 };
      const answer = await connection.request(ApiKeys.InitProducerId, initProducerIdVersion, request);
      return answer.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS ? { ...answer, errorCode: ErrorCode.NONE } : answer;
    });
    const after = await this.describe(txn.transactionalId);
    if (after === null) throw new Error(`transactional id '${txn.transactionalId}' vanished while being aborted`);
    return after;
  }

  /** Open transactions of the topics' partitions (all topics when none) older than `maxAgeMs`, oldest first. */
  async findHanging(topics: string[], maxAgeMs: number, nowMs: number): Promise<HangingTransaction[]> {
    const metadata = await this.cluster.refreshMetadata(topics.length === 0 ? null : topics);
    const byLeader = new Map<number, Map<string, number[]>>();
    for (const topic of metadata.topics.values()) {
      check(topic.errorCode, null, `finding the partitions of topic '${topic.name}'`);
      for (const p of topic.partitions) {
        const leaderTopics = byLeader.get(p.leader) ?? new Map<string, number[]>();
        byLeader.set(p.leader, leaderTopics);
        leaderTopics.set(topic.name, [...(leaderTopics.get(topic.name) ?? []), p.partition]);
      }
    }
    const found = await Promise.all([...byLeader].map(([leader, leaderTopics]) => this.openTransactions(leader, leaderTopics)));
    return found
      .flat()
      .filter((t) => t.lastTimestampMs >= 0 && nowMs - t.lastTimestampMs > maxAgeMs)
      .sort((a, b) => a.lastTimestampMs - b.lastTimestampMs);
  }

  /**
   * Aborts the transaction that starts at `startOffset` on a partition
   * (kafka-transactions.sh abort --topic --partition --start-offset): its
   * producer is found at the partition's leader (DescribeProducers) and
   * the leader is sent an ABORT marker for it (WriteTxnMarkers, as Kafka's
   * Admin.abortTransaction), which needs ClusterAction on the cluster.
   * For a transaction the coordinator no longer knows; the transaction it
   * aborted.
   */
  async abortAt(topic: string, partition: number, startOffset: bigint): Promise<HangingTransaction> {
    const metadata = await this.cluster.refreshMetadata([topic]);
    const described = metadata.topics.get(topic);
    if (!described) throw new ClientError(`topic '${topic}' is not known`);
    check(described.errorCode, null, `finding the partitions of topic '${topic}'`);
    const leader = described.partitions.find((p) => p.partition === partition)?.leader;
    if (leader === undefined) throw new ClientError(`topic '${topic}' has no partition ${partition}`);
    const open = await this.openTransactions(leader, new Map([[topic, [partition]]]));
    const txn = open.find((t) => t.startOffset === startOffset);
    if (!txn) throw new ClientError(`no open transaction starts at offset ${startOffset} of ${topic}-${partition} (kb txn find-hanging lists them with their start offsets)`);
    const connection = await this.cluster.broker(leader);
    const response = await connection.request(ApiKeys.WriteTxnMarkers, writeTxnMarkersVersion, {
      markers: [
        {
          producerId: txn.producerId,
          producerEpoch: txn.producerEpoch,
          transactionResult: false,
          topics: [{ name: topic, partitionIndexes: [partition] }],
          coordinatorEpoch: Math.max(0, txn.coordinatorEpoch),
        },
      ],
    });
    const answer = response.markers[0]?.topics[0]?.partitions[0];
    check(answer?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, null, `writing the abort marker of producer ${txn.producerId} to ${topic}-${partition}`);
    return txn;
  }

  /** The transactions open on these partitions of one leader (DescribeProducers), with their producers. */
  private async openTransactions(leader: number, leaderTopics: Map<string, number[]>): Promise<HangingTransaction[]> {
    if (leader < 0) throw new ClientError(`partitions of ${[...leaderTopics.keys()].join(', ')} have no leader: try again when they do`);
    const connection = await this.cluster.broker(leader);
    const response = await connection.request(ApiKeys.DescribeProducers, describeProducersVersion, {
      topics: [...leaderTopics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
    });
    return response.topics.flatMap((topic) =>
      topic.partitions.flatMap((p) => {
        check(p.errorCode, p.errorMessage, `describing the producers of ${topic.name}-${p.partitionIndex}`);
        return p.activeProducers
          .filter((producer) => producer.currentTxnStartOffset >= 0n)
          .map((producer) => ({
            topic: topic.name,
            partition: p.partitionIndex,
            producerId: producer.producerId,
            producerEpoch: producer.producerEpoch,
            coordinatorEpoch: producer.coordinatorEpoch,
            startOffset: producer.currentTxnStartOffset,
            lastTimestampMs: Number(producer.lastTimestamp),
          }));
      }),
    );
  }

  /** The id as its coordinator sees it; null when it does not know it. */
  async describe(transactionalId: string): Promise<TransactionDescription | null> {
    const state = await this.coordinators.withCoordinator(transactionalId, 'describing', async (connection) => {
      const response = await connection.request(ApiKeys.DescribeTransactions, describeTransactionsVersion, { transactionalIds: [transactionalId] });
      const answer = response.transactionStates[0];
      return answer.errorCode === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND ? { ...answer, errorCode: ErrorCode.NONE, transactionState: '' } : answer;
    });
    if (state.transactionState === '') return null;
    return {
      transactionalId,
      state: state.transactionState,
      producerId: state.producerId,
      producerEpoch: state.producerEpoch,
      timeoutMs: state.transactionTimeoutMs,
      startTimeMs: state.transactionStartTimeMs >= 0n ? Number(state.transactionStartTimeMs) : null,
      partitions: state.topics.map((t) => ({ topic: t.topic, partitions: t.partitions })),
    };
  }
}
