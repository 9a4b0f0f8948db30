/**
 * The way to the active controller. Requests of controller APIs (handlers
 * registered `forwardToController`: topic and config changes, broker
 * registrations and heartbeats, ISR changes, producer id blocks) are served
 * only by the active controller; a broker that is not it forwards them
 * there, and its own components send theirs the same way.
 *
 * `request(apiKey, apiVersion, body)` (typed by the key) runs the request
 * on this node's handler when this node is the active controller, else
 * sends it to the quorum leader's address (from --voters) at the same
 * version and resolves with the response body. `forward` does the same for
 * a client's request that arrived here, under another client id, so the
 * controller does not take it for this node's own (callerOf). While no
 * controller is known, or the known one cannot be reached, it retries until
 * `timeoutMs` (then rejects); it stops waiting for a controller's answer
 * once the quorum names another leader, and asks that one. An answer of
 * NOT_CONTROLLER (a node's own controller request reached a node that has
 * just lost the quorum's leadership) is asked again the same way.
 */
import type { Time } from '../clock.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { Handler, RequestContext } from './handlers/handler.ts';
import type { ApiKey, RequestOf, ResponseOf } from '../protocol/generated/api-keys.ts';
import { PeerConnections, type Lane, type PeerTls } from '../net/peer-connections.ts';
import type { PeerCredentials } from '../net/peer-login.ts';
import { NotControllerError, type MetadataQuorum } from '../controller/quorum/metadata-quorum.ts';
import type { Caller } from '../controller/controller.ts';

/** The client id of a node's own requests to other nodes. */
export const peerClientId = (nodeId: number): string => `kb-broker-${nodeId}`;

/** The client id under which a node forwards its clients' requests to the controller. */
const forwardingClientId = (nodeId: number): string => `kb-broker-${nodeId}-forwarding`;

/**
 * The node a request comes from on its own behalf, or null: the node its
 * connection authenticated as (ctx.peer; with peer.authentication=none,
 * the node its `kb-broker-N` client id claims), unless it forwards a
 * client's request (under forwardingClientId).
 */
function requestingNode(ctx: RequestContext): number | null {
  const claimed = /^kb-broker-(\d+)$/.exec(ctx.clientId ?? '');
  const node = ctx.services.peerAuth.required ? ctx.peer : claimed ? Number(claimed[1]) : null;
  return node === null || ctx.clientId === forwardingClientId(node) ? null : node;
}

/** Whether a node forwards this request for a client (its connection authenticated as that node, unless peer.authentication=none). */
function forwardedForClient(ctx: RequestContext): boolean {
  if (!/^kb-broker-\d+-forwarding$/.test(ctx.clientId ?? '')) return false;
  return !ctx.services.peerAuth.required || (ctx.peer !== null && ctx.clientId === forwardingClientId(ctx.peer));
}

/**
 * Who sent a request: a kb node itself (e.g. its group coordinator creating
 * __consumer_offsets), or a client, directly or forwarded, known by the
 * host it connected from (a forwarded request: the forwarding node's; one
 * forwarded by this node to itself: 'local') and, sent directly, by its
 * principal and client id (its quota entity).
 */
export function callerOf(ctx: RequestContext): Caller {
  if (requestingNode(ctx) !== null) return { node: true };
  const colon = ctx.clientAddress.lastIndexOf(':');
  const client = colon === -1 ? ctx.clientAddress : ctx.clientAddress.slice(0, colon);
  return { node: false, client, entity: forwardedForClient(ctx) ? null : { principal: ctx.principal, clientId: ctx.clientId } };
}

/**
 * Whether a request may act as node `nodeId` (a replica fetching, a voter,
 * a broker registering or heartbeating): its connection authenticated as
 * that node and it is the node's own request, not one it forwards for a
 * client. With peer.authentication=none every claim is taken. A refusal
 * is logged (rate-limited), naming `what` was refused.
 */
export function actsAs(ctx: RequestContext, nodeId: number, what: string): boolean {
  const { peerAuth } = ctx.services;
  if (!peerAuth.required) return true;
  const node = requestingNode(ctx);
  if (node === nodeId) return true;
  const connection = ctx.peer === null ? 'is not authenticated' : node === null ? `forwards a client's request for node ${ctx.peer}` : `is node ${ctx.peer}'s`;
  peerAuth.logRefusal(`refusing ${what} from ${ctx.clientAddress}: it claims node ${nodeId}, its connection ${connection}`);
  return false;
}

/**
 * The close signal of the connection broker `brokerId`'s request came over
 * when the broker sent it itself; null when another node forwarded it.
 */
export function brokerConnection(ctx: RequestContext, brokerId: number): AbortSignal | null {
  return ctx.clientId === peerClientId(brokerId) ? ctx.clientGone : null;
}

