/**
 * Zombie fencing with confluent-kafka (test/interop/scripts/confluent_zombie.py):
 * a second producer with the same transactional id fences the first, whose
 * commit fails fatally (fenced); a read_committed consumer sees only the
 * second producer's committed record, none of the zombie's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { runPythonScript } from '../helpers/python.ts';
import { requireTool, tools } from '../helpers/tools.ts';

test('confluent-kafka: a second producer with the same transactional id fences the first, which cannot commit', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, tools.confluentKafka)) return;
  const broker = await startBroker({ sets: { 'transaction.state.log.num.partitions': 2 } });
  t.after(() => broker.stop());
  const created = await runKb(['topic', 'create', 'zombies', '--partitions', '1', '--rf', '1', '-b', broker.address]);
  assert.equal(created.code, 0, created.stderr);
  const result = await runPythonScript<{ zombie_error: string; zombie_fatal: boolean; committed_read: string[] }>(
    'confluent_zombie.py',
    { bootstrap: broker.address, topic: 'zombies', transactional_id: 'zombie-tx' },
    90_000,
  );
  assert.match(result.zombie_error, /FENCED|INVALID_PRODUCER_EPOCH/);
  assert.equal(result.zombie_fatal, true);
  assert.deepEqual(result.committed_read, ['successor-0']);
});
