/**
 * Replica placement for new partitions (CreateTopics, CreatePartitions), the
 * way Kafka's classic assigner spreads them: brokers are put in a
 * rack-alternating order (one broker of each rack in turn, racks and brokers
 * sorted), partition p is led by the broker at (start + p) mod n of that
 * order, and its followers come from the positions after the leader with a
 * shift that changes every n partitions, so that over many partitions every
 * broker leads about as many and holds about as many replicas as the others.
 * A partition's replicas are on distinct racks while unused racks remain.
 *
 * Pure: the caller chooses the brokers (live ones) and the random start.
 */

export interface PlacementBroker {
  nodeId: number;
  rack: string | null;
}

export interface PlacementOptions {
  /** Index of the first new partition (the topic's current partition count). */
  firstPartition: number;
  /** Offset into the broker order of partition 0's leader; any integer >= 0. */
  startIndex: number;
  /** Initial follower shift; any integer >= 0. */
  shift: number;
}

/** Brokers ordered one per rack in turn (racks and their brokers sorted), e.g. a1 b1 c1 a2 b2 c2. */
export function rackAlternating(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  for (const broker of [...brokers].sort((a, b) => a.nodeId - b.nodeId)) {
    const rack = broker.rack ?? '';
    byRack.set(rack, [...(byRack.get(rack) ?? []), broker]);
  }
  const racks = [...byRack.keys()].sort().map((rack) => byRack.get(rack)!);
  const ordered: PlacementBroker[] = [];
  for (let round = 0; ordered.length < brokers.length; round++) {
    for (const rack of racks) if (round < rack.length) ordered.push(rack[round]);
  }
  return ordered;
}

/**
 * Replica lists (leader first) for `partitions` new partitions with
 * `replicationFactor` replicas each; 1 <= replicationFactor <= brokers.length.
 */
export function placeReplicas(
  brokers: readonly PlacementBroker[],
  partitions: number,
  replicationFactor: number,
  options: PlacementOptions,
): number[][] {
  if (replicationFactor < 1 || replicationFactor > brokers.length) {
    throw new Error(`replication factor ${replicationFactor} does not fit ${brokers.length} brokers`);
  }
  const ordered = rackAlternating(brokers);
  const n = ordered.length;
  const rackCount = new Set(ordered.map((b) => b.rack ?? '')).size;
  const lists: number[][] = [];
  for (let p = options.firstPartition; p < options.firstPartition + partitions; p++) {
    const leaderIndex = (options.startIndex + p) % n;
    const shift = options.shift + Math.floor(p / n);
    // Every position but the leader's once, starting at a shift that rotates each round of n partitions.
    const followers = Array.from({ length: n - 1 }, (_, j) => ordered[(leaderIndex + 1 + ((shift + j) % (n - 1))) % n]);
    const chosen = [ordered[leaderIndex]];
    let racksUsed = new Set([ordered[leaderIndex].rack ?? '']);
    while (chosen.length < replicationFactor) {
      if (racksUsed.size === rackCount) racksUsed = new Set();
      const next = followers.find((b) => !chosen.includes(b) && !racksUsed.has(b.rack ?? ''));
      if (next === undefined) {
        racksUsed = new Set();
        continue;
      }
      chosen.push(next);
      racksUsed.add(next.rack ?? '');
    }
    lists.push(chosen.map((b) => b.nodeId));
  }
  return lists;
}
