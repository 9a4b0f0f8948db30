/**
 * The settings a client command connects with, and the shared flags that
 * give them: `-X/--property key=value` (repeatable), `-F/--config-file FILE`
 * (kcat's format) and `--profile NAME` (env KB_PROFILE; else the profile
 * in use, if any). Precedence, highest first: flags (`-b`), then `-X` over
 * `-F`, then the environment (KB_BROKERS, KB_SASL_PASSWORD), then the
 * profile; the default brokers come last.
 *
 * Passwords never come from argv: a secret (`sasl.password`,
 * `ssl.key.password`) given with `-X` is a usage error saying how to pass
 * it. A SASL password found nowhere is asked for on a TTY; without one it
 * is a usage error with the same advice.
 */
import { readFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { type ClientConfig, checkConfig, parseConfigLines, secretKeys } from './client-config.ts';
import { UsageError, UserError } from './kb-command.ts';
import { parseKeyValuePairs } from './key-values.ts';
import { profileNamed, loadProfiles } from './profiles.ts';
import { askPassword, interactive } from './prompts.ts';

export const defaultBrokers = '127.0.0.1:9092';
export const saslPasswordEnv = 'KB_SASL_PASSWORD';

/** -X and -F: the settings given on this command line. */
export const clientConfigFlags = {
  property: Flags.string({
    char: 'X',
    description: "client setting key=value with librdkafka's names (repeatable), e.g. -X security.protocol=SASL_SSL",
    multiple: true,
    multipleNonGreedy: true,
    helpGroup: 'GLOBAL',
  }),
  'config-file': Flags.string({ char: 'F', description: "file of client settings, key=value lines (kcat's -F format)", helpGroup: 'GLOBAL' }),
};

export const profileFlag = Flags.string({ description: 'use this profile (kb profile list) instead of the one in use', env: 'KB_PROFILE', helpGroup: 'GLOBAL' });

export interface ClientSettingFlags {
  brokers?: string;
  property?: string[];
  'config-file'?: string;
  profile?: string;
}

function howToPass(key: string): string {
  const env = key === 'sasl.password' ? `, set ${saslPasswordEnv}` : '';
  return `put ${key}=... in a file given with -F${env}, store it in a profile (kb profile create), or let kb ask for it on a terminal`;
}

/** The settings of -F then -X (-X wins); a secret on -X is refused. */
export async function explicitConfig(flags: ClientSettingFlags): Promise<ClientConfig> {
  let fromFile: ClientConfig = {};
  const file = flags['config-file'];
  if (file !== undefined) {
    fromFile = checkConfig(parseConfigLines(await readText(file, '-F'), `-F ${file}`), `-F ${file}`);
  }
  let pairs: [string, string][];
  try {
    pairs = parseKeyValuePairs(flags.property ?? [], '-X');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const fromArgv = checkConfig(pairs, '-X');
  for (const key of secretKeys) {
    if (key in fromArgv) throw new UsageError(`-X ${key} is refused: a password on the command line shows in ps and in shell history; ${howToPass(key)}`);
  }
  return { ...fromFile, ...fromArgv };
}

/** Every setting the command connects with, by the precedence of the header; bootstrap.servers always set. */
export async function resolveClientConfig(flags: ClientSettingFlags, env: NodeJS.ProcessEnv = process.env): Promise<ClientConfig> {
  const store = await loadProfiles(env);
  const profileName = flags.profile ?? store.current;
  const profile = profileName === null ? { config: {} } : profileNamed(store, profileName);
  const fromEnv: ClientConfig = {};
  if (env.KB_BROKERS) fromEnv['bootstrap.servers'] = env.KB_BROKERS;
  if (env[saslPasswordEnv]) fromEnv['sasl.password'] = env[saslPasswordEnv];
  const fromFlags: ClientConfig = flags.brokers === undefined ? {} : { 'bootstrap.servers': flags.brokers };
  const fromProfile: ClientConfig = { ...profile.config, ...(profile.brokers === undefined ? {} : { 'bootstrap.servers': profile.brokers }) };
  return { 'bootstrap.servers': defaultBrokers, ...fromProfile, ...fromEnv, ...(await explicitConfig(flags)), ...fromFlags };
}

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** A SASL password the settings lack: asked for on a TTY, else a usage error saying how to pass it. */
export function loginPassword(username: string): Promise<string> {
  if (!interactive()) throw new UsageError(`no SASL password for user ${username}: ${howToPass('sasl.password')}`);
  return askPassword(`SASL password for ${username}:`);
}
