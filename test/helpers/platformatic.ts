/**
 * Reads a whole topic with @platformatic/kafka's low-level Consumer.fetch
 * (Fetch v12 or later, no consumer group: groups come with a later issue):
 * metadata for the leaders, ListOffsets for the end, then Fetch from offset 0
 * until every partition reaches it. Returns the records (skipping the ones
 * before the fetch offset that a whole stored batch may carry) and the codec
 * of every batch served, so a test can check what the broker stored.
 */
import type { ConnectionOptions } from 'node:tls';
import { Consumer } from '@platformatic/kafka';
import type { StoredRecord } from './records.ts';

export interface FetchedRecord extends StoredRecord {
  timestamp: bigint;
}

export interface FetchedTopic {
  records: FetchedRecord[];
  /** Compression codec (attributes bits 0-2) of every batch served. */
  batchCodecs: number[];
  /** High watermark per partition as ListOffsets(latest) reported it. */
  endOffsets: bigint[];
}

const text = (b: Buffer | null | undefined): string | null => (b === null || b === undefined ? null : b.toString('utf8'));

/** `tls`: connect with TLS (node:tls options: the CA, a client certificate). */
export async function fetchAll(address: string, topic: string, partitions: number, timeoutMs = 20_000, tls?: ConnectionOptions): Promise<FetchedTopic> {
  const consumer = new Consumer({
    ...(tls ? { tls } : {}),
    clientId: 'kb-interop-fetch',
    groupId: 'kb-interop-fetch-unused',
    bootstrapBrokers: [address],
    retries: 2,
    retryDelay: 200,
    timeout: 10_000,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    const metadata = await consumer.metadata({ topics: [topic] });
    const topicMetadata = metadata.topics.get(topic);
    if (!topicMetadata) throw new Error(`no metadata for ${topic}`);
    const endOffsets = (await consumer.listOffsets({ topics: [topic] })).get(topic);
    if (!endOffsets || endOffsets.length !== partitions) throw new Error(`ListOffsets for ${topic} gave ${String(endOffsets)}`);
    const records: FetchedRecord[] = [];
    const batchCodecs: number[] = [];
    for (let partition = 0; partition < partitions; partition++) {
      let fetchOffset = 0n;
      const end = endOffsets[partition];
      while (fetchOffset < end) {
        if (Date.now() > deadline) throw new Error(`fetching ${topic}/${partition} did not reach offset ${end} within ${timeoutMs} ms (at ${fetchOffset})`);
        const response = await consumer.fetch({
          node: topicMetadata.partitions[partition].leader,
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: 4 * 1024 * 1024,
          topics: [
            {
              topicId: topic,
              partitions: [{ partition, fetchOffset, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 1024 * 1024 }],
            },
          ],
        });
        const answer = response.responses[0]?.partitions.find((p) => p.partitionIndex === partition);
        if (!answer) throw new Error(`Fetch response without partition ${partition}: ${JSON.stringify(response, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
        if (answer.errorCode !== 0) throw new Error(`Fetch ${topic}/${partition} at ${fetchOffset}: error ${answer.errorCode}`);
        for (const batch of answer.records ?? []) {
          batchCodecs.push(batch.attributes & 0x07);
          for (const record of batch.records) {
            const offset = batch.firstOffset + BigInt(record.offsetDelta);
            if (offset < fetchOffset) continue;
            records.push({
              partition,
              offset: Number(offset),
              key: text(record.key),
              value: text(record.value),
              headers: record.headers.map(([k, v]) => [text(k) ?? '', text(v)]),
              timestamp: batch.firstTimestamp + record.timestampDelta,
            });
            fetchOffset = offset + 1n;
          }
          const next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
          if (next > fetchOffset) fetchOffset = next;
        }
      }
    }
    return { records, batchCodecs, endOffsets };
  } finally {
    await consumer.close(true);
  }
}
