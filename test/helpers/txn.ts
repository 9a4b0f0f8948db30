/**
 * The partition side of transactions at the protocol level, for tests: a
 * real broker with a peer listener, a plain client connection and one
 * authenticated as another node (which sends WriteTxnMarkers as the
 * transaction coordinator does), transactional batches, produce and
 * markers on partition 0 of a topic.
 */
import { startBroker, type RunningBroker } from './broker.ts';
import { RawClient } from './raw-client.ts';
import { connectAsPeer, type PeerClient } from './peer-client.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { defaultFetchRequest } from '../../src/protocol/generated/fetch-request.ts';
import { recordBatches } from '../../src/protocol/records/batch-splitter.ts';
import { readBatchHeader } from '../../src/protocol/records/batch-header.ts';

export interface TxnBroker {
  broker: RunningBroker;
  client: RawClient;
  /** Authenticated as node 99 (any node may send WriteTxnMarkers). */
  peer: PeerClient;
  close(): Promise<void>;
}

export async function startTxnBroker(dataDir?: string): Promise<TxnBroker> {
  const broker = await startBroker({ dataDir, args: ['--peer-listen', '127.0.0.1:0'] });
  const client = await RawClient.connect(broker.host, broker.port);
  const [host, port] = broker.peerAddress!.split(':');
  const peer = await connectAsPeer(host, Number(port), 99, 1);
  const close = () => {
    client.close();
    peer.close();
    return broker.stop();
  };
  return { broker, client, peer, close };
}

/** Timestamps of now: a segment whose first batch is older than segment.ms rolls at every append. */
export const now = (): bigint => BigInt(Date.now());

export const txnBatch = (producerId: bigint, baseSequence: number, values: string[], producerEpoch: number): Buffer =>
  encodeRecordBatch({ baseTimestamp: now(), producerId, producerEpoch, baseSequence, transactional: true, records: values.map((v) => ({ value: Buffer.from(v) })) });

export const plainBatch = (values: string[]): Buffer => encodeRecordBatch({ baseTimestamp: now(), records: values.map((v) => ({ value: Buffer.from(v) })) });

/** Creates `topic` (rf 1); its CreateTopics error code. */
export async function createTopic(client: RawClient, topic: string, partitions = 1): Promise<number> {
  const created = await client.request(19, 7, { topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 15_000, validateOnly: false });
  return created.topics[0].errorCode;
}

/** Produces one batch to partition 0 (acks=all, as transactional producer `transactionalId`); its answer. */
export async function produce(client: RawClient, topic: string, records: Buffer, transactionalId: string | null = 'test-txn'): Promise<{ errorCode: number; baseOffset: bigint }> {
  const response = await client.request(0, 8, { transactionalId, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return response.responses[0].partitionResponses[0];
}

export interface MarkerSpec {
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

export const markerRequest = (topic: string, m: MarkerSpec) => ({
  markers: [{ producerId: m.producerId, producerEpoch: m.producerEpoch, transactionResult: m.commit, coordinatorEpoch: m.coordinatorEpoch, topics: [{ name: topic, partitionIndexes: [0] }] }],
});

/** Sends WriteTxnMarkers (v1) for partition 0; its error code. */
export async function writeMarker(sender: { request(apiKey: number, apiVersion: number, body: unknown): Promise<any> }, topic: string, m: MarkerSpec): Promise<number> {
  const response = await sender.request(27, 1, markerRequest(topic, m));
  return response.markers[0].topics[0].partitions[0].errorCode;
}

export interface Fetched {
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null;
  /** Base offsets of the batches read. */
  batches: bigint[];
}

/** Fetch (v11) of partition 0 from `fetchOffset`, isolation level 0 (read_uncommitted) or 1 (read_committed). */
export async function fetchPartition0(client: RawClient, topic: string, fetchOffset: bigint, isolationLevel: number): Promise<Fetched> {
  const response = await client.request(1, 11, {
    ...defaultFetchRequest(),
    isolationLevel,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
  });
  const p = response.responses[0].partitions[0];
  const batches = [...recordBatches(p.records ?? Buffer.alloc(0))].map((span) => readBatchHeader(span.bytes).baseOffset);
  return { errorCode: p.errorCode, highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, abortedTransactions: p.abortedTransactions, batches };
}
