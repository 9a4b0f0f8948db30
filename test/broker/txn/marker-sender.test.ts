/**
 * MarkerSender (src/broker/txn/marker-sender.ts) against fake leaders: one
 * WriteTxnMarkers request per leader with the coordinator epoch; partitions
 * that fail are sent again (to the leader the metadata names then) until
 * done; deleted partitions count as done; a stale answer
 * (TRANSACTION_COORDINATOR_FENCED) or a coordinator that gave the
 * transaction up ends the writing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MarkerSender, type TxnMarker } from '../../../src/broker/txn/marker-sender.ts';
import { systemTime } from '../../../src/clock.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import type { WriteTxnMarkersRequest } from '../../../src/protocol/generated/write-txn-markers-request.ts';
import type { WriteTxnMarkersResponse } from '../../../src/protocol/generated/write-txn-markers-response.ts';

const marker: TxnMarker = {
  transactionalId: 't',
  producerId: 7n,
  producerEpoch: 3,
  commit: true,
  coordinatorEpoch: 5,
  partitions: new Map([
    ['a', new Set([0, 1])],
    ['b', new Set([0])],
  ]),
};

interface Sent {
  nodeId: number;
  request: WriteTxnMarkersRequest;
}

/** Leaders from `leaders` (topic-partition -> node; absent: deleted), answers from `answer` (topic, partition, attempt -> error code). */
function sender(leaders: Map<string, number>, answer: (topic: string, partition: number, attempt: number) => number, lines: string[] = []) {
  const sent: Sent[] = [];
  const attempts = new Map<string, number>();
  const markers = new MarkerSender({
    leaderOf: (topic, partition) => leaders.get(`${topic}-${partition}`),
    send: async (nodeId, request): Promise<WriteTxnMarkersResponse> => {
      sent.push({ nodeId, request });
      return {
        markers: request.markers.map((m) => ({
          producerId: m.producerId,
          topics: m.topics.map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((p) => {
              const key = `${t.name}-${p}`;
              const attempt = (attempts.get(key) ?? 0) + 1;
              attempts.set(key, attempt);
              return { partitionIndex: p, errorCode: answer(t.name, p, attempt) };
            }),
          })),
        })),
      };
    },
    logger: { info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) },
    time: systemTime,
  });
  return { markers, sent };
}

test('one request per leader, carrying the producer, the result and the coordinator epoch', async () => {
  const { markers, sent } = sender(new Map([['a-0', 1], ['a-1', 2], ['b-0', 1]]), () => ErrorCode.NONE);
  assert.equal(await markers.write(marker, () => true), true);
  const byNode = new Map(sent.map((s) => [s.nodeId, s.request.markers[0]]));
  assert.deepEqual([...byNode.keys()].sort(), [1, 2]);
  assert.deepEqual(byNode.get(1)!.topics, [{ name: 'a', partitionIndexes: [0] }, { name: 'b', partitionIndexes: [0] }]);
  assert.deepEqual(byNode.get(2)!.topics, [{ name: 'a', partitionIndexes: [1] }]);
  const { producerId, producerEpoch, transactionResult, coordinatorEpoch } = byNode.get(1)!;
  assert.deepEqual([producerId, producerEpoch, transactionResult, coordinatorEpoch], [7n, 3, true, 5]);
});

test('failed partitions are sent again, to the leader named then; deleted partitions are done; the first failure is logged', async () => {
  const leaders = new Map([['a-0', 1], ['a-1', 2]]);
  const lines: string[] = [];
  const { markers, sent } = sender(
    leaders,
    (topic, partition, attempt) => {
      if (topic === 'a' && partition === 1 && attempt === 1) {
        leaders.set('a-1', 3);
        return ErrorCode.NOT_LEADER_OR_FOLLOWER;
      }
      return ErrorCode.NONE;
    },
    lines,
  );
  assert.equal(await markers.write(marker, () => true), true);
  assert.deepEqual(
    sent.map((s) => [s.nodeId, s.request.markers[0].topics]),
    [
      [1, [{ name: 'a', partitionIndexes: [0] }]],
      [2, [{ name: 'a', partitionIndexes: [1] }]],
      [3, [{ name: 'a', partitionIndexes: [1] }]],
    ],
  );
  assert.equal(lines.length, 1);
  assert.match(lines[0], /commit markers of transaction t .*a-1 at broker 2: NOT_LEADER_OR_FOLLOWER/);
});

test('a stale answer or a coordinator that gave the transaction up ends the writing', async () => {
  const lines: string[] = [];
  const fenced = sender(new Map([['a-0', 1], ['a-1', 1], ['b-0', 1]]), () => ErrorCode.TRANSACTION_COORDINATOR_FENCED, lines);
  assert.equal(await fenced.markers.write(marker, () => true), false);
  assert.equal(fenced.sent.length, 1);
  assert.match(lines.join('\n'), /giving up the commit markers of transaction t .*TRANSACTION_COORDINATOR_FENCED/);

  let current = true;
  const leaderless = sender(new Map([['a-0', -1], ['a-1', -1], ['b-0', -1]]), () => ErrorCode.NONE);
  const written = leaderless.markers.write(marker, () => current);
  current = false;
  assert.equal(await written, false);
  assert.equal(leaderless.sent.length, 0);
});
