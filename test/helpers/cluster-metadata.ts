/**
 * Metadata probes for cluster tests: the partitions of a topic as one node
 * sees them, and polling until a condition over them holds (or failing
 * with the last view after a deadline).
 */
import assert from 'node:assert/strict';
import { Cluster, type PartitionInfo } from '../../src/client/cluster.ts';

/** The partitions of `topic` as the node(s) at `bootstrap` report them; empty when it cannot answer. */
export async function partitionsOf(bootstrap: string, topic: string): Promise<PartitionInfo[]> {
  const cluster = new Cluster({
    bootstrap: bootstrap.split(',').map((address) => ({ host: address.split(':')[0], port: Number(address.split(':')[1]) })),
    clientId: 'kb-cluster-test',
    requestTimeoutMs: 5_000,
    connectTimeoutMs: 1_000,
  });
  try {
    const metadata = await cluster.refreshMetadata([topic]);
    return metadata.topics.get(topic)?.partitions ?? [];
  } catch {
    return [];
  } finally {
    cluster.close();
  }
}

/** Polls until `condition` holds for the partitions of `topic`; returns them. */
export async function waitForPartitions(
  bootstrap: string,
  topic: string,
  what: string,
  condition: (partitions: PartitionInfo[]) => boolean,
  timeoutMs = 30_000,
): Promise<PartitionInfo[]> {
  const deadline = Date.now() + timeoutMs;
  let last: PartitionInfo[] = [];
  while (Date.now() < deadline) {
    last = await partitionsOf(bootstrap, topic);
    if (last.length > 0 && condition(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting until ${what}; last view: ${JSON.stringify(last)}`);
}
