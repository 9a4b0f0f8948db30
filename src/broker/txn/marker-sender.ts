/**
 * Writes the commit or abort markers of one transaction (WriteTxnMarkers,
 * API 27, Kafka's own request) to the leader of every partition in it, as
 * Kafka's TransactionMarkerChannelManager: one request per leader, sent
 * through `send` (the broker's peer connection to that leader's
 * inter-broker listener, or its own handler when it leads the partition).
 * A partition is done when its leader answers NONE, or when it no longer
 * exists (its topic deleted). Everything else (no leader, a leader that
 * moved, a connection that failed, an error code) is tried again after a
 * backoff, with the leaders the metadata names then, until done or until
 * `current()` says the coordinator gave the transaction up (its partition
 * of __transaction_state moved): the new coordinator resumes it. A leader
 * that knows a newer coordinator (TRANSACTION_COORDINATOR_FENCED) or a
 * newer epoch of the producer (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED)
 * ends the writing too, as in Kafka: this coordinator's view is stale, and
 * the transaction stays prepared until its partition is loaded again. The
 * first failure of each transaction is logged, once; giving up is logged.
 */
import type { Time } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import type { WriteTxnMarkersRequest } from '../../protocol/generated/write-txn-markers-request.ts';
import type { WriteTxnMarkersResponse } from '../../protocol/generated/write-txn-markers-response.ts';

export interface TxnMarker {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  /** The leader epoch of the coordinator's __transaction_state partition: leaders refuse markers of an older coordinator. */
  coordinatorEpoch: number;
  partitions: ReadonlyMap<string, ReadonlySet<number>>;
}

export interface MarkerSenderOptions {
  /** The leader of a partition (-1 for none), undefined when the partition does not exist. */
  leaderOf: (topic: string, partition: number) => number | undefined;
  /** Sends a WriteTxnMarkers request to node `nodeId`; rejects when it cannot be had. */
  send: (nodeId: number, request: WriteTxnMarkersRequest) => Promise<WriteTxnMarkersResponse>;
  logger: Logger;
  time: Time;
}

const retryBackoffMs = 200;
/** Answers that say this coordinator's markers are stale: writing them again cannot succeed. */
const staleErrors: ReadonlySet<number> = new Set([ErrorCode.TRANSACTION_COORDINATOR_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.PRODUCER_FENCED]);

export class MarkerSender {
  private readonly options: MarkerSenderOptions;

  constructor(options: MarkerSenderOptions) {
    this.options = options;
  }

  /** Resolves true once every partition has its marker, false when `current()` turned false first or a leader said the markers are stale. */
  async write(marker: TxnMarker, current: () => boolean): Promise<boolean> {
    const pending = new Set<string>();
    for (const [topic, partitions] of marker.partitions) for (const p of partitions) pending.add(partitionKey(topic, p));
    let logged = false;
    while (pending.size > 0) {
      if (!current()) return false;
      const { failures, stale } = await this.round(marker, pending);
      if (stale !== null) {
        this.options.logger.error(`giving up the ${marker.commit ? 'commit' : 'abort'} markers of transaction ${marker.transactionalId} (producer ${marker.producerId}): ${stale}`);
        return false;
      }
      if (pending.size === 0) break;
      if (!logged && failures.length > 0) {
        logged = true;
        const what = marker.commit ? 'commit' : 'abort';
        this.options.logger.warn(`writing the ${what} markers of transaction ${marker.transactionalId} (producer ${marker.producerId}) failed, retrying: ${failures.join('; ')}`);
      }
      await new Promise<void>((resolve) => this.options.time.setTimeout(resolve, retryBackoffMs, { background: true }));
    }
    return true;
  }

  /** One request per leader for the partitions still pending; removes those done; returns what failed, and a stale answer if any. */
  private async round(marker: TxnMarker, pending: Set<string>): Promise<{ failures: string[]; stale: string | null }> {
    const byLeader = new Map<number, Map<string, number[]>>();
    const failures: string[] = [];
    let stale: string | null = null;
    for (const key of pending) {
      const [topic, partition] = splitKey(key);
      const leader = this.options.leaderOf(topic, partition);
      if (leader === undefined) {
        pending.delete(key);
        continue;
      }
      if (leader < 0) {
        failures.push(`${key} has no leader`);
        continue;
      }
      const topics = byLeader.get(leader) ?? new Map<string, number[]>();
      byLeader.set(leader, topics);
      topics.set(topic, [...(topics.get(topic) ?? []), partition]);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, topics]) => {
        const request: WriteTxnMarkersRequest = {
          markers: [
            {
              producerId: marker.producerId,
              producerEpoch: marker.producerEpoch,
              transactionResult: marker.commit,
              coordinatorEpoch: marker.coordinatorEpoch,
              topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
            },
          ],
        };
        try {
          const response = await this.options.send(leader, request);
          for (const topic of response.markers[0]?.topics ?? []) {
            for (const { partitionIndex, errorCode } of topic.partitions) {
              const key = partitionKey(topic.name, partitionIndex);
              if (errorCode === ErrorCode.NONE) pending.delete(key);
              else if (staleErrors.has(errorCode)) stale = `${key} at broker ${leader} answered ${errorName(errorCode)}`;
              else failures.push(`${key} at broker ${leader}: ${errorName(errorCode)}`);
            }
          }
        } catch (err) {
          failures.push(`broker ${leader}: ${(err as Error).message}`);
        }
      }),
    );
    return { failures, stale };
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

function splitKey(key: string): [string, number] {
  const dash = key.lastIndexOf('-');
  return [key.slice(0, dash), Number(key.slice(dash + 1))];
}
