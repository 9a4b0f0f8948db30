/**
 * @platformatic/kafka transactions against a real `kb broker start`: a
 * transactional Producer (beginTransaction, send, commit; and abort) over
 * two partitions; kcat with read_committed reads exactly the committed
 * records, read_uncommitted both transactions' records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { startBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatConsumeAll } from '../helpers/kcat.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { withTimeout } from '../helpers/records.ts';

test('@platformatic/kafka transactions: commit and abort; read_committed sees the committed records only', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const broker = await startBroker({ sets: { 'transaction.state.log.num.partitions': 2 } });
  t.after(() => broker.stop());
  const created = await runKb(['topic', 'create', 'pk-out', '--partitions', '2', '--rf', '1', '-b', broker.address]);
  assert.equal(created.code, 0, created.stderr);
  const producer = new Producer({
    clientId: 'kb-interop-platformatic-txn',
    bootstrapBrokers: [broker.address],
    idempotent: true,
    transactionalId: 'pk-tx',
    serializers: stringSerializers,
    retries: 2,
    retryDelay: 200,
    timeout: 10_000,
  });
  t.after(() => producer.close());
  const messages = (label: string) => Array.from({ length: 6 }, (_, i) => ({ topic: 'pk-out', partition: i % 2, value: `${label}-${i}` }));

  const committed = await withTimeout(producer.beginTransaction(), 15_000, 'beginTransaction');
  await withTimeout(committed.send({ messages: messages('committed') }), 15_000, 'send');
  await withTimeout(committed.commit(), 15_000, 'commit');
  const aborted = await withTimeout(producer.beginTransaction(), 15_000, 'beginTransaction');
  await withTimeout(aborted.send({ messages: messages('aborted') }), 15_000, 'send');
  await withTimeout(aborted.abort(), 15_000, 'abort');

  const values = async (isolation: string) => (await kcatConsumeAll(broker.address, 'pk-out', ['-X', `isolation.level=${isolation}`])).map((r) => String(r.value)).sort();
  assert.deepEqual(await values('read_committed'), messages('committed').map((m) => m.value).sort());
  assert.deepEqual(await values('read_uncommitted'), [...messages('committed'), ...messages('aborted')].map((m) => m.value).sort());
});
