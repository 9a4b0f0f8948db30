/**
 * `kb console [--listen 127.0.0.1:8080] [-b ... | --profile P]
 * [--metrics URL...]`: serves the web console (src/console/) until
 * SIGINT/SIGTERM. It is a client of the cluster like every kb command
 * (-b, -X, -F, --profile), so it works with any Kafka-compatible cluster;
 * the cluster may be down when it starts (the UI says so).
 *
 * Loopback (127.0.0.0/8, ::1, localhost) by default. Any other --listen
 * address needs a login: a password from --password-file (its first line)
 * or KB_CONSOLE_PASSWORD (empty: none); without one the command refuses
 * (exit 2). Given
 * a password, loopback asks for it too. The start line on stderr names the
 * URL: `kb console on http://127.0.0.1:8080/ (cluster 127.0.0.1:9092)`.
 * --metrics (repeatable) names brokers' Prometheus pages (`kb broker start
 * --metrics-listen`) whose per-topic byte counters feed the charts.
 */
import { Flags } from '@oclif/core';
import { KbCommand, UsageError, UserError } from '../cli/kb-command.ts';
import { passwordFromFile } from '../cli/password.ts';
import { resolveClientConfig } from '../cli/client-settings.ts';
import { parseHostPort } from '../net/host-port.ts';
import { stderrLogger } from '../logger.ts';
import { Sessions } from '../console/server/auth.ts';
import { History } from '../console/server/history.ts';
import { startConsoleServer } from '../console/server/server.ts';
import { uiAssets } from '../console/server/ui-assets.ts';

export const consolePasswordEnv = 'KB_CONSOLE_PASSWORD';

function loopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export default class Console extends KbCommand {
  static override description = 'Serve the web console: overview, topics, messages, consumer groups, balance (loopback by default)';
  static override examples = [
    '<%= config.bin %> console',
    '<%= config.bin %> console -b kb1:9092,kb2:9092 --listen 127.0.0.1:8081',
    'KB_CONSOLE_PASSWORD=... <%= config.bin %> console --listen 0.0.0.0:8080',
    '<%= config.bin %> console --metrics http://127.0.0.1:9644/metrics',
  ];
  static override flags = {
    listen: Flags.string({ description: 'HOST:PORT to serve on (port 0: a free one); other than loopback needs a password', default: '127.0.0.1:8080' }),
    'password-file': Flags.string({ description: `the login password: the first line of this file (or set ${consolePasswordEnv})` }),
    metrics: Flags.string({ description: "a broker's Prometheus /metrics URL for the charts (repeatable)", multiple: true, default: [] }),
    // Replaces the shared --timeout default (30 s): a page should not wait that long for a broker that is gone.
    timeout: Flags.integer({ description: 'request timeout in milliseconds', default: 10_000, min: 1, max: 600_000, helpGroup: 'GLOBAL' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Console);
    let listen;
    try {
      listen = parseHostPort(flags.listen);
    } catch (err) {
      throw new UsageError(`--listen ${flags.listen}: ${(err as Error).message}`);
    }
    for (const url of flags.metrics) if (!/^https?:\/\/./.test(url)) throw new UsageError(`--metrics ${url}: expected an http:// or https:// URL`);
    const password = flags['password-file'] !== undefined ? await passwordFromFile(flags['password-file'], '--password-file') : (process.env[consolePasswordEnv] || null);
    if (password === '') throw new UsageError('the console password is empty');
    if (password === null && !loopback(listen.host)) {
      throw new UsageError(`--listen ${flags.listen} is not a loopback address: the console then needs a login; give a password with --password-file FILE or ${consolePasswordEnv}`);
    }
    const log = stderrLogger();
    const cluster = await this.cluster();
    const history = new History(cluster, flags.metrics, log);
    const { server, url } = await startConsoleServer({ ...listen, cluster, sessions: new Sessions(password), history, assets: await uiAssets(), log }).catch((err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is in use' : err.code === 'EADDRNOTAVAIL' ? 'no interface has that address' : err.message;
      throw new UserError(`cannot serve on ${flags.listen}: ${why}; choose another with --listen HOST:PORT`);
    });
    history.start();
    const bootstrap = (await resolveClientConfig(flags))['bootstrap.servers'];
    process.stderr.write(`kb console on ${url} (cluster ${bootstrap}${password === null ? '' : ', login required'})\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    history.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
