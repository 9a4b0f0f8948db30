/**
 * ListOffsets run with a fake of the one service it needs (the replicas),
 * no broker: each partition is answered from the partition this node leads,
 * or with the error the replicas give, in the request's order; v0 answers
 * with the old offsets array too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import listOffsets from '../../../src/broker/handlers/02-list-offsets.ts';
import type { ReplicaService } from '../../../src/broker/handlers/handler.ts';
import type { Partition } from '../../../src/broker/replica/partition.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { defaultListOffsetsPartition, defaultListOffsetsRequest } from '../../../src/protocol/generated/list-offsets-request.ts';
import { handle } from './fake-services.ts';

/** Leads t-0 only; its offsets: 42 for the latest (-1), nothing for a timestamp (answered -1). */
function fakeReplicas(): ReplicaService {
  const led = {
    offsetFor: async (timestamp: bigint) => (timestamp === -1n ? { offset: 42n, timestamp: -1n, leaderEpoch: 7 } : { offset: -1n, timestamp: -1n, leaderEpoch: -1 }),
  } as unknown as Partition;
  return {
    leaderPartition: (topic: string, index: number) => (topic === 't' && index === 0 ? led : { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }),
  } as unknown as ReplicaService;
}

function request(partitions: { partitionIndex: number; timestamp: bigint }[]) {
  return { ...defaultListOffsetsRequest(), topics: [{ name: 't', partitions: partitions.map((p) => ({ ...defaultListOffsetsPartition(), ...p })) }] };
}

test('each partition from the partition this node leads, or the replicas\' error, in request order', async () => {
  const response = await handle(listOffsets, request([{ partitionIndex: 1, timestamp: -1n }, { partitionIndex: 0, timestamp: -1n }, { partitionIndex: 0, timestamp: 5n }]), 5, {
    replicas: fakeReplicas(),
  });
  const [topic] = response!.topics;
  assert.equal(topic.name, 't');
  assert.deepEqual(
    topic.partitions.map((p) => [p.partitionIndex, p.errorCode, p.offset, p.leaderEpoch]),
    [
      [1, ErrorCode.NOT_LEADER_OR_FOLLOWER, -1n, -1],
      [0, ErrorCode.NONE, 42n, 7],
      [0, ErrorCode.NONE, -1n, -1],
    ],
  );
});

test('v0: the old offsets array holds the offset found, and is empty when none is', async () => {
  const response = await handle(listOffsets, request([{ partitionIndex: 0, timestamp: -1n }, { partitionIndex: 0, timestamp: 5n }]), 0, { replicas: fakeReplicas() });
  assert.deepEqual(response!.topics[0].partitions.map((p) => p.oldStyleOffsets), [[42n], []]);
});
