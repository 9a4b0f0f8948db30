/**
 * What security costs, in one run (#24, #25): two kb nodes, each with the
 * same three client listeners, PLAINTEXT, SSL and SASL_SSL (SCRAM-SHA-512,
 * as a bootstrap user), its certificate from a test CA made by openssl;
 * one without an authorizer (`plain`), one with the authorizer on and one
 * ACL per topic (User:ANONYMOUS may do All on it; `acl`); topics and ACLs
 * are created up front, by the super user over SASL_SSL. Both nodes are
 * pinned to the server core, kcat to the client core. Round after round
 * (after a warm-up round, neither counted nor settled), kcat produces `records` values of `recordSize` bytes with
 * acks=1 to the plain node over each protocol and to the acl node over
 * PLAINTEXT, each into a topic of its own; then `kcat -C -e` reads each of
 * the plain node's topics back over the protocol it was written with.
 * Runs are timed by wall clock like lib/kb.ts's; record counts read back
 * are checked. Seconds per run, in round order. The nodes' data (in `dir`)
 * is deleted at the end.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../../test/helpers/broker.ts';
import { makeTestCa } from '../../test/helpers/tls.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { AclOperation, AclPermission, PatternType, ResourceType } from '../../src/protocol/acl.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import { clientCore, kcatInputFile, onCore, pin, serverCore, timedRun } from './processes.ts';

export const securityProtocols = ['PLAINTEXT', 'SSL', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof securityProtocols)[number];

export interface SecurityRuns {
  /** kcat produce into the plain node, per protocol. */
  ingest: Record<SecurityProtocol, number[]>;
  /** kcat -C -e from the plain node, per protocol. */
  consume: Record<SecurityProtocol, number[]>;
  /** kcat produce over PLAINTEXT into the node with the authorizer on and one ACL per topic. */
  ingestWithAcls: number[];
}

const user = 'bench';
const password = 'bench-password';
/** As lib/kb.ts: a short fetch wait keeps kcat -e's last empty fetch out of the figure, and offset 0 needs no offset lookup. */
const kcatFetchWaitMs = 10;

/** Listener names (as kb logs them) by protocol. */
const listenerOf: Record<SecurityProtocol, string> = { PLAINTEXT: 'PLAIN', SSL: 'SSL', SASL_SSL: 'SASL' };

