/**
 * The client side of SASL PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802,
 * RFC 7677), sans I/O: `saslLogin` produces each token and hands it to
 * `exchange`, which carries it to the server (Kafka's SaslAuthenticate)
 * and resolves with the server's answer. It resolves once the server is
 * satisfied and, for SCRAM, has proved that it knows the password too.
 *
 * SCRAM as Kafka speaks it: GS2 header `n,,` (no channel binding, no
 * authzid), user names escaped (`,` as `=2C`, `=` as `=3D`), user name and
 * password through SASLprep. What a hostile server sends is checked before
 * it costs anything: its nonce must extend ours, its salt must be base64,
 * its iterations within Kafka's bounds (each one is a hash this client
 * computes); its final signature is compared in constant time. Any
 * violation, or an `e=` error from the server, rejects with SaslError.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { saslprep } from './saslprep.ts';
import { hmac, saltedPassword, scramIterationsMax, scramIterationsMin, scramKeys, scramMechanismNamed, type ScramMechanism } from './scram.ts';

export const saslMechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanismName = (typeof saslMechanisms)[number];

export interface SaslCredentials {
  mechanism: SaslMechanismName;
  username: string;
  password: string;
}

/** The server broke the mechanism's rules or refused in its own words. */
export class SaslError extends Error {
  override name = 'SaslError';
}

/** Sends a token, resolves with the server's answer. */
export type SaslExchange = (token: Buffer) => Promise<Buffer>;

/** SASLprep of a login: a query, unassigned code points allowed (RFC 4013). */
const query = { stored: false };

/** Bytes of the client nonce before base64 (Kafka's Java client: 32 random characters). */
const clientNonceBytes = 24;

/** Logs in as `credentials` over `exchange`; `clientNonce` is for tests (a fresh random one otherwise). */
export async function saslLogin(credentials: SaslCredentials, exchange: SaslExchange, clientNonce?: string): Promise<void> {
  if (credentials.mechanism === 'PLAIN') {
    await exchange(Buffer.from(`\0${saslprep(credentials.username, query)}\0${saslprep(credentials.password, query)}`, 'utf8'));
    return;
  }
  const mechanism = scramMechanismNamed(credentials.mechanism)!;
  await scramLogin(mechanism, credentials, exchange, clientNonce ?? randomBytes(clientNonceBytes).toString('base64'));
}

async function scramLogin(mechanism: ScramMechanism, credentials: SaslCredentials, exchange: SaslExchange, clientNonce: string): Promise<void> {
  const user = saslprep(credentials.username, query).replaceAll('=', '=3D').replaceAll(',', '=2C');
  const clientFirstBare = `n=${user},r=${clientNonce}`;
  const serverFirst = (await exchange(Buffer.from(`n,,${clientFirstBare}`, 'utf8'))).toString('utf8');
  const { nonce, salt, iterations } = parseServerFirst(serverFirst, clientNonce);
  const salted = await saltedPassword(mechanism, credentials.password, salt, iterations, query);
  const clientFinalWithoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
  const { storedKey, serverKey } = scramKeys(mechanism, salted);
  const clientKey = hmac(mechanism, salted, 'Client Key');
  const signature = hmac(mechanism, storedKey, authMessage);
  const proof = Buffer.alloc(clientKey.length);
  for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ signature[i];
  const serverFinal = (await exchange(Buffer.from(`${clientFinalWithoutProof},p=${proof.toString('base64')}`, 'utf8'))).toString('utf8');
  const attributes = parseAttributes(serverFinal);
  if (attributes.has('e')) throw new SaslError(`the server refused the SCRAM proof: ${attributes.get('e')}`);
  const verifier = decodeBase64(attributes.get('v'), 'server signature (v)');
  const expected = hmac(mechanism, serverKey, authMessage);
  if (verifier.length !== expected.length || !timingSafeEqual(verifier, expected)) {
    throw new SaslError('the server did not prove it knows the password (its SCRAM signature does not match): it is not the server it claims to be');
  }
}

/** r=NONCE,s=SALT,i=ITERATIONS, checked (see the header). */
function parseServerFirst(message: string, clientNonce: string): { nonce: string; salt: Buffer; iterations: number } {
  const attributes = parseAttributes(message);
  if (attributes.has('e')) throw new SaslError(`the server refused: ${attributes.get('e')}`);
  if (attributes.has('m')) throw new SaslError('the server asks for a SCRAM extension this client does not know');
  const nonce = attributes.get('r');
  if (nonce === undefined || !nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
    throw new SaslError('the server\'s SCRAM nonce does not extend the client\'s');
  }
  const salt = decodeBase64(attributes.get('s'), 'salt (s)');
  const iterationsText = attributes.get('i') ?? '';
  const iterations = /^[0-9]{1,9}$/.test(iterationsText) ? Number(iterationsText) : Number.NaN;
  if (!(iterations >= scramIterationsMin && iterations <= scramIterationsMax)) {
    throw new SaslError(`the server asks for ${JSON.stringify(iterationsText)} SCRAM iterations, outside ${scramIterationsMin}..${scramIterationsMax}`);
  }
  return { nonce, salt, iterations };
}

/** `k=v,k=v` into a map (a value may contain '='; a repeated key keeps its first value). */
function parseAttributes(message: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of message.split(',')) {
    if (part.length < 2 || part[1] !== '=') throw new SaslError(`the server sent a malformed SCRAM message: ${JSON.stringify(message.slice(0, 200))}`);
    if (!attributes.has(part[0])) attributes.set(part[0], part.slice(2));
  }
  return attributes;
}

function decodeBase64(value: string | undefined, what: string): Buffer {
  if (value === undefined || value === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new SaslError(`the server sent no valid base64 SCRAM ${what}`);
  }
  return Buffer.from(value, 'base64');
}
