/**
 * The SASL state of one connection, as Kafka frames it: SaslHandshake picks
 * a mechanism among those the listener offers, then the mechanism's
 * messages follow until it has authenticated the client or failed. After a
 * v1 handshake each message is a SaslAuthenticate request; after a v0
 * handshake (kafka-python 2.0) each is a bare frame, a "raw token"
 * (`rawTokens`; the connection hands those over, connection.ts).
 * Mechanisms are pluggable (SaslMechanism): KB-CLUSTER-SECRET on peer
 * listeners (`clusterSecretMechanism`, a node proving it holds the cluster
 * secret, net/peer-auth.ts: sets `peer`), the user mechanisms PLAIN and
 * SCRAM on SASL listeners (sasl-mechanisms.ts: set `user`).
 *
 * Contract: a handshake when one was done already, or a message without a
 * handshake or after the exchange ended, is ILLEGAL_SASL_STATE; an unknown
 * mechanism UNSUPPORTED_SASL_MECHANISM (with the list offered); a message
 * the mechanism refuses SASL_AUTHENTICATION_FAILED. Each of these fails
 * the session: `onFailure(reason)` is called once (the reason names the
 * user claimed, for the log), and the connection is to be closed once the
 * answer is written. The answer's message is the mechanism's `answer` when
 * it gives one (the user mechanisms' "invalid credentials", the same for an
 * unknown user and a wrong password), else only "authentication failed".
 * Before a message reaches its mechanism, `admit()` may refuse it (too
 * many failures from the client's address): the session fails without the
 * mechanism's work.
 *
 * Re-authentication (KIP-368), where `lifetimeMs` is set (a SASL listener's
 * `connections.max.reauth.ms`): each login's answer carries the session's
 * lifetime, the session is `expired` that long after it, and an
 * authenticated session may take a new SaslHandshake (v1) and exchange,
 * which must log in as the same user (anyone else fails the session) and
 * starts a new lifetime. Without `lifetimeMs` sessions never expire and a
 * second handshake fails the session.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { peerMechanism, serverFirst, serverVerify, type ServerExchange } from '../../net/peer-auth.ts';

/** Who an exchange authenticated: a node of the cluster, or a user. */
export type SaslIdentity = { peer: number } | { user: string };

/**
 * One step of an exchange: the bytes to answer with, and once done, who
 * the client is; or why it failed (`answer`: what the client may read).
 */
export type SaslStep = { ok: true; reply: Buffer; authenticated: SaslIdentity | null } | { ok: false; reason: string; answer?: string };

export interface SaslMechanism {
  readonly name: string;
  /** A new exchange with one client: each call takes the client's next message. */
  start(): (message: Buffer) => SaslStep | Promise<SaslStep>;
}

export interface SaslSessionOptions {
  /** Called once when the session fails, with why (for the log). */
  onFailure: (reason: string) => void;
  /** Null to go on, or why the next message is refused unread (the client's address failed too often). */
  admit?: () => string | null;
  /** Called once a message failed in its mechanism (the address's failures are counted). */
  onRefused?: () => void;
  /** How long a login lasts before the client must re-authenticate; none: for ever. */
  lifetimeMs?: number;
  /** A monotonic clock in ms (default performance.now). */
  now?: () => number;
}

export interface SaslAnswer {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  /** Milliseconds until the session must log in again (0: never). */
  sessionLifetimeMs: bigint;
}

/** KB-CLUSTER-SECRET on node `nodeId`: the client authenticates as the node id it proves. */
export function clusterSecretMechanism(secret: Buffer, nodeId: number): SaslMechanism {
  return {
    name: peerMechanism,
    start() {
      let exchange: ServerExchange | null = null;
      return (message) => {
        if (exchange === null) {
          const first = serverFirst(secret, nodeId, message);
          if (!first.ok) return first;
          exchange = first.value.exchange;
          return { ok: true, reply: first.value.message, authenticated: null };
        }
        const verified = serverVerify(secret, exchange, message);
        return verified.ok ? { ok: true, reply: Buffer.alloc(0), authenticated: { peer: verified.value } } : verified;
      };
    },
  };
}

