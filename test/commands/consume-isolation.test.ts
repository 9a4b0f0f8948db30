/**
 * `kb consume --isolation` against a real broker holding transactions
 * (written at the protocol level: transactional batches, then markers
 * through WriteTxnMarkers as the coordinator sends them): read_committed,
 * the default, prints committed records only and with -e stops at the last
 * stable offset while a transaction is still open; read_uncommitted prints
 * every record, aborted ones too. Control batches are never printed.
 * `kb log dump` shows the markers (type and coordinator epoch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { runKb } from '../helpers/cli.ts';
import { createTopic, plainBatch, produce, startTxnBroker, txnBatch, writeMarker } from '../helpers/txn.ts';

const topic = 'iso';

test('kb consume reads committed transactions only by default, every record with --isolation read_uncommitted; kb log dump shows the markers', async (t) => {
  const c = await startTxnBroker();
  t.after(() => c.close());
  assert.equal(await createTopic(c.client, topic), ErrorCode.NONE);
  const marker = (producerId: bigint, commit: boolean) => writeMarker(c.peer, topic, { producerId, producerEpoch: 0, commit, coordinatorEpoch: 0 });
  // aborted: a1 a2 (A); committed: b1 (B), interleaved with plain records; then C's open transaction.
  for (const [batch, what] of [
    [txnBatch(1n, 0, ['a1'], 0), 'a1'],
    [plainBatch(['p1']), 'p1'],
    [txnBatch(2n, 0, ['b1'], 0), 'b1'],
    [txnBatch(1n, 1, ['a2'], 0), 'a2'],
  ] as const) {
    assert.equal((await produce(c.client, topic, batch)).errorCode, ErrorCode.NONE, what);
  }
  assert.equal(await marker(1n, false), ErrorCode.NONE);
  assert.equal(await marker(2n, true), ErrorCode.NONE);
  assert.equal((await produce(c.client, topic, plainBatch(['p2']))).errorCode, ErrorCode.NONE);
  assert.equal((await produce(c.client, topic, txnBatch(3n, 0, ['c1'], 0))).errorCode, ErrorCode.NONE);
  assert.equal((await produce(c.client, topic, plainBatch(['p3']))).errorCode, ErrorCode.NONE);

  const consume = (...extra: string[]) => runKb(['consume', topic, '-b', c.broker.address, '-e', ...extra], { timeoutMs: 60_000 });
  const committed = await consume();
  assert.equal(committed.code, 0, committed.stderr);
  assert.deepEqual(committed.stdout.split('\n').filter(Boolean), ['p1', 'b1', 'p2'], 'committed records, up to the open transaction');
  const everything = await consume('--isolation', 'read_uncommitted');
  assert.equal(everything.code, 0, everything.stderr);
  assert.deepEqual(everything.stdout.split('\n').filter(Boolean), ['a1', 'p1', 'b1', 'a2', 'p2', 'c1', 'p3']);

  assert.equal(await marker(3n, true), ErrorCode.NONE);
  const after = await consume('--isolation', 'read_committed', '-f', '%o:%v\\n');
  assert.deepEqual(after.stdout.split('\n').filter(Boolean), ['1:p1', '2:b1', '6:p2', '7:c1', '8:p3'], 'C committed: everything after it too');
  const bad = await consume('--isolation', 'serializable');
  assert.equal(bad.code, 2, 'an unknown isolation level is a usage error');

  const segment = path.join(c.broker.dataDir, 'logs', `${topic}-0`, '00000000000000000000.log');
  const dump = await runKb(['log', 'dump', '--records', segment]);
  assert.equal(dump.code, 0, dump.stderr);
  const markerLines = dump.stdout.split('\n').filter((l) => l.includes('endTxnMarker'));
  assert.deepEqual(
    markerLines.map((l) => /offset: (\d+) .*endTxnMarker: (\w+) coordinatorEpoch: (\d+)/.exec(l)!.slice(1)),
    [['4', 'ABORT', '0'], ['5', 'COMMIT', '0'], ['9', 'COMMIT', '0']],
  );
  const json = JSON.parse((await runKb(['log', 'dump', '--json', segment])).stdout) as { entries: { baseOffset: number; control: boolean; marker?: unknown }[] };
  assert.deepEqual(json.entries.filter((e) => e.control).map((e) => [e.baseOffset, e.marker]), [
    [4, { type: 'ABORT', coordinatorEpoch: 0 }],
    [5, { type: 'COMMIT', coordinatorEpoch: 0 }],
    [9, { type: 'COMMIT', coordinatorEpoch: 0 }],
  ]);
});
