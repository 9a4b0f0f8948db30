/**
 * PLAIN (RFC 4616): one message, `[authzid] NUL authcid NUL passwd` in
 * UTF-8, at most saslMessageBytesMax bytes; an authorization id must be
 * empty or the user's own name (Kafka's rule). The password is checked
 * against the user's SCRAM credential (SCRAM-SHA-512 when the user has one,
 * else SCRAM-SHA-256): the salted password derived with the stored salt and
 * iterations must give the stored key (compared in constant time). An
 * unknown user costs a derivation too (SCRAM-SHA-512, kb's default
 * iterations), against a fake credential.
 */
import { timingSafeEqual } from 'node:crypto';
import { saslMessageBytesMax } from '../../limits.ts';
import { SaslprepError } from '../../protocol/saslprep.ts';
import { saltedPassword, scramKeys, scramMechanisms } from '../../protocol/scram.ts';
import { credentialOrFake, invalidCredentials, type CredentialLookup } from './credentials.ts';
import type { MechanismOptions, MechanismStep, ServerMechanism } from './mechanism.ts';

const fatal = new TextDecoder('utf-8', { fatal: true });
/** Checked first: the strongest credential a user has. */
const byPreference = [...scramMechanisms].reverse();

export function createPlainMechanism(lookup: CredentialLookup, options: MechanismOptions): ServerMechanism {
  let done = false;
  return {
    name: 'PLAIN',
    async step(input: Buffer): Promise<MechanismStep> {
      if (done) return { kind: 'failure', reason: 'PLAIN takes one message: authentication is already over', user: null };
      done = true;
      if (input.length > saslMessageBytesMax) return { kind: 'failure', reason: `PLAIN message longer than ${saslMessageBytesMax} bytes`, user: null };
      let text: string;
      try {
        text = fatal.decode(input);
      } catch {
        return { kind: 'failure', reason: 'PLAIN message is not UTF-8', user: null };
      }
      const parts = text.split('\0');
      if (parts.length !== 3 || parts[1] === '' || parts[2] === '') {
        return { kind: 'failure', reason: 'malformed PLAIN message: expected [authzid] NUL user NUL password', user: null };
      }
      const [authzid, user, password] = parts;
      if (authzid !== '' && authzid !== user) return { kind: 'failure', reason: 'an authorization id other than the user name is not supported', user };
      const mechanism = byPreference.find((m) => lookup(user, m)) ?? byPreference[0];
      const { credential, known } = credentialOrFake(lookup, user, mechanism, options.unknownUserKey);
      let salted: Buffer;
      try {
        salted = await saltedPassword(mechanism, password, credential.salt, credential.iterations, { stored: false });
      } catch (err) {
        if (err instanceof SaslprepError) return { kind: 'failure', reason: invalidCredentials('PLAIN'), user };
        throw err;
      }
      const matches = timingSafeEqual(scramKeys(mechanism, salted).storedKey, credential.storedKey);
      if (!matches || !known) return { kind: 'failure', reason: invalidCredentials('PLAIN'), user };
      return { kind: 'success', principal: user, bytes: Buffer.alloc(0) };
    },
  };
}
