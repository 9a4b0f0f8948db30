/**
 * SCRAM (RFC 5802, SHA-2 variants of RFC 7677) as Kafka names and numbers
 * it: the mechanisms with their wire type (AlterUserScramCredentials,
 * DescribeUserScramCredentials: 1 SCRAM-SHA-256, 2 SCRAM-SHA-512), the
 * iteration bounds Kafka accepts, and the derivations every side needs:
 * the salted password from a password (the CLI creating a user, the broker
 * checking a PLAIN login), and the stored and server keys from a salted
 * password (the controller, which never sees the password). Hash, HMAC and
 * PBKDF2 are node:crypto's; passwords go through SASLprep first.
 */
import { createHash, createHmac, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { saslprep } from './saslprep.ts';

export interface ScramMechanism {
  name: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  /** Kafka's ScramMechanism type on the wire. */
  type: 1 | 2;
  hash: 'sha256' | 'sha512';
  /** Bytes of a key (the hash's output). */
  keyBytes: number;
}

export const scramMechanisms: readonly ScramMechanism[] = [
  { name: 'SCRAM-SHA-256', type: 1, hash: 'sha256', keyBytes: 32 },
  { name: 'SCRAM-SHA-512', type: 2, hash: 'sha512', keyBytes: 64 },
];

export function scramMechanismNamed(name: string): ScramMechanism | undefined {
  return scramMechanisms.find((m) => m.name === name);
}

export function scramMechanismOfType(type: number): ScramMechanism | undefined {
  return scramMechanisms.find((m) => m.type === type);
}

/** Fewest iterations (RFC 7677's minimum, Kafka's too). */
export const scramIterationsMin = 4096;
/** Most iterations (Kafka's controller refuses more: each login costs the client, each PLAIN login the broker, this many hashes). */
export const scramIterationsMax = 16384;

/** Bytes of the salt kb gives a new credential. */
export const scramSaltBytes = 32;

const pbkdf2Async = promisify(pbkdf2);

/** SaltedPassword := Hi(Normalize(password), salt, i). Throws SaslprepError for a password SASLprep refuses. */
export function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number, options: { stored: boolean }): Promise<Buffer> {
  return pbkdf2Async(saslprep(password, options), salt, iterations, mechanism.keyBytes, mechanism.hash);
}

export function hmac(mechanism: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(mechanism.hash, key).update(data).digest();
}

export function hash(mechanism: ScramMechanism, data: Buffer): Buffer {
  return createHash(mechanism.hash).update(data).digest();
}

/** StoredKey := H(HMAC(SaltedPassword, "Client Key")), ServerKey := HMAC(SaltedPassword, "Server Key"). */
export function scramKeys(mechanism: ScramMechanism, salted: Buffer): { storedKey: Buffer; serverKey: Buffer } {
  return { storedKey: hash(mechanism, hmac(mechanism, salted, 'Client Key')), serverKey: hmac(mechanism, salted, 'Server Key') };
}