export class SaslSession {
  /** The node id the connection authenticated as; null until then (or when it is a user). */
  peer: number | null = null;
  /** The user the connection authenticated as; null until then (or when it is a node). */
  user: string | null = null;
  /** Whether the mechanism's messages come as bare frames (a v0 handshake), until the exchange ends. */
  rawTokens = false;
  private readonly offered: readonly SaslMechanism[];
  private readonly options: SaslSessionOptions;
  private state: 'new' | 'handshaken' | 'done' = 'new';
  private step: ((message: Buffer) => SaslStep | Promise<SaslStep>) | null = null;
  /** When the current login expires (monotonic ms); only with a lifetime. */
  private expiresAtMs = Infinity;

  constructor(offered: readonly SaslMechanism[], options: SaslSessionOptions) {
    this.offered = offered;
    this.options = options;
  }

  get mechanisms(): string[] {
    return this.offered.map((m) => m.name);
  }

  get authenticated(): boolean {
    return this.peer !== null || this.user !== null;
  }

  /** Whether the login has outlived its lifetime (the client had to re-authenticate). */
  get expired(): boolean {
    return this.authenticated && this.now() >= this.expiresAtMs;
  }

  private now(): number {
    return this.options.now?.() ?? performance.now();
  }

  /** SaslHandshake at `version`: the error code of choosing `name`. */
  handshake(name: string, version = 1): number {
    const reauthentication = this.state === 'done' && this.user !== null && (this.options.lifetimeMs ?? 0) > 0 && version >= 1;
    if (this.state !== 'new' && !reauthentication) return this.fail(ErrorCode.ILLEGAL_SASL_STATE, 'a second SaslHandshake');
    const mechanism = this.offered.find((m) => m.name === name);
    if (!mechanism) return this.fail(ErrorCode.UNSUPPORTED_SASL_MECHANISM, `SASL mechanism ${JSON.stringify(name)} is not offered here`);
    this.state = 'handshaken';
    this.rawTokens = version === 0;
    this.step = mechanism.start();
    return ErrorCode.NONE;
  }

  /** The mechanism's answer to `message` (a SaslAuthenticate's, or a raw token). */
  async authenticate(message: Buffer): Promise<SaslAnswer> {
    const step = this.step;
    if (this.state !== 'handshaken' || step === null) return this.refuse(ErrorCode.ILLEGAL_SASL_STATE, `SaslAuthenticate ${this.state === 'new' ? 'before SaslHandshake' : 'after the exchange ended'}`);
    const refusal = this.options.admit?.() ?? null;
    if (refusal !== null) return this.refuse(ErrorCode.SASL_AUTHENTICATION_FAILED, refusal, refusal);
    this.step = null; // one message at a time
    const outcome = await step(message);
    if (!outcome.ok) {
      this.options.onRefused?.();
      return this.refuse(ErrorCode.SASL_AUTHENTICATION_FAILED, `authentication failed: ${outcome.reason}`, outcome.answer);
    }
    if (outcome.authenticated === null) {
      this.step = step;
      return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: outcome.reply, sessionLifetimeMs: 0n };
    }
    const who = outcome.authenticated;
    if (this.user !== null && !('user' in who && who.user === this.user)) {
      const as = 'user' in who ? `User:${who.user}` : `node ${who.peer}`;
      return this.refuse(ErrorCode.SASL_AUTHENTICATION_FAILED, `re-authenticated as ${as}, not User:${this.user}`, 'a re-authentication must log in as the same user');
    }
    if ('peer' in who) this.peer = who.peer;
    else this.user = who.user;
    this.state = 'done';
    this.rawTokens = false;
    const lifetimeMs = this.options.lifetimeMs ?? 0;
    if (lifetimeMs > 0) this.expiresAtMs = this.now() + lifetimeMs;
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: outcome.reply, sessionLifetimeMs: BigInt(lifetimeMs) };
  }

  private refuse(errorCode: number, reason: string, answer = 'authentication failed'): SaslAnswer {
    this.fail(errorCode, reason);
    return { errorCode, errorMessage: answer, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
  }

  private fail(errorCode: number, reason: string): number {
    this.state = 'done';
    this.step = null;
    this.rawTokens = false;
    this.options.onFailure(reason);
    return errorCode;
  }
}
