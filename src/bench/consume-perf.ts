/**
 * The measurement behind `kb bench consume` (kafka-consumer-perf-test on
 * kb's own Consumer): reads every partition of a topic from the beginning
 * until `records` records were received, or, when `records` is null, up to
 * each partition's end offset as it was when the run started. Reports
 * records/s and MB/s (key + value bytes, MB = 2^20 bytes) over the time from
 * the first fetch to the last record, and how many fetches that took. Stops
 * at `timeLimitMs` with what was read by then.
 */
import type { Cluster } from '../client/cluster.ts';
import { Consumer, listOffsets, offsetSpec, type FetchOptions } from '../client/consumer.ts';
import { perfResult, type PerfResult } from './produce-perf.ts';

export interface ConsumePerfOptions {
  topic: string;
  partitions: number[];
  records: number | null;
  timeLimitMs: number;
  fetch: Partial<FetchOptions>;
}

export interface ConsumePerfResult extends PerfResult {
  fetches: number;
  /** False when the time limit ended the run first. */
  complete: boolean;
}

export async function runConsumePerf(cluster: Cluster, options: ConsumePerfOptions): Promise<ConsumePerfResult> {
  const starts = await listOffsets(cluster, options.topic, options.partitions, offsetSpec.earliest);
  const ends = await listOffsets(cluster, options.topic, options.partitions, offsetSpec.latest);
  let wanted = options.records ?? 0;
  if (options.records === null) for (const p of options.partitions) wanted += Number(ends.get(p)! - starts.get(p)!);
  const consumer = new Consumer(
    cluster,
    options.partitions.map((partition) => ({ topic: options.topic, partition, offset: starts.get(partition)! })),
    options.fetch,
  );
  let records = 0;
  let bytes = 0;
  let fetches = 0;
  const start = performance.now();
  const deadline = start + options.timeLimitMs;
  while (records < wanted && performance.now() < deadline) {
    const batch = await consumer.poll();
    fetches++;
    for (const r of batch) bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
    records += batch.length;
  }
  const seconds = (performance.now() - start) / 1000;
  return { ...perfResult(records, bytes, seconds), fetches, complete: records >= wanted };
}
