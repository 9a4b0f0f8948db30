/**
 * Shared set-up for the group tests: a manager on a fake clock (initial
 * rebalance delay 0 unless asked), request builders with sensible defaults,
 * and a way to watch a promise settle without awaiting it.
 */
import type { GroupConfig } from '../../../src/broker/group/constants.ts';
import type { GroupSnapshot, JoinRequest, JoinResponse, SyncRequest } from '../../../src/broker/group/group.ts';
import { GroupManager } from '../../../src/broker/group/group-manager.ts';
import { FakeClock } from './fake-clock.ts';

export function setup(config: Partial<GroupConfig> = {}) {
  const clock = new FakeClock();
  const changes: GroupSnapshot[] = [];
  const manager = new GroupManager({
    clock,
    config: { initialRebalanceDelayMs: 0, ...config },
    onGroupChange: (snapshot) => changes.push(snapshot),
  });
  return { clock, manager, changes };
}

export const range = { name: 'range', metadata: Buffer.from('range-meta') };
export const roundRobin = { name: 'roundrobin', metadata: Buffer.from('rr-meta') };

export function joinRequest(overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [range],
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: false,
    supportsSkipAssignment: false,
    ...overrides,
  };
}

export function syncRequest(join: JoinResponse, overrides: Partial<SyncRequest> = {}): SyncRequest {
  return {
    groupId: 'g',
    generationId: join.generationId,
    memberId: join.memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [],
    ...overrides,
  };
}

export interface Watched<T> {
  done: boolean;
  value: T | undefined;
}

/** Records when `promise` settles; check after `await flush()`. */
export function watch<T>(promise: Promise<T>): Watched<T> {
  const watched: Watched<T> = { done: false, value: undefined };
  void promise.then((value) => {
    watched.done = true;
    watched.value = value;
  });
  return watched;
}

/** Lets every settled promise run its callbacks. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function assignmentFor(memberId: string): Buffer {
  return Buffer.from(`assignment-of-${memberId}`);
}

/**
 * Joins `requests` (one member each) into group 'g' through one join phase
 * and one sync, the leader assigning `assignmentFor(memberId)` to everyone.
 * Returns the join responses in request order.
 */
export async function formStableGroup(
  manager: GroupManager,
  clock: FakeClock,
  requests: JoinRequest[],
): Promise<JoinResponse[]> {
  const pending = requests.map((request) => manager.join(request));
  clock.advance(0);
  const joins = await Promise.all(pending);
  const leader = joins.find((j) => j.memberId === j.leader)!;
  const syncs = joins.map((join, i) =>
    manager.sync(
      syncRequest(join, {
        groupInstanceId: requests[i].groupInstanceId,
        assignments:
          join === leader ? joins.map((j) => ({ memberId: j.memberId, assignment: assignmentFor(j.memberId) })) : [],
      }),
    ),
  );
  await Promise.all(syncs);
  return joins;
}
