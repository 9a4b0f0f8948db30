/**
 * The SASL settings of a SASL listener (SASL_PLAINTEXT, SASL_SSL), each
 * read per listener with Kafka's `listener.name.<name>.` prefix first (a
 * ConfigError names the key): `sasl.enabled.mechanisms`,
 * `connections.max.reauth.ms` (how long a login lasts, 0: for ever); and each
 * mechanism of auth/ (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) as the
 * SaslMechanism a connection's SaslSession drives, checking the SCRAM
 * credentials of the metadata image. A success authenticates the user; a
 * failure's reason (what the client reads) goes to the log with the user
 * the client claimed.
 *
 * The default (config.ts) is `SCRAM-SHA-512,SCRAM-SHA-256` (Kafka's, GSSAPI, kb lacks):
 * PLAIN, which sends the password itself and costs the broker a PBKDF2 per
 * login, is offered only where it is enabled.
 *
 * `unknownUserKey`: the key the fake salts of unknown users derive from
 * (auth/credentials.ts) must be the same on every node, or comparing two
 * nodes' salts would tell an unknown user from a known one: an HMAC of the
 * cluster secret with a fixed label. A node without a cluster secret is
 * alone (or runs with peer.authentication=none, where anyone may take over
 * the cluster anyway): its key is random, so only its restarts change the
 * fake salts, which tells an observer no more than that the node restarted
 * and the user may not exist.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { ConfigError, type BrokerConfig } from '../config.ts';
import type { MetadataImage } from '../../metadata/image.ts';
import { createMechanism, serverMechanismNames, type CredentialLookup, type MechanismOptions } from '../auth/mechanism.ts';
import { userPrincipal } from '../auth/principal.ts';
import type { SaslMechanism } from './sasl-session.ts';

const unknownUserKeyLabel = 'kb unknown-user salt key v1';

/** The mechanisms `listener` offers, in the order given. Throws ConfigError. */
export function readSaslMechanisms(config: BrokerConfig, listener: string): string[] {
  const prefixed = `listener.name.${listener.toLowerCase()}.sasl.enabled.mechanisms`;
  const key = config.get(prefixed) !== undefined ? prefixed : 'sasl.enabled.mechanisms';
  const names = (config.get(key) ?? '').split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
  const unknown = names.filter((n) => !serverMechanismNames.includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new ConfigError(`listener ${listener} (SASL): ${key}=${names.join(',')}: kb offers ${serverMechanismNames.join(', ')} (give one or more of them)`);
  }
  return [...new Set(names)];
}

/** `connections.max.reauth.ms` of `listener`: 0 (for ever) or a positive lifetime in ms. Throws ConfigError. */
export function readReauthMs(config: BrokerConfig, listener: string): number {
  const prefixed = `listener.name.${listener.toLowerCase()}.connections.max.reauth.ms`;
  const key = config.get(prefixed) !== undefined ? prefixed : 'connections.max.reauth.ms';
  const text = (config.get(key) ?? '0').trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new ConfigError(`listener ${listener} (SASL): ${key}=${text}: expected 0 (logins last for ever) or milliseconds`);
  return value;
}

/** The fake-salt key of unknown users: see the header. */
export function unknownUserKey(clusterSecret: Buffer | null): Buffer {
  return clusterSecret === null ? randomBytes(32) : createHmac('sha256', clusterSecret).update(unknownUserKeyLabel).digest();
}

/** Users' SCRAM credentials as the image holds them. */
export function imageCredentials(image: Pick<MetadataImage, 'scramCredentials'>): CredentialLookup {
  return (user, mechanism) => {
    const record = image.scramCredentials.get(user)?.get(mechanism.type);
    return record && { salt: record.salt, iterations: record.iterations, storedKey: record.storedKey, serverKey: record.serverKey };
  };
}

/** `name` (one readSaslMechanisms gave) as a SaslMechanism authenticating users. */
export function userMechanism(name: string, lookup: CredentialLookup, options: MechanismOptions): SaslMechanism {
  return {
    name,
    start() {
      const mechanism = createMechanism(name, lookup, options);
      if (mechanism === null) throw new Error(`SASL mechanism ${name} is not one kb offers`); // readSaslMechanisms checked it
      return async (message) => {
        const step = await mechanism.step(message);
        if (step.kind === 'challenge') return { ok: true, reply: step.bytes, authenticated: null };
        if (step.kind === 'success') return { ok: true, reply: step.bytes, authenticated: { user: step.principal } };
        const who = step.user === null ? 'no user named yet' : userPrincipal(step.user);
        return { ok: false, reason: `${who}, ${name}: ${step.reason}`, answer: step.reason };
      };
    },
  };
}
