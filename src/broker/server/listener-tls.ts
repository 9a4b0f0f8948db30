/**
 * TLS of one SSL (or SASL_SSL) listener: its settings, its certificates, their rotation,
 * and the principal of a client certificate.
 *
 * Settings, Kafka's names, each read as `listener.name.<lowercased
 * name>.KEY` first, then the plain `KEY` (they are not broker configs
 * DescribeConfigs lists, so a key or password never leaves the node):
 * - `ssl.keystore.type`: PEM (the only type kb reads);
 * - `ssl.keystore.location`: a PEM file with the private key and the
 *   certificate chain (leaf first), or `ssl.keystore.certificate.chain` and
 *   `ssl.keystore.key` with the PEM text itself; `ssl.key.password` for an
 *   encrypted key;
 * - `ssl.truststore.location` (a PEM file of CA certificates) or
 *   `ssl.truststore.certificates` (their PEM text): whom client
 *   certificates (and, for the node's own peer connections, the peers'
 *   server certificates) must chain to;
 * - `ssl.client.auth`: `required` (no trusted client certificate, no
 *   handshake), `requested` (a trusted one gives its principal, none or an
 *   untrusted one ANONYMOUS), `none` (default);
 * - `ssl.enabled.protocols`: TLSv1.2 and/or TLSv1.3 (default both; older
 *   ones are refused);
 * - `ssl.principal.mapping.rules` (auth/ssl-principal-mapper.ts);
 * - `ssl.endpoint.identification.algorithm`: `https` (default) checks a
 *   peer's certificate names the address this node dials; empty turns
 *   that off;
 * - `ssl.reload.interval.ms` (kb's, default 10000): how often the
 *   certificate files are checked for changes.
 * `readListenerTls` checks the settings (ConfigError naming the key);
 * `load()` reads the files (ConfigError: missing, unreadable, not PEM,
 * key not matching the certificate, wrong password).
 *
 * Rotation: once `watch()` runs, the files' size, mtime and inode are
 * compared every interval; on a change they are read again and, when they
 * load, the new secure context serves every connection accepted (or
 * dialed) from then on and the new certificate's subject and expiry are
 * logged (and a warning when it has expired). A change that does not
 * load is logged once, and the old context kept. Open connections keep
 * the context they started with. Time (the interval, the expiry check)
 * comes from the injected Time.
 *
 * Principals: `principalOf(socket)` after a server handshake:
 * `User:<name>` from a verified client certificate's subject through the
 * mapping rules, `User:ANONYMOUS` without one; null when the rules map the
 * subject to nothing (Kafka then fails the authentication).
 */
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { ConfigError, type BrokerConfig, type ListenerTlsKey } from '../config.ts';
import type { Logger } from '../../logger.ts';
import type { Time, TimerHandle } from '../../clock.ts';
import { anonymousPrincipal, userPrincipal } from '../auth/principal.ts';
import { distinguishedName, parsePrincipalMappingRules, type PrincipalMapper } from '../auth/ssl-principal-mapper.ts';

export type ClientAuth = 'required' | 'requested' | 'none';

/** Whether a listener of this security protocol speaks TLS: SSL, and SASL_SSL (TLS under the SASL handshake). */
export function usesTls(securityProtocol: string): boolean {
  return securityProtocol === 'SSL' || securityProtocol === 'SASL_SSL';
}

export interface ListenerTlsSettings {
  listener: string;
  keystoreLocation: string | null;
  keystoreChain: string | null;
  keystoreKey: string | null;
  keyPassword: string | null;
  truststoreLocation: string | null;
  truststoreCertificates: string | null;
  clientAuth: ClientAuth;
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  mapper: PrincipalMapper;
  verifyPeerName: boolean;
  reloadIntervalMs: number;
}

/** What the files gave: the context, and the leaf certificate's subject and expiry for the log. */
interface Loaded {
  options: tls.SecureContextOptions;
  context: tls.SecureContext;
  subject: string;
  validTo: string;
}

const protocols: Record<string, tls.SecureVersion> = { 'TLSv1.2': 'TLSv1.2', 'TLSv1.3': 'TLSv1.3' };
const defaultReloadIntervalMs = 10_000;

