/**
 * A Fetch request body for tests that send Fetch by hand: partition 0 of one
 * topic (by name, so v4 to v12) from `fetchOffset`, answered at once
 * (maxWaitMs and minBytes 0), read_uncommitted, no fetch session.
 */
import { defaultFetchPartition, defaultFetchRequest, type FetchRequest } from '../../src/protocol/generated/fetch-request.ts';

export function fetchPartition0(topic: string, maxBytes: number, options: { fetchOffset?: bigint; partitionMaxBytes?: number } = {}): FetchRequest {
  const partition = { ...defaultFetchPartition(), fetchOffset: options.fetchOffset ?? 0n, partitionMaxBytes: options.partitionMaxBytes ?? maxBytes };
  return { ...defaultFetchRequest(), maxBytes, topics: [{ topic, topicId: Buffer.alloc(16), partitions: [partition] }] };
}