export async function kbSecurity(dir: string, records: number, recordSize: number, rounds: number, timeLimitMs: number): Promise<SecurityRuns> {
  const input = kcatInputFile(dir, records, recordSize);
  const caDir = path.join(dir, 'security-ca');
  await mkdir(caDir, { recursive: true });
  const ca = await makeTestCa('kb bench CA', caDir);
  const brokers: RunningBroker[] = [];
  try {
    const { keystore } = await ca.issue('kb-bench');
    const start = async (name: string, authorizer: boolean) => {
      const broker = await startBroker({
        dataDir: path.join(dir, `kb-security-${name}`),
        listen: null,
        args: ['--bootstrap-user', user],
        env: { KB_BOOTSTRAP_PASSWORD: password },
        sets: {
          listeners: 'PLAIN://127.0.0.1:0,SSL://127.0.0.1:0,SASL://127.0.0.1:0',
          'listener.security.protocol.map': 'PLAIN:PLAINTEXT,SSL:SSL,SASL:SASL_SSL',
          'ssl.keystore.type': 'PEM',
          'ssl.keystore.location': keystore,
          ...(authorizer ? { 'authorizer.class.name': 'kb.StandardAuthorizer', 'super.users': `User:${user}` } : {}),
        },
      });
      brokers.push(broker);
      pin(broker.process.pid!, serverCore);
      return broker;
    };
    const plain = await start('plain', false);
    const acl = await start('acl', true);
    const settings: Record<SecurityProtocol, string[]> = {
      PLAINTEXT: [],
      SSL: ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ca.caPem}`],
      SASL_SSL: ['-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${ca.caPem}`, '-X', 'sasl.mechanism=SCRAM-SHA-512', '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`],
    };
    const roundNumbers = Array.from({ length: rounds + 1 }, (_, round) => round);
    const caPem = await readFile(ca.caPem);
    await createTopics(plain, caPem, roundNumbers.flatMap((round) => securityProtocols.map((protocol) => `${protocol}-${round}`)), false);
    await createTopics(acl, caPem, roundNumbers.map((round) => `acl-${round}`), true);
    const kcat = (broker: RunningBroker, protocol: SecurityProtocol, topic: string, args: string[]) =>
      onCore(clientCore, ['kcat', '-b', broker.listeners.get(listenerOf[protocol])!, '-t', topic, '-p', '0', ...settings[protocol], ...args]);
    const produce = async (broker: RunningBroker, protocol: SecurityProtocol, topic: string, counted: boolean) =>
      (await timedRun(kcat(broker, protocol, topic, ['-P', '-X', 'acks=1']), { stdinFile: input, timeLimitMs, settle: counted })).seconds;
    const consume = async (protocol: SecurityProtocol, topic: string) => {
      const run = await timedRun(kcat(plain, protocol, topic, ['-C', '-o', '0', '-e', '-q', '-f', '.', '-X', `fetch.wait.max.ms=${kcatFetchWaitMs}`]), { timeLimitMs });
      if (run.stdout.length !== records) throw new Error(`kcat read ${run.stdout.length} records back from ${topic} over ${protocol}, expected ${records}`);
      return run.seconds;
    };

    const runs: SecurityRuns = { ingest: { PLAINTEXT: [], SSL: [], SASL_SSL: [] }, consume: { PLAINTEXT: [], SSL: [], SASL_SSL: [] }, ingestWithAcls: [] };
    for (const round of roundNumbers) {
      const counted = round > 0; // round 0 warms both nodes up
      for (const protocol of securityProtocols) {
        const seconds = await produce(plain, protocol, `${protocol}-${round}`, counted);
        if (counted) runs.ingest[protocol].push(seconds);
      }
      const withAcls = await produce(acl, 'PLAINTEXT', `acl-${round}`, counted);
      if (counted) runs.ingestWithAcls.push(withAcls);
    }
    for (let round = 1; round <= rounds; round++) {
      for (const protocol of securityProtocols) runs.consume[protocol].push(await consume(protocol, `${protocol}-${round}`));
    }
    return runs;
  } finally {
    for (const broker of brokers) await broker.stop();
    await Promise.all(brokers.map((b) => rm(b.dataDir, { recursive: true, force: true })));
    await ca.remove();
  }
}

/** Creates `topics` (1 partition) on `broker` as the super user over SASL_SSL; `withAcls`: and one ACL per topic letting User:ANONYMOUS do All on it. */
async function createTopics(broker: RunningBroker, caPem: Buffer, topics: string[], withAcls: boolean): Promise<void> {
  const [host, port] = broker.listeners.get('SASL')!.split(':');
  const cluster = new Cluster({
    bootstrap: [{ host, port: Number(port) }],
    clientId: 'kb-bench-security',
    requestTimeoutMs: 30_000,
    security: { tls: { ca: caPem }, sasl: { mechanism: 'SCRAM-SHA-512', username: user, password } },
  });
  try {
    const connection = await cluster.connection(host, Number(port));
    const created = await connection.request(ApiKeys.CreateTopics, 7, {
      topics: topics.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
      timeoutMs: 30_000,
      validateOnly: false,
    });
    for (const t of created.topics) if (t.errorCode !== ErrorCode.NONE) throw new Error(`cannot create topic ${t.name}: ${errorName(t.errorCode)}`);
    if (!withAcls) return;
    const acls = await connection.request(ApiKeys.CreateAcls, 3, {
      creations: topics.map((name) => ({
        resourceType: ResourceType.TOPIC,
        resourceName: name,
        resourcePatternType: PatternType.LITERAL,
        principal: 'User:ANONYMOUS',
        host: '*',
        operation: AclOperation.ALL,
        permissionType: AclPermission.ALLOW,
      })),
    });
    for (const r of acls.results) if (r.errorCode !== ErrorCode.NONE) throw new Error(`cannot create an ACL: ${errorName(r.errorCode)}`);
  } finally {
    cluster.close();
  }
}
