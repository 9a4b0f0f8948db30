/**
 * The security of a local cluster started with `kb cluster up --secure`,
 * in DIR/secure/ (mode 0700). Each file is made once and kept across
 * `up`s (so profiles and clients configured before keep working), written
 * under a temporary name and renamed into place, so a kill -9 leaves a
 * whole file or none (a CA key without its certificate is made again):
 *   ca.key, ca.pem     a local CA (RSA 2048, 825 days), made with openssl
 *   node-<id>.pem      node <id>'s keystore: its key, its certificate
 *                      (CN=kb-node-<id>, for 127.0.0.1 and localhost) and the CA
 *   <user>.password    the first user's password (random, mode 0600)
 * `nodeArgs` gives each node: the CLIENT listener SASL_SSL (SCRAM), the
 * PEER listener SSL with ssl.client.auth=required (mTLS, with the cluster
 * secret as ever), the authorizer on with the user as its only super
 * user, and the user as --bootstrap-user (its password from the file).
 * `clientConfig` is what a client sets to log in as that user, with
 * librdkafka's names: kb's profile and kcat's -X settings.
 *
 * openssl must be on the PATH; without it a UserError says so.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ClientConfig } from '../client-config.ts';
import { UserError } from '../kb-command.ts';

const run = promisify(execFile);
export const secureDirName = 'secure';
const validDays = '825';
const opensslTimeoutMs = 60_000;
const passwordBytes = 24;
/** The mechanism of the bootstrap user's credential (bootstrap-user.ts). */
const mechanism = 'SCRAM-SHA-512';

export interface SecureFiles {
  dir: string;
  caPem: string;
  user: string;
  passwordFile: string;
  /** Node id -> keystore. */
  keystores: Map<number, string>;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: opensslTimeoutMs });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new UserError('kb cluster up --secure makes its certificates with openssl, which is not on the PATH: install it (Debian: apt-get install openssl)');
    throw new UserError(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

async function exists(file: string): Promise<boolean> {
  return readFile(file).then(
    () => true,
    () => false,
  );
}

/** Makes DIR/secure's files for nodes 1..`nodes` and `user` where they are missing; the files. */
export async function ensureSecureFiles(clusterDir: string, nodes: number, user: string): Promise<SecureFiles> {
  const dir = path.join(path.resolve(clusterDir), secureDirName);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caKey = path.join(dir, 'ca.key');
  const caPem = path.join(dir, 'ca.pem');
  if (!(await exists(caPem))) {
    await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${caKey}.tmp`, '-out', `${caPem}.tmp`, '-days', validDays, '-subj', `/O=kb/CN=kb local CA ${path.basename(path.resolve(clusterDir))}`]);
    await chmod(`${caKey}.tmp`, 0o600);
    await rename(`${caKey}.tmp`, caKey);
    await rename(`${caPem}.tmp`, caPem);
  }
  const keystores = new Map<number, string>();
  for (let id = 1; id <= nodes; id++) {
    const keystore = path.join(dir, `node-${id}.pem`);
    if (!(await exists(keystore))) await issueNodeKeystore(dir, id, caKey, caPem, keystore);
    keystores.set(id, keystore);
  }
  const passwordFile = path.join(dir, `${user}.password`);
  if (!(await exists(passwordFile))) {
    await writeFile(`${passwordFile}.tmp`, `${randomBytes(passwordBytes).toString('base64url')}\n`, { mode: 0o600 });
    await rename(`${passwordFile}.tmp`, passwordFile);
  }
  return { dir, caPem, user, passwordFile, keystores };
}

async function issueNodeKeystore(dir: string, id: number, caKey: string, caPem: string, keystore: string): Promise<void> {
  const base = path.join(dir, `node-${id}.tmp`);
  const [key, csr, cert, extensions] = ['key', 'csr', 'crt', 'ext'].map((ext) => `${base}.${ext}`);
  try {
    await writeFile(extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/O=kb/CN=kb-node-${id}`]);
    await openssl(['x509', '-req', '-in', csr, '-CA', caPem, '-CAkey', caKey, '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', validDays, '-out', cert, '-extfile', extensions]);
    const pems = await Promise.all([key, cert, caPem].map((f) => readFile(f, 'utf8')));
    await writeFile(`${keystore}.tmp`, pems.join(''), { mode: 0o600 });
    await rename(`${keystore}.tmp`, keystore);
  } finally {
    await Promise.all([key, csr, cert, extensions].map((f) => rm(f, { force: true })));
  }
}

/** Node `nodeId`'s `kb broker start` arguments for the secured cluster (before the operator's --set, which may override them). */
export function nodeArgs(files: SecureFiles, nodeId: number): string[] {
  const sets = {
    'listener.security.protocol.map': 'CLIENT:SASL_SSL,PEER:SSL',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': files.keystores.get(nodeId)!,
    'ssl.truststore.location': files.caPem,
    'listener.name.peer.ssl.client.auth': 'required',
    'authorizer.class.name': 'kb.StandardAuthorizer',
    'super.users': `User:${files.user}`,
  };
  return [...Object.entries(sets).flatMap(([key, value]) => ['--set', `${key}=${value}`]), '--bootstrap-user', files.user, '--bootstrap-password-file', files.passwordFile];
}

/** A client's settings to log in as the first user (librdkafka's names). */
export async function clientConfig(files: SecureFiles): Promise<ClientConfig> {
  const password = (await readFile(files.passwordFile, 'utf8')).split('\n')[0];
  return {
    'security.protocol': 'SASL_SSL',
    'ssl.ca.location': files.caPem,
    'sasl.mechanism': mechanism,
    'sasl.username': files.user,
    'sasl.password': password,
  };
}
