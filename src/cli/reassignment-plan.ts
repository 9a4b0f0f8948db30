/**
 * Reassignment plans: Kafka's reassignment JSON
 * (`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2,3,4]}]}`,
 * as kafka-reassign-partitions reads and writes it; `log_dirs` is accepted
 * and ignored), a balanced plan for moving topics onto a set of brokers,
 * and the bytes a plan copies.
 *
 * The balanced plan keeps each partition's replication factor and places
 * replicas with controller/placement.ts (the same spread as topic
 * creation: replica counts and leaders even over the target brokers, racks
 * alternated when set). Of the equally balanced placements (every start
 * and shift), each topic takes the one that keeps the most replicas and
 * leaders where they are, so less data moves. Pure: no I/O.
 */
import { placeReplicas, type PlacementBroker } from '../controller/placement.ts';

export interface PlanEntry {
  topic: string;
  partition: number;
  replicas: number[];
}

export interface PlanTopic {
  name: string;
  partitions: { partition: number; replicas: number[] }[];
}

/** Target replica lists for every partition of `topics` over `brokers` (distinct, at least the largest replication factor). */
export function balancedPlan(topics: readonly PlanTopic[], brokers: readonly PlacementBroker[]): PlanEntry[] {
  const plan: PlanEntry[] = [];
  for (const topic of topics) {
    const partitions = [...topic.partitions].sort((a, b) => a.partition - b.partition);
    const replicationFactor = partitions.reduce((most, p) => Math.max(most, p.replicas.length), 0);
    if (replicationFactor > brokers.length) {
      throw new Error(`topic '${topic.name}' has ${replicationFactor} replicas per partition but only ${brokers.length} target broker(s) were given`);
    }
    let best: { lists: number[][]; score: number } | null = null;
    for (let startIndex = 0; startIndex < brokers.length; startIndex++) {
      for (let shift = 0; shift < Math.max(1, brokers.length - 1); shift++) {
        const lists = placeReplicas(brokers, partitions.length, replicationFactor, { firstPartition: 0, startIndex, shift });
        const score = lists.reduce((sum, list, i) => sum + kept(partitions[i].replicas, list), 0);
        if (!best || score > best.score) best = { lists, score };
      }
    }
    best!.lists.forEach((replicas, i) => plan.push({ topic: topic.name, partition: partitions[i].partition, replicas }));
  }
  return plan;
}

/** How much of `current` a new list keeps: 2 per replica that stays, 1 more when the leader stays. */
function kept(current: readonly number[], next: readonly number[]): number {
  return 2 * next.filter((id) => current.includes(id)).length + (current[0] === next[0] ? 1 : 0);
}

/** The plan as Kafka's reassignment JSON (one line per partition, so diffs read well). */
export function formatPlan(entries: readonly PlanEntry[]): string {
  const lines = entries.map((e) => `  ${JSON.stringify({ topic: e.topic, partition: e.partition, replicas: e.replicas })}`);
  return `{"version":1,"partitions":[\n${lines.join(',\n')}\n]}\n`;
}

/** Reads Kafka's reassignment JSON; throws an Error naming what is wrong. */
export function parsePlan(text: string): PlanEntry[] {
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
