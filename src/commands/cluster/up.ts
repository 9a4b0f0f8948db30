/**
 * `kb cluster up`: starts a local development cluster of N nodes, every one
 * a voter, as detached `kb broker start` processes listening on 127.0.0.1:
 * node i's client listener on --base-port + i - 1, its peer listener on
 * --base-port + N + i - 1 (--base-port 0: free ports chosen by the OS), with
 * their data and logs under --data-dir (see src/cli/local-cluster/record.ts),
 * authenticating to each other with the cluster secret it generates there
 * on first use (`cluster.secret`).
 * All nodes are started before any is waited for (a quorum cannot form
 * until a majority runs); the command returns when every node has logged
 * its startup line, printing the bootstrap list and the `kb console` command
 * that watches the cluster. If a node exits or is late,
 * the nodes started are stopped again and the error shows that node's log.
 * Refuses (exit 1) while a cluster recorded in the directory still runs.
 *
 * --secure (needs openssl): a local CA and node certificates, a SASL_SSL
 * client listener, mTLS peer listeners, the authorizer on and a first
 * user (--bootstrap-user, its password generated into a 0600 file), all
 * in DIR/secure/ (local-cluster/secure.ts); once the nodes run, a profile
 * (--profile-name, default the directory's name) logging in as that user
 * is written and put in use, and kcat's settings are printed.
 */
