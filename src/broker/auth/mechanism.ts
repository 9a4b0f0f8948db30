/**
 * Server-side SASL mechanisms, as the SaslHandshake/SaslAuthenticate
 * handlers use them: `createMechanism(name, credentials, options)` gives one
 * authentication exchange's state machine, or null for a mechanism kb does
 * not offer (UNSUPPORTED_SASL_MECHANISM). Each `step` takes the client's
 * next SASL message and gives the bytes to answer (`challenge`), the
 * authenticated principal with the bytes of the last answer (`success`), or
 * `failure` with a reason the client may read (SASL_AUTHENTICATION_FAILED)
 * and the user name the client claimed, for the log. After success or
 * failure the exchange is over: further steps fail. No I/O; SCRAM and PLAIN
 * (plain.ts, scram.ts) both check the SCRAM credentials of the metadata.
 *
 * An unknown user is never told apart from a wrong password by what it is
 * answered: same answers, same reason (credentials.ts); against a user
 * with kb's default mechanism and iterations, the same work too.
 */
import { scramMechanismNamed } from '../../protocol/scram.ts';
import type { CredentialLookup } from './credentials.ts';
import { createPlainMechanism } from './plain.ts';
import { createScramMechanism } from './scram.ts';

export type { CredentialLookup, ScramCredential } from './credentials.ts';

export type MechanismStep =
  | { kind: 'challenge'; bytes: Buffer }
  /** `principal`: the user name (the request context holds it as User:<name>). */
  | { kind: 'success'; principal: string; bytes: Buffer }
  | { kind: 'failure'; reason: string; user: string | null };

export interface ServerMechanism {
  readonly name: string;
  step(input: Buffer): Promise<MechanismStep>;
}

export interface MechanismOptions {
  unknownUserKey: Buffer;
  /** The server's part of a SCRAM nonce; default 24 random bytes in base64url. */
  serverNonce?: () => string;
}

export const serverMechanismNames: readonly string[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export function createMechanism(name: string, credentials: CredentialLookup, options: MechanismOptions): ServerMechanism | null {
  if (name === 'PLAIN') return createPlainMechanism(credentials, options);
  const scram = scramMechanismNamed(name);
  return scram ? createScramMechanism(scram, credentials, options) : null;
}