const defaultTimeoutMs = 30_000;
const retryBackoffMs = 100;
const leaderPollMs = 50;

export interface ControllerChannelOptions {
  nodeId: number;
  quorum: MetadataQuorum;
  handlers: ReadonlyMap<number, Handler>;
  /** The context this node's handlers run with for its own requests. */
  localContext: (apiVersion: number) => RequestContext;
  /** Deadlines run on its monotonic clock, retries and leader polls on its timers. */
  time: Time;
  /** How this node authenticates to the controller; null: it does not (peer.authentication=none). */
  credentials: PeerCredentials | null;
  /** TLS of the connections to the controller (SSL controller listeners); none: TCP. */
  peerTls?: PeerTls;
}

export class ControllerChannel {
  private readonly options: ControllerChannelOptions;
  private readonly peers: PeerConnections;
  private readonly forwarding: PeerConnections;
  private readonly lane: Lane = { name: 'controller', requestTimeoutMs: defaultTimeoutMs };
  private closed = false;

  constructor(options: ControllerChannelOptions) {
    this.options = options;
    this.peers = new PeerConnections(peerClientId(options.nodeId), options.credentials, options.peerTls);
    this.forwarding = new PeerConnections(forwardingClientId(options.nodeId), options.credentials, options.peerTls);
  }

  /** This node's own request. */
  request<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestOf<K>, timeoutMs = defaultTimeoutMs): Promise<ResponseOf<K>> {
    return this.send(this.peers, apiKey, apiVersion, body, timeoutMs) as Promise<ResponseOf<K>>;
  }

  /** A client's request that arrived at this node, which is not the active controller. */
  forward<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestOf<K>): Promise<ResponseOf<K>> {
    return this.send(this.forwarding, apiKey, apiVersion, body, defaultTimeoutMs) as Promise<ResponseOf<K>>;
  }

  /** The answer to a request of any key: bodies are the key's, unread here. */
  private async send(peers: PeerConnections, apiKey: number, apiVersion: number, body: unknown, timeoutMs: number): Promise<unknown> {
    const { quorum, nodeId, time } = this.options;
    const deadline = time.monotonicMs() + timeoutMs;
    let lastError: Error | null = null;
    while (time.monotonicMs() < deadline && !this.closed) {
      try {
        if (quorum.isActiveController()) return await this.runLocally(peers, apiKey, apiVersion, body);
        const leader = quorum.leaderId();
        const address = leader === null || leader === nodeId ? undefined : quorum.voterAddress(leader);
        if (address) {
          const answer = await this.untilLeaderChanges(peers.request({ nodeId: leader!, ...address }, this.lane, apiKey, apiVersion, body), leader!, deadline);
          if (!answer.answered) continue;
          if ((answer.value as { errorCode?: number }).errorCode !== ErrorCode.NOT_CONTROLLER) return answer.value;
          lastError = new Error(`node ${leader} answered NOT_CONTROLLER`); // it lost the quorum's leadership since: ask again once this node learns who leads
        }
      } catch (err) {
        lastError = err as Error;
      }
      await new Promise<void>((resolve) => time.setTimeout(resolve, Math.min(retryBackoffMs, deadline - time.monotonicMs()), { background: true }));
    }
    throw new NotControllerError(`no active controller answered within ${timeoutMs} ms${lastError ? `: ${lastError.message}` : ''}`);
  }

  /**
   * The request's answer, or none once the quorum names another leader or
   * the deadline passes (a paused or partitioned controller must not hold
   * a heartbeat until the broker's session expires at the new one).
   */
  private untilLeaderChanges(request: Promise<unknown>, leader: number, deadline: number): Promise<{ answered: true; value: unknown } | { answered: false }> {
    request.catch(() => undefined);
    const { quorum, time } = this.options;
    return new Promise((resolve, reject) => {
      const poll = time.setInterval(() => {
        if (quorum.leaderId() === leader && time.monotonicMs() < deadline && !this.closed) return;
        time.clear(poll);
        resolve({ answered: false });
      }, leaderPollMs);
      request.then(
        (value) => {
          time.clear(poll);
          resolve({ answered: true, value });
        },
        (err: Error) => {
          time.clear(poll);
          reject(err);
        },
      );
    });
  }

  private async runLocally(peers: PeerConnections, apiKey: number, apiVersion: number, body: unknown): Promise<unknown> {
    const handler = this.options.handlers.get(apiKey);
    if (!handler) throw new Error(`no handler for API ${apiKey}`);
    return handler.handle(body, { ...this.options.localContext(apiVersion), clientId: peers.clientId });
  }

  close(): void {
    this.closed = true;
    this.peers.close();
    this.forwarding.close();
  }
}
