/**
 * The cluster secret, with which nodes prove to each other that they belong
 * (KB-CLUSTER-SECRET, net/peer-auth.ts). It comes from a file
 * (`--cluster-secret-file FILE`: its content, without the trailing line
 * break) or else the environment variable KB_CLUSTER_SECRET, never from
 * argv (`--set cluster.secret=...` is refused: config.ts), and is at least
 * clusterSecretLengthMin characters. `kb cluster up` generates one
 * (`generateClusterSecret`).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { clusterSecretLengthMin } from '../net/peer-auth.ts';
import { ConfigError } from './config.ts';

export const clusterSecretEnv = 'KB_CLUSTER_SECRET';

/** The secret from `file` or else `env`, as bytes; null when neither gives one. */
export async function readClusterSecret(file: string | undefined, env: NodeJS.ProcessEnv): Promise<Buffer | null> {
  let text: string;
  let source: string;
  if (file !== undefined) {
    try {
      text = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError(`cannot read the cluster secret file ${file}: ${(err as Error).message}`);
    }
    source = `the cluster secret file ${file}`;
  } else {
    const value = env[clusterSecretEnv];
    if (value === undefined || value === '') return null;
    text = value;
    source = clusterSecretEnv;
  }
  if (text.length < clusterSecretLengthMin) {
    throw new ConfigError(`${source} holds ${text.length} characters: a cluster secret needs at least ${clusterSecretLengthMin} (kb cluster up generates one: 32 random bytes, base64url)`);
  }
  return Buffer.from(text, 'utf8');
}

/** A new cluster secret: 32 random bytes, base64url (43 characters). */
export function generateClusterSecret(): string {
  return randomBytes(32).toString('base64url');
}
