/**
 * Helpers for tests of replica placement and reassignment plans: broker
 * lists with optional racks, and how many leaders and replicas each broker
 * gets from a set of replica lists (the first replica leads).
 */
export const brokersWithRacks = (ids: number[], rack: (id: number) => string | null = () => null) => ids.map((nodeId) => ({ nodeId, rack: rack(nodeId) }));

export function leaderAndReplicaCounts(lists: number[][]): { leaders: Map<number, number>; replicas: Map<number, number> } {
  const leaders = new Map<number, number>();
  const replicas = new Map<number, number>();
  for (const list of lists) {
    leaders.set(list[0], (leaders.get(list[0]) ?? 0) + 1);
    for (const id of list) replicas.set(id, (replicas.get(id) ?? 0) + 1);
  }
  return { leaders, replicas };
}
