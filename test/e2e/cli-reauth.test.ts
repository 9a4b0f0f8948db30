/**
 * kb's client re-authenticates (KIP-368, #24): against a SASL listener
 * whose logins last `connections.max.reauth.ms`, a `kb consume` in a group
 * that runs for two lifetimes and more logs in again on its connections before
 * each lifetime ends, so the broker never cuts one off (it closes a
 * connection whose session expired at its next request and logs it) and
 * the consumer reads what is produced after them. Meanwhile a connection
 * of kb's client in the test has four requests going at a time (each
 * worker asking again 10 ms after its answer): every one of them is
 * answered across the re-authentications.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';

/** Its last 10% (kb logs in again at 90%) is the margin a loaded machine's delays must fit in. */
const lifetimeMs = 4000;
/** Long enough for every connection of the consumer to outlive two logins. */
const runsForMs = 2.5 * lifetimeMs;
const inFlight = 4;
/** Between one worker's requests: busy enough to meet every re-authentication, idle enough for a shared machine. */
const paceMs = 10;

test('a kb consume outliving connections.max.reauth.ms twice re-authenticates on its connections and reads on', async (t) => {
  const broker = await startBroker({
    listen: null,
    args: ['--bootstrap-user', 'alice'],
    env: { KB_BOOTSTRAP_PASSWORD: 'alice secret' },
    sets: {
      listeners: 'SASL://127.0.0.1:0',
      'listener.security.protocol.map': 'SASL:SASL_PLAINTEXT',
      'connections.max.reauth.ms': lifetimeMs,
      'group.initial.rebalance.delay.ms': 0,
    },
  });
  t.after(() => broker.stop());
  const login = ['-b', broker.listeners.get('SASL')!, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanism=SCRAM-SHA-512', '-X', 'sasl.username=alice'];
  const env = { KB_SASL_PASSWORD: 'alice secret' };
  const created = await runKb(['topic', 'create', 'reauth', '--partitions', '1', '--rf', '1', ...login], { env });
  assert.equal(created.code, 0, created.stderr);
  const first = await runKb(['produce', 'reauth', ...login], { env, input: 'before\n' });
  assert.equal(first.code, 0, first.stderr);

  const consuming = runKb(['consume', 'reauth', '-g', 'readers', '-n', '2', ...login], { env, timeoutMs: 60_000 });
  // The fault needs time to pass: logins expiring under a running consumer, and under a connection kept busy here.
  const [host, port] = broker.listeners.get('SASL')!.split(':');
  const client = new Cluster({
    bootstrap: [{ host, port: Number(port) }],
    clientId: 'reauth-test',
    requestTimeoutMs: 15_000,
    security: { sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice secret' } },
  });
  t.after(() => client.close());
  const connection = await client.connection(host, Number(port));
  const until = performance.now() + runsForMs;
  let answered = 0;
  const keepAsking = async () => {
    while (performance.now() < until) {
      await connection.request(ApiKeys.Metadata, 9, { topics: [{ name: 'reauth', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      answered++;
      await new Promise((resolve) => setTimeout(resolve, paceMs));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, keepAsking));
  assert.ok(answered > inFlight, `${answered} requests answered`);
  const second = await runKb(['produce', 'reauth', ...login], { env, input: 'after\n' });
  assert.equal(second.code, 0, second.stderr);
  const consumed = await consuming;
  assert.equal(consumed.code, 0, consumed.stderr + broker.log());
  assert.deepEqual(consumed.stdout.trim().split('\n'), ['before', 'after']);
  assert.doesNotMatch(broker.log(), /after the session expired/);
});
