/**
 * The SCRAM credential a login is checked against. An unknown user gets a
 * fake one, so that nothing tells it apart from a known user with a wrong
 * password: its salt (as long as kb's) is derived from the name and `unknownUserKey` (a
 * secret every node of the cluster shares, so every node and every attempt
 * shows the same salt, as for a real user), its iterations are the default
 * a user is created with, and its keys match no password.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { scramIterationsMin, scramSaltBytes, type ScramMechanism } from '../../protocol/scram.ts';

export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** The credential of `user` for `mechanism`, or undefined. */
export type CredentialLookup = (user: string, mechanism: ScramMechanism) => ScramCredential | undefined;

/** The user's credential, or a fake one (`known` false) that no proof or password matches. */
export function credentialOrFake(
  lookup: CredentialLookup,
  user: string,
  mechanism: ScramMechanism,
  unknownUserKey: Buffer,
): { credential: ScramCredential; known: boolean } {
  const credential = lookup(user, mechanism);
  if (credential) return { credential, known: true };
  const salt = createHmac('sha256', unknownUserKey).update(`${mechanism.name}\0${user}`).digest().subarray(0, scramSaltBytes);
  const fake = { salt, iterations: scramIterationsMin, storedKey: randomBytes(mechanism.keyBytes), serverKey: randomBytes(mechanism.keyBytes) };
  return { credential: fake, known: false };
}

/** What a client reads when its name or password is wrong (Kafka's wording). */
export function invalidCredentials(mechanism: string): string {
  return `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;
}
