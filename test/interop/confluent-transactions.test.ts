/**
 * confluent-kafka's transactional producer against a real `kb broker start`
 * (test/interop/scripts/confluent_transactions.py): a committed transaction
 * over three partitions with the group's offsets (send_offsets_to_transaction)
 * and an aborted one. A read_committed consumer sees every committed record
 * once and no aborted one, a read_uncommitted one sees both, and the group's
 * offsets are the ones the committed transaction sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { runPythonScript } from '../helpers/python.ts';
import { requireTool, tools } from '../helpers/tools.ts';

interface Output {
  committed_read: string[];
  uncommitted_read: string[];
  group_offsets: Record<string, number>;
}

test('confluent-kafka transactions: commit with offsets, abort; read_committed and read_uncommitted consumers', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, tools.confluentKafka)) return;
  const broker = await startBroker({ sets: { 'transaction.state.log.num.partitions': 4, 'offsets.topic.num.partitions': 4 } });
  t.after(() => broker.stop());
  const created = await runKb(['topic', 'create', 'txn-out', '--partitions', '3', '--rf', '1', '-b', broker.address]);
  assert.equal(created.code, 0, created.stderr);
  const input = { bootstrap: broker.address, topic: 'txn-out', partitions: 3, group: 'eos', transactional_id: 'tx-1', committed: 30, aborted: 20 };
  const result = await runPythonScript<Output>('confluent_transactions.py', input, 90_000);
  const committed = Array.from({ length: 30 }, (_, i) => `committed-${i}`);
  const aborted = Array.from({ length: 20 }, (_, i) => `aborted-${i}`);
  assert.deepEqual([...result.committed_read].sort(), [...committed].sort());
  assert.deepEqual([...result.uncommitted_read].sort(), [...committed, ...aborted].sort());
  assert.deepEqual(result.group_offsets, { 0: 1000, 1: 1001, 2: 1002 });
});
