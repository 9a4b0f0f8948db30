/**
 * The SASL state of one connection, as Kafka frames it: SaslHandshake (v1)
 * picks a mechanism among those the listener offers, then SaslAuthenticate
 * requests carry the mechanism's messages until it has authenticated the
 * client (`peer` is set) or failed. Mechanisms are pluggable (SaslMechanism):
 * today the one is KB-CLUSTER-SECRET (`clusterSecretMechanism`, a node
 * proving it holds the cluster secret: net/peer-auth.ts); client
 * mechanisms (PLAIN, SCRAM: issue #24) go through the same steps.
 *
 * Contract: a handshake when one was done already, or a SaslAuthenticate
 * without a handshake or after the exchange ended, is ILLEGAL_SASL_STATE;
 * an unknown mechanism UNSUPPORTED_SASL_MECHANISM (with the list offered);
 * a message the mechanism refuses SASL_AUTHENTICATION_FAILED. Each of
 * these fails the session: `onFailure(reason)` is called once, and the
 * connection is to be closed once the answer is written. The answers
 * carry no detail an attacker could use beyond the error code; the reason
 * goes to the log.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { peerMechanism, serverFirst, serverVerify, type ServerExchange } from '../../net/peer-auth.ts';

/** One step of an exchange: the bytes to answer with, and once done, who the client is. */
export type SaslStep = { ok: true; reply: Buffer; peer: number | null } | { ok: false; reason: string };

export interface SaslMechanism {
  readonly name: string;
  /** A new exchange with one client: each call takes the client's next message. */
  start(): (message: Buffer) => SaslStep;
}

export interface SaslAnswer {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
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
          return { ok: true, reply: first.value.message, peer: null };
        }
        const verified = serverVerify(secret, exchange, message);
        return verified.ok ? { ok: true, reply: Buffer.alloc(0), peer: verified.value } : verified;
      };
    },
  };
}

export class SaslSession {
  /** The node id the connection authenticated as; null until then. */
  peer: number | null = null;
  private readonly offered: readonly SaslMechanism[];
  private readonly onFailure: (reason: string) => void;
  private state: 'new' | 'handshaken' | 'done' = 'new';
  private step: ((message: Buffer) => SaslStep) | null = null;

  constructor(offered: readonly SaslMechanism[], onFailure: (reason: string) => void) {
    this.offered = offered;
    this.onFailure = onFailure;
  }

  get mechanisms(): string[] {
    return this.offered.map((m) => m.name);
  }

  /** SaslHandshake: the error code of choosing `name`. */
  handshake(name: string): number {
    if (this.state !== 'new') return this.fail(ErrorCode.ILLEGAL_SASL_STATE, 'a second SaslHandshake');
    const mechanism = this.offered.find((m) => m.name === name);
    if (!mechanism) return this.fail(ErrorCode.UNSUPPORTED_SASL_MECHANISM, `SASL mechanism ${JSON.stringify(name)} is not offered here`);
    this.state = 'handshaken';
    this.step = mechanism.start();
    return ErrorCode.NONE;
  }

  /** SaslAuthenticate: the mechanism's answer to `message`. */
  authenticate(message: Buffer): SaslAnswer {
    if (this.state !== 'handshaken' || this.step === null) return this.refuse(ErrorCode.ILLEGAL_SASL_STATE, `SaslAuthenticate ${this.state === 'new' ? 'before SaslHandshake' : 'after the exchange ended'}`);
    const outcome = this.step(message);
    if (!outcome.ok) return this.refuse(ErrorCode.SASL_AUTHENTICATION_FAILED, `authentication failed: ${outcome.reason}`);
    if (outcome.peer !== null) {
      this.peer = outcome.peer;
      this.state = 'done';
      this.step = null;
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: outcome.reply };
  }

  private refuse(errorCode: number, reason: string): SaslAnswer {
    this.fail(errorCode, reason);
    return { errorCode, errorMessage: 'authentication failed', authBytes: Buffer.alloc(0) };
  }

  private fail(errorCode: number, reason: string): number {
    this.state = 'done';
    this.step = null;
    this.onFailure(reason);
    return errorCode;
  }
}