/** Checks the SSL settings of `listener` (ConfigError naming the key); reads no file. */
export function readListenerTls(config: BrokerConfig, listener: string): ListenerTlsSettings {
  const prefix = `listener.name.${listener.toLowerCase()}.`;
  const raw = (key: ListenerTlsKey) => {
    const value = config.get(prefix + key) ?? config.get(key);
    return value === undefined || value.trim() === '' ? null : value.trim();
  };
  const where = (key: ListenerTlsKey) => (config.get(prefix + key) !== undefined ? prefix + key : key);
  const fail = (key: ListenerTlsKey, message: string) => new ConfigError(`listener ${listener} (SSL): ${where(key)}${message}`);

  for (const key of ['ssl.keystore.type', 'ssl.truststore.type'] as const) {
    const type = raw(key);
    if (type !== null && type.toUpperCase() !== 'PEM') throw fail(key, `=${type}: kb reads PEM only (set ${key}=PEM and give PEM files)`);
  }
  const keystoreLocation = raw('ssl.keystore.location');
  const keystoreChain = raw('ssl.keystore.certificate.chain');
  const keystoreKey = raw('ssl.keystore.key');
  if (keystoreLocation !== null && (keystoreChain !== null || keystoreKey !== null)) {
    throw fail('ssl.keystore.location', ' and ssl.keystore.certificate.chain/ssl.keystore.key are both set: give one or the other');
  }
  if (keystoreLocation === null && (keystoreChain === null || keystoreKey === null)) {
    throw fail('ssl.keystore.location', ' is not set: give a PEM file with the key and certificate chain (or ssl.keystore.certificate.chain and ssl.keystore.key)');
  }
  const clientAuth = (raw('ssl.client.auth') ?? 'none').toLowerCase();
  if (clientAuth !== 'required' && clientAuth !== 'requested' && clientAuth !== 'none') throw fail('ssl.client.auth', `=${clientAuth}: expected required, requested or none`);
  const truststoreLocation = raw('ssl.truststore.location');
  const truststoreCertificates = raw('ssl.truststore.certificates');
  if (clientAuth !== 'none' && truststoreLocation === null && truststoreCertificates === null) {
    throw fail('ssl.truststore.location', ` is not set: ssl.client.auth=${clientAuth} needs the CA certificates client certificates are checked against`);
  }
  const enabled = (raw('ssl.enabled.protocols') ?? 'TLSv1.2,TLSv1.3').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const refused = enabled.filter((p) => protocols[p] === undefined);
  if (enabled.length === 0 || refused.length > 0) throw fail('ssl.enabled.protocols', `=${enabled.join(',')}: kb speaks TLSv1.2 and TLSv1.3 only`);
  const versions = enabled.map((p) => protocols[p]).sort();
  let mapper: PrincipalMapper;
  try {
    mapper = parsePrincipalMappingRules(raw('ssl.principal.mapping.rules') ?? 'DEFAULT');
  } catch (err) {
    throw new ConfigError(`listener ${listener} (SSL): ${(err as Error).message}`);
  }
  const algorithmKey = where('ssl.endpoint.identification.algorithm');
  const algorithm = (config.get(algorithmKey) ?? 'https').trim().toLowerCase(); // set empty: no check, as Kafka
  if (algorithm !== 'https' && algorithm !== '') throw fail('ssl.endpoint.identification.algorithm', `=${algorithm}: expected https or empty`);
  const interval = raw('ssl.reload.interval.ms') ?? String(defaultReloadIntervalMs);
  if (!/^\d+$/.test(interval) || Number(interval) < 1) throw fail('ssl.reload.interval.ms', `=${interval}: expected a positive number of milliseconds`);
  return {
    listener,
    keystoreLocation,
    keystoreChain,
    keystoreKey,
    keyPassword: raw('ssl.key.password'),
    truststoreLocation,
    truststoreCertificates,
    clientAuth,
    minVersion: versions[0],
    maxVersion: versions[versions.length - 1],
    mapper,
    verifyPeerName: algorithm === 'https',
    reloadIntervalMs: Number(interval),
  };
}

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const pemPrivateKey = /-----BEGIN (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----/g;
const pemBlock = /^(-----BEGIN [A-Z ]+-----)([\s\S]*?)(-----END [A-Z ]+-----)$/;

/**
 * The PEM blocks of `text` with their base64 on 64-character lines, as
 * OpenSSL wants them: an inline value (`ssl.keystore.key=...` in a
 * properties file) may have the whole block on one line, as Kafka accepts.
 * A block with headers (an old-style encrypted key) is left as it is.
 */
function pemBlocks(text: string, pattern: RegExp): string[] {
  return (text.match(pattern) ?? []).map((block) => {
    const [, begin, body, end] = pemBlock.exec(block)!;
    if (body.includes(':')) return block;
    const base64 = body.replace(/\s+/g, '');
    return [begin, ...(base64.match(/.{1,64}/g) ?? []), end].join('\n');
  });
}

export class ListenerTls {
  readonly settings: ListenerTlsSettings;
  private readonly logger: Logger;
  private current: Loaded | null = null;
  private loads = 0;
  /** The files' size, mtime and inode when last read (loaded or not). */
  private signature = '';
  private timer: TimerHandle | null = null;
  private checking = false;
  private readonly time: Time;

  constructor(settings: ListenerTlsSettings, logger: Logger, time: Time) {
    this.settings = settings;
    this.logger = logger;
    this.time = time;
  }

  /** Reads the files; throws ConfigError saying what is wrong with them. */
  async load(): Promise<void> {
    const signature = await this.filesSignature().catch(() => ''); // read() says what is wrong with a file
    this.current = await this.read();
    this.signature = signature;
    this.loads++;
    this.logger.info(`listener ${this.settings.listener} (SSL): certificate ${this.described(this.current)}`);
    this.warnIfExpired(this.current);
  }

  /** Checks the files every `ssl.reload.interval.ms`, swapping in what changed and loads. */
  watch(): void {
    this.timer = this.time.setInterval(() => void this.check(), this.settings.reloadIntervalMs, { background: true });
  }

  stop(): void {
    this.time.clear(this.timer);
    this.timer = null;
  }

  /** Counts the certificates loaded: a server takes the new ones when it changes. */
  get generation(): number {
    return this.loads;
  }

  private loaded(): Loaded {
    if (!this.current) throw new Error(`listener ${this.settings.listener}: TLS used before its certificates were loaded`);
    return this.current;
  }

  /** What the current secure context was made of (tls.Server.setSecureContext takes these). */
  contextOptions(): tls.SecureContextOptions {
    return this.loaded().options;
  }

  /** A tls.Server's options: the current certificates, client certificates asked and checked as `ssl.client.auth` says. */
  serverOptions(): tls.TlsOptions {
    return { ...this.contextOptions(), requestCert: this.settings.clientAuth !== 'none', rejectUnauthorized: this.settings.clientAuth === 'required' };
  }

  /** Options for this node's own connection to a peer at `host`: its certificate, its truststore, the peer's name checked unless turned off. */
  clientOptions(host: string): tls.ConnectionOptions {
    return {
      secureContext: this.loaded().context,
      minVersion: this.settings.minVersion,
      maxVersion: this.settings.maxVersion,
      ...(this.settings.verifyPeerName ? {} : { checkServerIdentity: () => undefined }),
      ...(net.isIP(host) !== 0 ? {} : { servername: host }),
    };
  }

  /** The principal of a server socket after its handshake (see the header); null: the rules map the certificate to nothing. */
  principalOf(socket: tls.TLSSocket): string | null {
    if (this.settings.clientAuth === 'none' || !socket.authorized) return anonymousPrincipal;
    const certificate = socket.getPeerX509Certificate();
    if (!certificate) return anonymousPrincipal;
    const name = this.settings.mapper.name(distinguishedName(certificate.subject));
    return name === null ? null : userPrincipal(name);
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const signature = await this.filesSignature().catch((err: Error) => `unreadable: ${err.message}`);
      if (signature === this.signature) return;
      this.signature = signature;
      try {
        this.current = await this.read();
        this.loads++;
        this.logger.info(`listener ${this.settings.listener} (SSL): certificate files changed, new connections get certificate ${this.described(this.current)}`);
        this.warnIfExpired(this.current);
      } catch (err) {
        this.logger.warn(`listener ${this.settings.listener} (SSL): certificate files changed but cannot be used, keeping the current certificate: ${(err as Error).message}`);
      }
    } finally {
      this.checking = false;
    }
  }

  private warnIfExpired(loaded: Loaded): void {
    if (Date.parse(loaded.validTo) <= this.time.wallMs()) this.logger.warn(`listener ${this.settings.listener} (SSL): its certificate expired at ${loaded.validTo}: clients will refuse it; replace the files`);
  }

  private described(loaded: Loaded): string {
    return `${loaded.subject}, expires ${loaded.validTo}`;
  }

  private files(): string[] {
    return [this.settings.keystoreLocation, this.settings.truststoreLocation].filter((f): f is string => f !== null);
  }

  private async filesSignature(): Promise<string> {
    const parts = await Promise.all(
      this.files().map(async (file) => {
        const s = await stat(file);
        return `${file}:${s.size}:${s.mtimeMs}:${s.ino}`;
      }),
    );
    return parts.join('|');
  }

  private async readText(key: string, file: string): Promise<string> {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a directory, not a file' : (err as Error).message;
      throw new ConfigError(`listener ${this.settings.listener} (SSL): ${key} ${file}: ${reason}`);
    }
  }

  private async read(): Promise<Loaded> {
    const s = this.settings;
    const fail = (message: string) => new ConfigError(`listener ${s.listener} (SSL): ${message}`);
    const keystoreText = s.keystoreLocation !== null ? await this.readText('ssl.keystore.location', s.keystoreLocation) : null;
    const keystoreWhere = s.keystoreLocation !== null ? `ssl.keystore.location ${s.keystoreLocation}` : 'ssl.keystore.certificate.chain';
    const chain = pemBlocks(keystoreText ?? s.keystoreChain ?? '', pemCertificate);
    if (chain.length === 0) throw fail(`${keystoreWhere} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    const key = pemBlocks(keystoreText ?? s.keystoreKey ?? '', pemPrivateKey)[0];
    if (key === undefined) throw fail(`${s.keystoreLocation !== null ? keystoreWhere : 'ssl.keystore.key'} holds no PEM private key (-----BEGIN PRIVATE KEY-----)`);
    const truststoreText = s.truststoreLocation !== null ? await this.readText('ssl.truststore.location', s.truststoreLocation) : s.truststoreCertificates;
    const ca = truststoreText === null ? undefined : pemBlocks(truststoreText, pemCertificate);
    if (ca !== undefined && ca.length === 0) throw fail(`${s.truststoreLocation !== null ? `ssl.truststore.location ${s.truststoreLocation}` : 'ssl.truststore.certificates'} holds no PEM certificate`);
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(chain[0]);
    } catch (err) {
      throw fail(`the first certificate of ${keystoreWhere} does not read: ${(err as Error).message}`);
    }
    const options: tls.SecureContextOptions = { cert: chain.join('\n'), key, passphrase: s.keyPassword ?? undefined, ca, minVersion: s.minVersion, maxVersion: s.maxVersion };
    let context: tls.SecureContext;
    try {
      context = tls.createSecureContext(options);
    } catch (err) {
      throw fail(secureContextError(err as Error, keystoreWhere));
    }
    return { options, context, subject: distinguishedName(leaf.subject), validTo: new Date(leaf.validTo).toISOString() };
  }
}

/** OpenSSL's reasons, said for an operator. */
function secureContextError(err: Error, keystore: string): string {
  const message = err.message;
  if (/key values mismatch/i.test(message)) return `the private key of ${keystore} does not belong to its certificate`;
  if (/bad decrypt|bad password|interrupted or cancelled/i.test(message)) return `the private key of ${keystore} cannot be decrypted: check ssl.key.password`;
  if (/no start line|bad base64|asn1|header too long|DECODER/i.test(message)) return `a PEM block of ${keystore} or the truststore does not read (${message})`;
  return `cannot use the certificates: ${message}`;
}

