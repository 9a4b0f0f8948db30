/**
 * The reassignment planner of `kb partitions balance` (over the live
 * brokers) and `kb partitions reassign --topic T --to IDS` (over the named
 * ones): new replica lists that even out, over the target brokers, first
 * how many replicas each holds and then how many partitions each is the
 * preferred leader (first replica) of, counted over all the given
 * partitions together. Replication factors are kept, so a partition with
 * more replicas than there are target brokers is refused (an Error naming
 * its topic) before anything is planned. Pure and deterministic; it moves
 * as little as it can:
 *
 * 1. Replicas on brokers that are not targets move to targets.
 * 2. While the fullest broker holds at least two replicas more than the
 *    emptiest, one replica moves from the fullest to the emptiest (a
 *    partition that does not already have one there, keeping its replicas
 *    on distinct racks where it had that), in place, so a moved preferred
 *    leader is replaced by the new broker.
 * 3. While a broker is preferred leader of at least two partitions more
 *    than another replica of one of them, that replica moves to the front
 *    (the set of replicas is unchanged: only the preferred leader changes).
 *
 * The plan lists only partitions whose replica list changed, in Kafka's
 * reassignment JSON shape.
 */
import type { PlacementBroker } from '../controller/placement.ts';

export interface PartitionAssignment {
  topic: string;
  partition: number;
  replicas: number[];
}

export interface BalancePlan {
  version: 1;
  partitions: PartitionAssignment[];
}

function countBy(partitions: readonly PartitionAssignment[], brokers: readonly number[], pick: (p: PartitionAssignment) => number[]): Map<number, number> {
  const counts = new Map(brokers.map((id) => [id, 0]));
  for (const p of partitions) for (const id of pick(p)) if (counts.has(id)) counts.set(id, counts.get(id)! + 1);
  return counts;
}

/** The broker ids ordered by count (then id), fewest first. */
function byCount(counts: Map<number, number>): number[] {
  return [...counts.keys()].sort((a, b) => counts.get(a)! - counts.get(b)! || a - b);
}

export function planBalance(current: readonly PartitionAssignment[], targetBrokers: readonly PlacementBroker[]): BalancePlan {
  if (targetBrokers.length === 0) throw new Error('no target broker to balance over');
  const crowded = current.find((p) => p.replicas.length > targetBrokers.length);
  if (crowded) {
    throw new Error(`topic '${crowded.topic}' has ${crowded.replicas.length} replicas per partition but only ${targetBrokers.length} target broker(s) to place them on`);
  }
  const rackOf = new Map(targetBrokers.map((b) => [b.nodeId, b.rack ?? '']));
  const targets = [...rackOf.keys()];
  const work = [...current]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((p) => ({ ...p, replicas: [...p.replicas] }));
  const distinctRacks = (replicas: number[]) => new Set(replicas.map((id) => rackOf.get(id))).size === replicas.length;

  /** Replaces `from` by the least loaded target broker that fits the partition; false when none fits. */
  const move = (p: PartitionAssignment, from: number, candidates: number[]): boolean => {
    const keepRacks = p.replicas.every((id) => rackOf.has(id)) && distinctRacks(p.replicas);
    const others = p.replicas.filter((id) => id !== from);
    const to =
      candidates.find((id) => !p.replicas.includes(id) && (!keepRacks || distinctRacks([...others, id]))) ??
      candidates.find((id) => !p.replicas.includes(id));
    if (to === undefined) return false;
    p.replicas[p.replicas.indexOf(from)] = to;
    return true;
  };

  // 1. Off brokers that are not targets.
  for (const p of work) {
    for (const id of [...p.replicas]) if (!rackOf.has(id)) move(p, id, byCount(countBy(work, targets, (q) => q.replicas)));
  }

  // 2. Even out replica counts.
  for (;;) {
    const counts = countBy(work, targets, (q) => q.replicas);
    const order = byCount(counts);
    const [emptiest, fullest] = [order[0], order[order.length - 1]];
    if (counts.get(fullest)! - counts.get(emptiest)! < 2) break;
    // One exists: the fullest holds more replicas than the emptiest. Prefer one whose racks stay distinct.
    const candidates = work.filter((p) => p.replicas.includes(fullest) && !p.replicas.includes(emptiest));
    const candidate = candidates.find((p) => distinctRacks([...p.replicas.filter((id) => id !== fullest), emptiest])) ?? candidates[0];
    move(candidate, fullest, [emptiest]);
  }

  // 3. Even out preferred leaders by reordering replicas.
  for (;;) {
    const leaders = countBy(work, targets, (q) => q.replicas.slice(0, 1));
    let improved = false;
    for (const fullest of byCount(leaders).reverse()) {
      const p = work.find((q) => q.replicas[0] === fullest && q.replicas.some((id) => rackOf.has(id) && leaders.get(id)! <= leaders.get(fullest)! - 2));
      if (!p) continue;
      const to = p.replicas.filter((id) => rackOf.has(id)).sort((a, b) => leaders.get(a)! - leaders.get(b)! || a - b)[0];
      p.replicas = [to, ...p.replicas.filter((id) => id !== to)];
      improved = true;
      break;
    }
    if (!improved) break;
  }

  const before = new Map(current.map((p) => [`${p.topic}\0${p.partition}`, p.replicas]));
  const changed = work.filter((p) => {
    const old = before.get(`${p.topic}\0${p.partition}`)!;
    return old.length !== p.replicas.length || old.some((id, i) => p.replicas[i] !== id);
  });
  return { version: 1, partitions: changed };
}
