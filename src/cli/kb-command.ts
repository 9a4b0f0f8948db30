/**
 * The bases of `kb` commands. KbLocalCommand (commands that need no broker
 * connection, e.g. `kb cluster up`): --debug and the error -> exit code
 * mapping: usage errors exit 2 with a pointer to the command's --help,
 * runtime errors exit 1 with a message naming what went wrong and what to
 * do; a stack trace only with --debug. KbCommand (every client-side
 * command) adds the shared flags -b/--brokers (--bootstrap-server alias),
 * --timeout, -X/-F and --profile (client-settings.ts: how they combine
 * with KB_BROKERS and profiles), and a lazily created Cluster client,
 * secured as those settings say, closed after the command.
 */
import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { Cluster, ClusterUnreachableError } from '../client/cluster.ts';
import { SaslAuthenticationError } from '../net/sasl-login.ts';
import { parseHostPort } from '../net/host-port.ts';
import { int32Max } from '../protocol/wire-limits.ts';
import { connectionSecurity } from './client-config.ts';
import { clientConfigFlags, defaultBrokers, loginPassword, profileFlag, resolveClientConfig } from './client-settings.ts';

export type KbFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof KbCommand)['baseFlags'] & T['flags']>;

/** A runtime failure the user can act on: exits 1 with the message. */
export class UserError extends Error {
  override name = 'UserError';
}

/** A usage failure (bad flag combination, missing argument): exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export abstract class KbLocalCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({ description: 'print stack traces of errors', default: false, helpGroup: 'GLOBAL' }),
  };

  /**
   * Prints "Error: message" (unwrapped, one block on stderr, with --json
   * too) and exits 2 for usage errors (ours and oclif's), 1 otherwise.
   */
  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    if (err instanceof Errors.ExitError) throw err;
    if (process.argv.includes('--debug')) process.stderr.write(`${err.stack ?? String(err)}\n`);
    let message = err.message;
    let exit = 1;
    if (err.oclif?.exit !== undefined) exit = err.oclif.exit;
    else if (err instanceof UsageError) [message, exit] = [`${message}\nSee more help with: ${this.config.bin} ${this.id?.replaceAll(':', ' ')} --help`, 2];
    else if (err instanceof ClusterUnreachableError) message += '\nIs the broker running? -b/--brokers (or KB_BROKERS) must name it.';
    else if (err instanceof SaslAuthenticationError) message += '\nCheck sasl.username, sasl.password and sasl.mechanism (-X, -F, KB_SASL_PASSWORD or the profile).';
    process.stderr.write(`Error: ${message}\n`);
    this.exit(exit);
  }
}

export abstract class KbCommand extends KbLocalCommand {
  static override baseFlags = {
    brokers: Flags.string({
      char: 'b',
      description: `bootstrap brokers, host:port[,host:port...] (env KB_BROKERS; else the profile's; else ${defaultBrokers})`,
      aliases: ['bootstrap-server'],
      helpGroup: 'GLOBAL',
    }),
    timeout: Flags.integer({ description: 'request timeout in milliseconds', default: 30_000, min: 1, max: int32Max, helpGroup: 'GLOBAL' }),
    ...clientConfigFlags,
    profile: profileFlag,
    ...KbLocalCommand.baseFlags,
  };

  private clusterClient: Cluster | null = null;

  /** The cluster client for the brokers and security settings (client-settings.ts), created on first use. */
  protected async cluster(): Promise<Cluster> {
    if (!this.clusterClient) {
      const { flags } = await this.parse(this.constructor as typeof KbCommand);
      const config = await resolveClientConfig(flags);
      let bootstrap;
      try {
        bootstrap = config['bootstrap.servers'].split(',').filter(Boolean).map((b) => parseHostPort(b.trim(), 9092));
      } catch (err) {
        throw new UsageError(`brokers (-b, bootstrap.servers, KB_BROKERS or the profile's): ${(err as Error).message}`);
      }
      const security = await connectionSecurity(config, loginPassword);
      this.clusterClient = new Cluster({ bootstrap, security, requestTimeoutMs: flags.timeout, connectTimeoutMs: Math.min(flags.timeout, 10_000) });
    }
    return this.clusterClient;
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    this.clusterClient?.close();
    return super.finally(err);
  }
}
