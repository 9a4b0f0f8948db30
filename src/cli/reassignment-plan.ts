/**
 * Reassignment plans: Kafka's reassignment JSON
 * (`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2,3,4]}]}`,
 * as kafka-reassign-partitions reads and writes it; `log_dirs` is accepted
 * and ignored) and the bytes a plan copies. Plans are computed by
 * cli/balance-plan.ts. Pure: no I/O.
 */
import type { PartitionAssignment } from './balance-plan.ts';

/** The plan as Kafka's reassignment JSON (one line per partition, so diffs read well). */
export function formatPlan(entries: readonly PartitionAssignment[]): string {
  const lines = entries.map((e) => `  ${JSON.stringify({ topic: e.topic, partition: e.partition, replicas: e.replicas })}`);
  return `{"version":1,"partitions":[\n${lines.join(',\n')}\n]}\n`;
}

/** Reads Kafka's reassignment JSON; throws an Error naming what is wrong. */
export function parsePlan(text: string): PartitionAssignment[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`);
  }
  const plan = json as { version?: unknown; partitions?: unknown };
  if (typeof json !== 'object' || json === null || plan.version !== 1 || !Array.isArray(plan.partitions)) {
    throw new Error('expected {"version":1,"partitions":[{"topic":...,"partition":...,"replicas":[...]}]}');
  }
  const seen = new Set<string>();
  return plan.partitions.map((item: unknown, i: number) => {
    const e = item as { topic?: unknown; partition?: unknown; replicas?: unknown };
    const where = `partitions[${i}]`;
    if (typeof e !== 'object' || e === null) throw new Error(`${where} is not an object`);
    if (typeof e.topic !== 'string' || e.topic === '') throw new Error(`${where}: "topic" must be a non-empty string`);
    if (!Number.isInteger(e.partition) || (e.partition as number) < 0) throw new Error(`${where}: "partition" must be a whole number >= 0`);
    const replicas = e.replicas;
    if (!Array.isArray(replicas) || replicas.length === 0 || !replicas.every((r) => Number.isInteger(r) && r >= 0)) {
      throw new Error(`${where}: "replicas" must be a non-empty list of broker ids`);
    }
    if (new Set(replicas).size !== replicas.length) throw new Error(`${where}: "replicas" [${replicas.join(',')}] repeats a broker`);
    const key = `${e.topic}/${e.partition}`;
    if (seen.has(key)) throw new Error(`${where}: ${key} appears twice`);
    seen.add(key);
    return { topic: e.topic, partition: e.partition as number, replicas: replicas as number[] };
  });
}

/** Replicas the plan adds to a partition (they copy its whole log). */
export function addedReplicas(current: readonly number[], target: readonly number[]): number[] {
  return target.filter((id) => !current.includes(id));
}
