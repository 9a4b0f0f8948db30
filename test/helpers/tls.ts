/**
 * A test CA made with `openssl` (Debian's), in a fresh temporary directory:
 * `issue(name, ...)` writes a key and a certificate signed by the CA, valid
 * for 127.0.0.1 and localhost, as separate PEM files and as one keystore
 * PEM (key + certificate + CA, what `ssl.keystore.location` takes);
 * `makeClusterCa` issues one for each node of a test cluster. Every
 * openssl call is bounded in time and fails with its output. `remove()`
 * deletes the directory; register it with `t.after`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeRun, run } from './process.ts';
import type { Tool } from './tools.ts';

export const openssl: Tool = { name: 'openssl', probe: ['openssl', 'version'], install: 'apt-get install openssl' };

export interface Issued {
  /** The certificate (PEM). */
  cert: string;
  /** Its private key (PEM, unencrypted unless issued with a password). */
  key: string;
  /** Key, certificate and CA in one PEM file: an `ssl.keystore.location`. */
  keystore: string;
}

export interface TestCa {
  dir: string;
  /** The CA certificate (PEM): an `ssl.truststore.location`, a client's `ssl.ca.location`. */
  caPem: string;
  issue(name: string, options?: { subject?: string; days?: number; keyPassword?: string }): Promise<Issued>;
  remove(): Promise<void>;
}

async function openSsl(args: string[]): Promise<void> {
  const result = await run('openssl', args, { timeoutMs: 30_000 });
  assert.equal(result.code, 0, `openssl failed:\n${describeRun(result)}`);
}

/** A CA named `caName` (its subject CN) in a new directory. */
export async function makeTestCa(caName = 'kb test CA', dir?: string): Promise<TestCa> {
  const root = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'kb-test-ca-')));
  const caKey = path.join(root, 'ca.key');
  const caPem = path.join(root, 'ca.pem');
  await openSsl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caPem, '-days', '3', '-subj', `/CN=${caName}`]);
  const extensions = path.join(root, 'san.ext');
  await writeFile(extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  let serial = 1;
  return {
    dir: root,
    caPem,
    async issue(name, options = {}) {
      const base = path.join(root, `${name}-${serial}`);
      const key = `${base}.key`;
      const cert = `${base}.pem`;
      const keystore = `${base}.keystore.pem`;
      const encrypt = options.keyPassword === undefined ? ['-nodes'] : ['-passout', `pass:${options.keyPassword}`];
      await openSsl(['req', '-newkey', 'rsa:2048', ...encrypt, '-keyout', key, '-out', `${base}.csr`, '-subj', options.subject ?? `/O=kb/CN=${name}`]);
      await openSsl(['x509', '-req', '-in', `${base}.csr`, '-CA', caPem, '-CAkey', caKey, '-set_serial', String(serial++), '-out', cert, '-days', String(options.days ?? 2), '-extfile', extensions]);
      const pems = await Promise.all([key, cert, caPem].map((f) => readFile(f, 'utf8')));
      await writeFile(keystore, pems.join(''));
      return { cert, key, keystore };
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** A test CA, removed after `t`, and a certificate of it for each of nodes 1 to `nodes` (CN kb-node-<id>), by node id. */
export async function makeClusterCa(t: { after(fn: () => Promise<void>): void }, nodes: number): Promise<{ ca: TestCa; certificates: Map<number, Issued> }> {
  const ca = await makeTestCa();
  t.after(() => ca.remove());
  const certificates = new Map<number, Issued>();
  for (let id = 1; id <= nodes; id++) certificates.set(id, await ca.issue(`kb-node-${id}`));
  return { ca, certificates };
}

/** `--set` settings of an SSL listener named `listener` with `keystore`, checking client certificates against `ca` as `clientAuth` says. */
export function sslListenerSets(listener: string, keystore: string, ca: string, clientAuth: 'required' | 'requested' | 'none'): Record<string, string> {
  const prefix = `listener.name.${listener.toLowerCase()}.`;
  return {
    [`${prefix}ssl.keystore.type`]: 'PEM',
    [`${prefix}ssl.keystore.location`]: keystore,
    [`${prefix}ssl.truststore.location`]: ca,
    [`${prefix}ssl.client.auth`]: clientAuth,
  };
}
