/**
 * Client quotas by user, with users authenticated by TLS client
 * certificates (ssl.principal.mapping.rules taking the CN): a
 * producer_byte_rate set for user alice throttles kcat producing as alice
 * (librdkafka logs the throttle times) and not kcat producing as bob on
 * the same listener; both deliver every record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../helpers/broker.ts';
import { runKb } from '../helpers/cli.ts';
import { kcat, kcatOk } from '../helpers/kcat.ts';
import { describeRun } from '../helpers/process.ts';
import { makeTestCa, openssl } from '../helpers/tls.ts';
import { requireTool, tools } from '../helpers/tools.ts';

const records = 40;
const valueBytes = 1000;

test("a user's producer_byte_rate throttles that user's client only", async (t) => {
  if (!requireTool(t, tools.kcat) || !requireTool(t, openssl)) return;
  const ca = await makeTestCa();
  t.after(() => ca.remove());
  const [server, alice, bob] = await Promise.all([ca.issue('server'), ca.issue('alice'), ca.issue('bob')]);
  const broker = await startBroker({
    listen: null,
    sets: {
      listeners: 'MTLS://127.0.0.1:0,PLAIN://127.0.0.1:0',
      'listener.security.protocol.map': 'MTLS:SSL,PLAIN:PLAINTEXT',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': server.keystore,
      'ssl.truststore.location': ca.caPem,
      'listener.name.mtls.ssl.client.auth': 'required',
      'ssl.principal.mapping.rules': 'RULE:^.*CN=([^,]+).*$/$1/,DEFAULT',
      'quota.window.num': 2,
      'quota.window.size.seconds': 1,
    },
  });
  t.after(() => broker.stop());
  const listeners = broker.listeners;
  const set = await runKb(['quota', 'set', '--user', 'alice', '--producer-byte-rate', '10KB'], { env: { KB_BROKERS: listeners.get('PLAIN')! } });
  assert.equal(set.code, 0, set.stderr);

  const input = `${'v'.repeat(valueBytes)}\n`.repeat(records);
  const produceAs = async (user: typeof alice, topic: string) => {
    const tls = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca.caPem}`, '-X', `ssl.certificate.location=${user.cert}`, '-X', `ssl.key.location=${user.key}`];
    // One record a request: each throttled answer holds the next back.
    const result = await kcatOk(['-b', listeners.get('MTLS')!, ...tls, '-P', '-t', topic, '-X', 'linger.ms=0', '-X', 'batch.num.messages=1', '-X', 'max.in.flight=1'], { input, timeoutMs: 60_000 });
    const stored = await kcat(['-b', listeners.get('PLAIN')!, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%o\n'], { timeoutMs: 30_000 });
    assert.equal(stored.stdout.split('\n').filter(Boolean).length, records, describeRun(stored));
    return result.stderr;
  };
  const asAlice = await produceAs(alice, 'alice-topic');
  assert.match(asAlice, /throttled request for \d+ms/, 'alice is throttled');
  const asBob = await produceAs(bob, 'bob-topic');
  assert.doesNotMatch(asBob, /throttled/, 'bob is not');
});
