/**
 * Profiles, as rpk has them: named sets of client settings (brokers and
 * librdkafka's security settings, passwords included) and which one is in
 * use, in `profiles.json` of the user's config dir: `$XDG_CONFIG_HOME/kb/`,
 * else `~/.config/kb/`. The dir is created 0700 and the file written 0600,
 * since it may hold passwords; a file others can read is refused.
 *
 * On disk: `{"current": NAME | null, "profiles": {NAME: {"brokers": ...,
 * "config": {key: value}}}}`. Writes go to a temporary file in the same
 * dir, synced, then renamed over the old one: a kill -9 at any point
 * leaves either the old file or the new one.
 */
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ClientConfig, checkConfig } from './client-config.ts';
import { UsageError, UserError } from './kb-command.ts';

export interface Profile {
  /** host:port,... (librdkafka's bootstrap.servers), when the profile names brokers. */
  brokers?: string;
  config: ClientConfig;
}

export interface ProfileStore {
  current: string | null;
  profiles: Record<string, Profile>;
}

const fileName = 'profiles.json';
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function profilesDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'kb');
}

export function profilesFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(profilesDir(env), fileName);
}

export function checkProfileName(name: string): void {
  if (!namePattern.test(name)) throw new UsageError(`profile name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-' (up to 64, starting with a letter or digit)`);
}

/** The store (empty when there is no file yet). */
export async function loadProfiles(env: NodeJS.ProcessEnv = process.env): Promise<ProfileStore> {
  const file = profilesFile(env);
  let text: string;
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0) throw new UserError(`${file} is readable by others (mode ${(info.mode & 0o777).toString(8)}) and may hold passwords: chmod 600 it`);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { current: null, profiles: {} };
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as ProfileStore;
    const profiles: Record<string, Profile> = {};
    for (const [name, profile] of Object.entries(parsed.profiles ?? {})) {
      profiles[name] = { ...(profile.brokers === undefined ? {} : { brokers: String(profile.brokers) }), config: checkConfig(Object.entries(profile.config ?? {}), `profile ${name}`) };
    }
    return { current: typeof parsed.current === 'string' && parsed.current in profiles ? parsed.current : null, profiles };
  } catch (err) {
    if (err instanceof UsageError) throw new UserError(`${file}: ${err.message}`);
    throw new UserError(`${file} is not a valid profiles file (${(err as Error).message}): fix or remove it`);
  }
}

/** Replaces the store on disk (see the header for crash safety). */
export async function saveProfiles(store: ProfileStore, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const dir = profilesDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = profilesFile(env);
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(store, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  const handleDir = await open(dir, 'r');
  try {
    await handleDir.sync();
  } finally {
    await handleDir.close();
  }
}

/** The profile `name` (a UserError naming those there are when missing). */
export function profileNamed(store: ProfileStore, name: string): Profile {
  const profile = store.profiles[name];
  if (!profile) {
    const known = Object.keys(store.profiles);
    throw new UserError(`no profile named ${name}: ${known.length > 0 ? `there are ${known.join(', ')}` : 'there are none yet (kb profile create NAME)'}`);
  }
  return profile;
}
