/**
 * Client settings with librdkafka's names, as `-X key=value`, `-F FILE`
 * and profiles hold them: `parseConfigLines` reads kcat's config file
 * format (`key=value` lines, `#` comments, blank lines), `checkConfig`
 * refuses unknown keys with a suggestion and folds aliases
 * (`sasl.mechanisms` is `sasl.mechanism`, `metadata.broker.list` is
 * `bootstrap.servers`), and `connectionSecurity` turns the settings into
 * the TLS and SASL options of a connection, reading the PEM files and
 * checking them (a key password that does not open the key) before any
 * connection is tried. Hostname verification is on unless
 * `ssl.endpoint.identification.algorithm=none`; TLS 1.2 at least.
 */
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import type { ConnectionSecurity } from '../client/cluster.ts';
import { type SaslMechanismName, saslMechanisms } from '../protocol/sasl-client.ts';
import { UsageError, UserError } from './kb-command.ts';

/** Settings by their canonical names. */
export type ClientConfig = Record<string, string>;

/** Every key kb takes, canonical names first, with its alias's canonical name. */
const keys: Record<string, string> = {
  'bootstrap.servers': 'bootstrap.servers',
  'metadata.broker.list': 'bootstrap.servers',
  'security.protocol': 'security.protocol',
  'sasl.mechanism': 'sasl.mechanism',
  'sasl.mechanisms': 'sasl.mechanism',
  'sasl.username': 'sasl.username',
  'sasl.password': 'sasl.password',
  'ssl.ca.location': 'ssl.ca.location',
  'ssl.certificate.location': 'ssl.certificate.location',
  'ssl.key.location': 'ssl.key.location',
  'ssl.key.password': 'ssl.key.password',
  'ssl.endpoint.identification.algorithm': 'ssl.endpoint.identification.algorithm',
};

/** Settings that are secrets: never from argv, never printed. */
export const secretKeys: readonly string[] = ['sasl.password', 'ssl.key.password'];

/** Settings naming files, made absolute when a profile stores them. */
export const fileKeys: readonly string[] = ['ssl.ca.location', 'ssl.certificate.location', 'ssl.key.location'];

export const securityProtocols = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;

/** The pairs of a kcat-style config file's text (`where` names it in errors). */
export function parseConfigLines(text: string, where: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new UsageError(`${where} line ${i + 1}: expected key=value, got ${JSON.stringify(line.slice(0, 80))}`);
    pairs.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return pairs;
}

/** The pairs as canonical settings (a later pair wins); an unknown key is a UsageError naming `where` and the nearest known key. */
export function checkConfig(pairs: [string, string][], where: string): ClientConfig {
  const config: ClientConfig = {};
  for (const [key, value] of pairs) {
    const canonical = keys[key];
    if (canonical === undefined) {
      const nearest = Object.keys(keys).sort((a, b) => editDistance(key, a) - editDistance(key, b))[0];
      const suggestion = editDistance(key, nearest) <= Math.max(3, key.length / 3) ? `did you mean ${nearest}? ` : '';
      throw new UsageError(`${where}: unknown client setting ${key}: ${suggestion}kb takes ${Object.keys(keys).join(', ')}`);
    }
    config[canonical] = value;
  }
  return config;
}

/** The TLS and SASL options the settings ask for (see the header); `password` supplies a SASL password the settings lack. */
export async function connectionSecurity(config: ClientConfig, password: (username: string) => Promise<string>): Promise<ConnectionSecurity> {
  const protocol = (config['security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  if (!(securityProtocols as readonly string[]).includes(protocol)) {
    throw new UsageError(`security.protocol ${config['security.protocol']}: expected one of ${securityProtocols.join(', ')}`);
  }
  const security: ConnectionSecurity = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') security.tls = await tlsOptions(config);
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = (config['sasl.mechanism'] ?? '').toUpperCase();
    if (!(saslMechanisms as readonly string[]).includes(mechanism)) {
      const given = config['sasl.mechanism'] === undefined ? 'is not set' : `${config['sasl.mechanism']} is not supported`;
      throw new UsageError(`security.protocol ${protocol} needs sasl.mechanism: it ${given}; use one of ${saslMechanisms.join(', ')}`);
    }
    const username = config['sasl.username'];
    if (!username) throw new UsageError(`security.protocol ${protocol} needs sasl.username`);
    security.sasl = { mechanism: mechanism as SaslMechanismName, username, password: config['sasl.password'] ?? (await password(username)) };
  }
  return security;
}

async function tlsOptions(config: ClientConfig): Promise<tls.ConnectionOptions> {
  const [ca, cert, key] = await Promise.all(['ssl.ca.location', 'ssl.certificate.location', 'ssl.key.location'].map((k) => readSetting(config, k)));
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('ssl.certificate.location and ssl.key.location go together: a client certificate needs its key');
  const identification = (config['ssl.endpoint.identification.algorithm'] ?? 'https').toLowerCase();
  if (identification !== 'https' && identification !== 'none') {
    throw new UsageError(`ssl.endpoint.identification.algorithm ${identification}: expected https (check the broker's name, the default) or none`);
  }
  const options: tls.ConnectionOptions = { ca, cert, key, passphrase: config['ssl.key.password'], minVersion: 'TLSv1.2' };
  try {
    tls.createSecureContext(options);
  } catch (err) {
    const message = (err as Error).message;
    if (key !== undefined && /bad decrypt|bad password|PEM_read_bio|DECODER/i.test(message)) {
      const why = config['ssl.key.password'] === undefined ? 'it may be encrypted: set ssl.key.password' : 'is ssl.key.password right?';
      throw new UserError(`cannot read the private key ${config['ssl.key.location']} (${message}): ${why}`);
    }
    throw new UserError(`the TLS settings do not work: ${message}`);
  }
  if (identification === 'none') options.checkServerIdentity = () => undefined;
  return options;
}

async function readSetting(config: ClientConfig, key: string): Promise<Buffer | undefined> {
  const file = config[key];
  if (file === undefined) return undefined;
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${key} ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** Levenshtein distance, for suggestions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}