import path from 'node:path';
import { Flags } from '@oclif/core';
import { KbLocalCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { formatHostPort } from '../../net/host-port.ts';
import { renderTable } from '../../cli/output.ts';
import { kbCommandLine } from '../../cli/self-command.ts';
import { freePorts } from '../../cli/local-cluster/ports.ts';
import { defaultClusterDir, ensureClusterSecret, newClusterRecord, planCluster, readClusterRecord, removeClusterRecord, writeClusterRecord, type ClusterRecord } from '../../cli/local-cluster/record.ts';
import { NodeStartError, runningPid, spawnNodes, stopAfterFailureMs, stopNodes, waitForStartup } from '../../cli/local-cluster/supervisor.ts';
import { int32Max } from '../../protocol/wire-limits.ts';
import { clientConfig, ensureSecureFiles, nodeArgs, type SecureFiles } from '../../cli/local-cluster/secure.ts';
import { checkProfileName, loadProfiles, saveProfiles } from '../../cli/profiles.ts';
import type { ClientConfig } from '../../cli/client-config.ts';

const host = '127.0.0.1';
const nodesMax = 32;
const userNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** What --secure made, in --json: the profile, and a client's settings (the password in its file). */
interface SecureSummary {
  profile: string;
  user: string;
  passwordFile: string;
  config: ClientConfig;
}

export default class ClusterUp extends KbLocalCommand {
  static override description = 'Start a local cluster of N nodes (all voters) as background processes';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> cluster up --nodes 3',
    '<%= config.bin %> cluster up --nodes 3 --base-port 0 --data-dir /tmp/kb3 --set num.partitions=3',
    '<%= config.bin %> cluster up --secure --bootstrap-user admin',
  ];

  static override flags = {
    nodes: Flags.integer({ description: 'number of nodes (node ids 1..N)', default: 3, min: 1, max: nodesMax }),
    'base-port': Flags.integer({ description: 'port of node 1; node i serves clients on base+i-1 and peers on base+N+i-1 (0: free ports)', default: 9092, min: 0, max: 65535 }),
    'data-dir': Flags.string({ description: 'directory for cluster.json and the nodes\' data dirs (node-<id>/)', default: defaultClusterDir }),
    set: Flags.string({ description: 'a broker config setting key=value for every node (repeatable)', multiple: true }),
    timeout: Flags.integer({ description: 'milliseconds to wait for every node to start', default: 60_000, min: 1, max: int32Max }),
    secure: Flags.boolean({
      description: 'TLS and SASL (SCRAM) for clients, mTLS between nodes, ACLs on, a first user and a profile for it; needs openssl (certificates in DATA-DIR/secure/)',
      default: false,
    }),
    'bootstrap-user': Flags.string({ description: 'with --secure: the first user (a super user); its password is generated into DATA-DIR/secure/NAME.password', default: 'admin', dependsOn: ['secure'] }),
    'profile-name': Flags.string({ description: 'with --secure: the profile to write (replaced if there) and use (default: the data dir\'s name)', dependsOn: ['secure'] }),
  };

  async run(): Promise<ClusterRecord & { secure?: SecureSummary }> {
    const { flags } = await this.parse(ClusterUp);
    const dir = flags['data-dir'];
    const portCount = 2 * flags.nodes;
    if (flags['base-port'] > 0 && flags['base-port'] + portCount - 1 > 65535) {
      throw new UsageError(`--base-port ${flags['base-port']} leaves no room for ${portCount} ports (a client and a peer port per node); choose a lower one (or 0 for free ports)`);
    }
    for (const set of flags.set ?? []) if (!set.includes('=')) throw new UsageError(`--set: "${set}" is not key=value`);
    const user = flags['bootstrap-user'];
    if (!userNamePattern.test(user)) throw new UsageError(`--bootstrap-user ${JSON.stringify(user)}: use letters, digits, '.', '_' and '-' (up to 64, starting with a letter or digit)`);
    const profileName = flags['profile-name'] ?? path.basename(path.resolve(dir));
    if (flags.secure) checkProfileName(profileName);

    const existing = await readClusterRecord(dir); // an unreadable record: exit 1 naming the file
    const running = (existing?.nodes ?? []).flatMap((n) => {
      const pid = runningPid(n);
      return pid === null ? [] : [`node ${n.nodeId} pid ${pid}`];
    });
    if (running.length > 0) {
      throw new UserError(`a cluster started from ${dir} is still running (${running.join(', ')}); stop it first: kb cluster down --data-dir ${dir}`);
    }

    const allPorts = flags['base-port'] === 0 ? await freePorts(host, portCount) : Array.from({ length: portCount }, (_, i) => flags['base-port'] + i);
    const [ports, peerPorts] = [allPorts.slice(0, flags.nodes), allPorts.slice(flags.nodes)];
    await ensureClusterSecret(dir);
    const secure = flags.secure ? await ensureSecureFiles(dir, flags.nodes, user) : null;
    const plan = planCluster({ dir, host, ports, peerPorts, sets: flags.set ?? [], nodeArgs: secure ? (id) => nodeArgs(secure, id) : undefined, kb: kbCommandLine });
    if (process.stderr.isTTY) process.stderr.write(`starting ${flags.nodes} node(s) in ${plan.dir} ...\n`);
    const started = spawnNodes(plan.nodes);
    const record = newClusterRecord(plan, started.map((s) => s.pid));
    await writeClusterRecord(dir, record);
    try {
      await waitForStartup(started, flags.timeout);
    } catch (err) {
      const outcomes = await stopNodes(record.nodes, stopAfterFailureMs);
      const stopped = outcomes.filter((n) => n.outcome !== 'not running').map((n) => `node ${n.nodeId} (pid ${n.pid}): ${n.outcome}`);
      await removeClusterRecord(dir);
      if (!(err instanceof NodeStartError)) throw err;
      throw new UserError(`${err.message}\n${stopped.length > 0 ? `Stopped the others: ${stopped.join(', ')}.` : 'No other node was running.'}`);
    }

    this.log(`started ${record.nodes.length} node(s) in ${plan.dir} (logs: node-<id>/broker.log)\n`);
    this.log(renderTable(['NODE', 'PID', 'ADDRESS', 'PEER ADDRESS'], record.nodes.map((n) => [n.nodeId, n.pid, formatHostPort(n), formatHostPort({ host: n.host, port: n.peerPort })])));
    if (!secure) {
      this.log(`\nbootstrap: ${record.bootstrap}\n(export KB_BROKERS=${record.bootstrap}; stop with: kb cluster down --data-dir ${dir})`);
      this.log(`web console: kb console -b ${record.bootstrap}`);
      return record;
    }
    const summary = await this.writeProfile(secure, profileName, record.bootstrap);
    const kcatSettings = Object.entries(summary.config).map(([key, value]) => `-X ${key}=${value}`);
    this.log(`\nbootstrap: ${record.bootstrap} (SASL_SSL; the nodes talk mTLS; ACLs on, ${user} is the super user)`);
    this.log(`profile ${profileName} is in use: kb logs in as ${user} (password in ${secure.passwordFile})`);
    this.log(`kcat -b ${record.bootstrap} ${kcatSettings.join(' ')} -X sasl.password="$(cat ${secure.passwordFile})" -L`);
    this.log(`web console: kb console --profile ${profileName}`);
    this.log(`(stop with: kb cluster down --data-dir ${dir})`);
    return { ...record, secure: summary };
  }

  /** Writes (or replaces) profile `name` logging in to `bootstrap` as the first user, and puts it in use. */
  private async writeProfile(secure: SecureFiles, name: string, bootstrap: string): Promise<SecureSummary> {
    const config = await clientConfig(secure);
    const store = await loadProfiles();
    store.profiles[name] = { brokers: bootstrap, config };
    store.current = name;
    await saveProfiles(store);
    const { 'sasl.password': _password, ...shown } = config;
    return { profile: name, user: secure.user, passwordFile: secure.passwordFile, config: shown };
  }
}
