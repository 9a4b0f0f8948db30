/**
 * `kb broker start`: runs a broker (and its controller) in the foreground
 * until SIGINT/SIGTERM, then stops cleanly (flushes logs, writes the
 * clean-shutdown marker). Once started it warns when the open file limit
 * is below what its partitions and connections may need (open-files.ts).
 * --bootstrap-user creates the cluster's first user when it has none, with
 * the password from --bootstrap-password-file or KB_BOOTSTRAP_PASSWORD
 * (never argv).
 * The cluster secret comes from --cluster-secret-file or KB_CLUSTER_SECRET
 * (broker/cluster-secret.ts), never from a flag's value.
 */
import { Flags } from '@oclif/core';
import { KbLocalCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { Broker } from '../../broker/broker.ts';
import { BrokerConfig } from '../../broker/config.ts';
import { clusterSecretEnv, readClusterSecret } from '../../broker/cluster-secret.ts';
import { stderrLogger } from '../../logger.ts';
import { openFileLimit, openFilesWarning } from '../../broker/open-files.ts';
import { parseHostPort, parseVoters, type Voter } from '../../net/host-port.ts';
import { int32Max } from '../../protocol/wire-limits.ts';
import { ListenerUsageError } from '../../broker/server/listeners-config.ts';
import { howToPassPassword, passwordFromFile, refusePasswordOnArgv } from '../../cli/password.ts';
import type { BootstrapUser } from '../../broker/bootstrap-user.ts';

export const defaultDataDir = 'kb-data';

const bootstrapPasswordEnv = 'KB_BOOTSTRAP_PASSWORD';

/** Longest a stop may take (a controlled shutdown is bounded by broker.session.timeout.ms well below this). */
const stopTimeoutMs = 60_000;

export default class BrokerStart extends KbLocalCommand {
  static override description = 'Run a broker in the foreground (a cluster of one unless --voters names others)';

  static override examples = [
    '<%= config.bin %> broker start',
    '<%= config.bin %> broker start --listen 0.0.0.0:9092 --advertised-listener kb1.example:9092 --data-dir /var/lib/kb',
    '<%= config.bin %> broker start --node-id 1 --listen 0.0.0.0:9092 --voters 1@10.0.0.1:9093,2@10.0.0.2:9093,3@10.0.0.3:9093',
    '<%= config.bin %> broker start --node-id 4 --listen 0.0.0.0:9092 --peer-listen 10.0.0.4:9093 --voters 1@10.0.0.1:9093,2@10.0.0.2:9093,3@10.0.0.3:9093',
    '<%= config.bin %> broker start --set num.partitions=3 --set log.segment.bytes=1048576',
    '<%= config.bin %> broker start --metrics-listen 127.0.0.1:9404',
    '<%= config.bin %> broker start --bootstrap-user admin --bootstrap-password-file /etc/kb/admin.pw',
  ];

  static override flags = {
    'node-id': Flags.integer({ description: 'this node id', default: 1, min: 0, max: int32Max }),
    listen: Flags.string({ description: 'HOST:PORT of the client listener, CLIENT:// (port 0 picks a free port; default 127.0.0.1:9092)' }),
    'peer-listen': Flags.string({ description: 'HOST:PORT of a broker-only node\'s peer listener, PEER:// (a voter\'s is its --voters entry)' }),
    'advertised-listener': Flags.string({ description: 'HOST:PORT clients are told to connect to (default: the listen address)' }),
    'data-dir': Flags.string({ description: 'directory for logs and metadata', default: defaultDataDir }),
    config: Flags.string({ description: 'Kafka-style properties file (key=value lines)' }),
    set: Flags.string({ description: 'a config setting key=value (repeatable), e.g. num.partitions=3', multiple: true }),
    voters: Flags.string({ description: 'controller quorum voters at their peer listeners: ID@HOST:PORT,... (this node alone by default)' }),
    'cluster-secret-file': Flags.string({ description: `file holding the cluster secret peers authenticate with (default: the ${clusterSecretEnv} environment variable)` }),
    'metrics-listen': Flags.string({ description: 'HOST:PORT to serve Prometheus metrics on at /metrics (port 0 picks a free port; off by default)' }),
    'bootstrap-user': Flags.string({ description: `create this SCRAM user when the cluster has no user yet (password from --bootstrap-password-file or ${bootstrapPasswordEnv})` }),
    'bootstrap-password-file': Flags.string({ description: 'read the bootstrap user\'s password from the first line of this file' }),
    'bootstrap-password': Flags.string({ hidden: true, description: 'refused: passwords are never taken from the command line' }),
  };

  /** The --bootstrap-user and its password, or undefined; a usage error (exit 2) when the password is missing or on argv. */
  private async bootstrapUser(flags: { 'bootstrap-user'?: string; 'bootstrap-password-file'?: string; 'bootstrap-password'?: string }): Promise<BootstrapUser | undefined> {
    const name = flags['bootstrap-user'];
    try {
      refusePasswordOnArgv(flags['bootstrap-password'], '--bootstrap-password', '--bootstrap-password-file', bootstrapPasswordEnv, false);
      if (name === undefined) return undefined;
      if (flags['bootstrap-password-file'] !== undefined) return { name, password: await passwordFromFile(flags['bootstrap-password-file'], '--bootstrap-password-file') };
      const password = process.env[bootstrapPasswordEnv];
      if (!password) throw new Error(`--bootstrap-user ${name} needs a password: ${howToPassPassword('--bootstrap-password-file', bootstrapPasswordEnv, false)}`);
      return { name, password };
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(BrokerStart);
    let listen;
    let peerListen;
    let advertised;
    let metricsListen;
    let voters: Voter[] = [];
    try {
      if (flags.listen) listen = parseHostPort(flags.listen);
      if (flags['peer-listen']) peerListen = parseHostPort(flags['peer-listen']);
      advertised = flags['advertised-listener'] ? parseHostPort(flags['advertised-listener']) : undefined;
      if (flags.voters) voters = parseVoters(flags.voters);
      if (flags['metrics-listen']) metricsListen = parseHostPort(flags['metrics-listen']);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const bootstrapUser = await this.bootstrapUser(flags);
    const logger = stderrLogger();
    let broker: Broker;
    try {
      const config = await BrokerConfig.load({ configFile: flags.config, sets: flags.set });
      config.set('node.id', String(flags['node-id']));
      const clusterSecret = await readClusterSecret(flags['cluster-secret-file'], process.env);
      broker = new Broker({
        config,
        listen,
        peerListen,
        advertised,
        dataDir: flags['data-dir'],
        voters: voters.length > 0 ? voters : undefined,
        metricsListen,
        bootstrapUser,
        clusterSecret,
        logger,
        onFatal: () => {
          process.exitCode = 1;
          process.kill(process.pid, 'SIGTERM');
        },
      });
      await broker.start();
      const partitions = broker.replicas.hostedPartitions();
      const warning = openFilesWarning(openFileLimit(), {
        partitions: partitions.length,
        sealedSegments: partitions.reduce((sum, p) => sum + p.log.segmentCount - 1, 0),
        segmentFilesOpenMax: config.int('log.segment.open.files.max'),
        maxConnections: config.int('max.connections'),
      });
      if (warning) logger.warn(warning);
    } catch (err) {
      const message = (err as Error).message;
      throw err instanceof ListenerUsageError ? new UsageError(message) : new UserError(message);
    }
    await new Promise<never>(() => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          logger.warn(`${signal} received again: exiting without finishing the stop`);
          process.exit(1);
        }
        stopping = true;
        logger.info(`${signal} received, stopping`);
        // A stop that hangs (a bug) must not keep the process alive: the logs' own recovery covers what it did not finish.
        const watchdog = setTimeout(() => {
          logger.error(`stopping took longer than ${stopTimeoutMs} ms (stuck ${broker.stopStage}): exiting without finishing it`);
          process.exit(1);
        }, stopTimeoutMs).unref();
        broker.stop().then(
          () => {
            clearTimeout(watchdog);
            // Stopped cleanly: nothing left to wait for, even if something forgot to clear a timer.
            process.exit(process.exitCode ?? 0);
          },
          (err: Error) => {
            clearTimeout(watchdog);
            logger.error(`unclean stop: ${err.message}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
  }
}
