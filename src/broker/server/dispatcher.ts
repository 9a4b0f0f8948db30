/**
 * Turns one request frame into one response frame: decodes the header, finds
 * the handler registered for the API key, checks the version, decodes the
 * body, runs the handler and encodes its answer with the response header the
 * version calls for, as pieces to write in one go (fetched records are not
 * copied into the frame).
 *
 * A version (or API key) the broker does not serve is answered with
 * UNSUPPORTED_VERSION: ApiVersions in its v0 format with the supported
 * ranges (clients then retry lower), any other API with a response holding
 * only the correlation id and error code 35, the prefix every error-first
 * response shares. Handlers see the node id the connection authenticated as (`ctx.peer`) and its SASL
 * session (`ctx.sasl`). A handler registered `forwardToController` runs here
 * only on the active controller; elsewhere the request goes to the
 * controller through the ControllerChannel, except a node's own (a handler
 * with `errorAnswer`), answered NOT_CONTROLLER. A request whose header or body
 * does not decode, or that a handler finds malformed (ProtocolError), throws
 * RequestRejected, which closes the connection. Every request served
 * (answered, forwarded to the controller, or failed) is timed into the
 * broker's request metrics, from the decoded body to the encoded answer.
 * Handlers run with the node's services (handlers/handler.ts); the
 * dispatcher itself needs only the way to the active controller and the
 * request metrics.
 *
 * One dispatcher serves one listener. On a client listener a `peerOnly`
 * API is not served, nor a peer's request of an API clients use too (a
 * replica Fetch): the client gets the handler's `clientRefusal`
 * (CLUSTER_AUTHORIZATION_FAILED), or its connection is closed (the Raft
 * APIs; RequestRejected). `refused` logs each, rate-limited.
 *
 * Each connection gets its ConnectionAccess (auth/access-control.ts), for
 * the principal it authenticated as on a client listener (User:ANONYMOUS
 * when it did not), a node's on a peer listener. A handler's
 * `authorize` runs before the request is handled or forwarded to the
 * controller, which cannot tell a forwarded request's principal.
 *
 * Client quotas (auth/client-quotas.ts) are applied here to every answer
 * (throttled below): the throttle time goes into the response's
 * throttle_time_ms and mutes the connection that long
 * (ConnectionInfo.throttle). A kb node's own and forwarded requests are
 * exempt (fromNode).
 */
import { ProtocolError } from '../../protocol/primitives.ts';
import { decodeRequestBody, decodeRequestHeader, encodeResponseChunks } from '../../protocol/frames.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { BrokerServices, Handler, RequestContext } from '../handlers/handler.ts';
import { RequestRejected, type ConnectionInfo } from './connection.ts';
import { supportedApiVersions } from '../handlers/18-api-versions.ts';
import { ApiKeys, type ApiKey, type RequestOf } from '../../protocol/generated/api-keys.ts';
import type { ControllerChannel } from '../controller-channel.ts';
import type { MetadataQuorum } from '../../controller/quorum/metadata-quorum.ts';
import type { BrokerMetrics } from '../metrics/broker-metrics.ts';
import type { Allocate } from './buffer-pool.ts';
import { hostOf, type AccessControl, type ConnectionAccess } from '../auth/access-control.ts';
import { nodePrincipal } from '../auth/principal.ts';

export interface DispatcherOptions {
  services: BrokerServices;
  /** Whether this node is the active controller (else controller APIs are forwarded to it). */
  quorum: Pick<MetadataQuorum, 'isActiveController'>;
  /** Forwards a client's controller API request to the active controller (under the forwarding client id: callerOf). */
  controllerChannel: Pick<ControllerChannel, 'forward'>;
  metrics: Pick<BrokerMetrics, 'requestDone'>;
  /** The listener this dispatcher serves. */
  listener: RequestContext['listener'];
  /** Logs a peer API refused on a client listener (rate-limited by the caller). */
  refused: (line: string) => void;
  access: Pick<AccessControl, 'forConnection'>;
}

export function createDispatcher(handlers: ReadonlyMap<number, Handler>, options: DispatcherOptions) {
  const { services, quorum, controllerChannel, metrics, listener, refused, access } = options;
  const accesses = new WeakMap<ConnectionInfo, ConnectionAccess>();
  /** The connection's access, made again if the connection authenticated since (its principal changed). */
  const accessOf = (connection: ConnectionInfo): ConnectionAccess => {
    const principal = listener.peer ? nodePrincipal(connection.sasl.peer) : connection.principal;
    let known = accesses.get(connection);
    if (known?.principal !== principal) {
      known = access.forConnection(principal, hostOf(connection.remote), listener.peer);
      accesses.set(connection, known);
    }
    return known;
  };
  return async (payload: Buffer, connection: ConnectionInfo, allocate: Allocate): Promise<Buffer[] | null> => {
    const decodeStarted = performance.now();
    let header;
    try {
      header = decodeRequestHeader(payload);
    } catch (err) {
      throw new RequestRejected(`malformed request header: ${(err as Error).message}`);
    }
    const { apiKey, apiVersion, correlationId } = header;
    const handler = handlers.get(apiKey);
    if (!handler || apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiKeys.ApiVersions) {
        return encodeResponseChunks(apiKey, 0, correlationId, {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: supportedApiVersions(handlers, listener.peer),
          throttleTimeMs: 0,
        });
      }
      return [unsupportedVersionFrame(correlationId)];
    }
    const malformed = (err: unknown) =>
      err instanceof ProtocolError ? new RequestRejected(`malformed ${apiKey}v${apiVersion} request from ${header.clientId ?? 'unknown client'}: ${err.message}`) : err;
    let body: unknown;
    try {
      body = decodeRequestBody(apiKey, apiVersion, payload, header.bodyOffset);
    } catch (err) {
      throw malformed(err);
    }
    if (!listener.peer) {
      const refusal = handler.clientRefusal?.(body, apiVersion) ?? (handler.peerOnly ? 'close' : null);
      if (refusal !== null) {
        const what = `a peer's request (API key ${apiKey}) on client listener ${listener.name}`;
        if (refusal === 'close') {
          refused(`closing connection ${connection.id} from ${connection.remote}: ${what}`);
          throw new RequestRejected(what, true);
        }
        refused(`refusing ${what} from ${connection.remote}: CLUSTER_AUTHORIZATION_FAILED`);
        return encodeResponseChunks(apiKey, apiVersion, correlationId, refusal);
      }
    }
    const connectionAccess = accessOf(connection);
    const ctx: RequestContext = {
      services,
      apiVersion,
      correlationId,
      clientId: header.clientId,
      clientAddress: connection.remote,
      principal: connectionAccess.principal,
      access: connectionAccess,
      listener,
      clientGone: connection.gone,
      allocate,
      peer: connection.sasl.peer,
      sasl: connection.sasl,
    };
    const started = performance.now();
    try {
      const authorization = handler.authorize?.(body, ctx) ?? null;
      if (authorization && 'denied' in authorization) return encodeResponseChunks(apiKey, apiVersion, correlationId, authorization.denied);
      const request = authorization ? authorization.request : body;
      const forward = handler.forwardToController === true && !quorum.isActiveController();
      // Muted at once, so that no pipelined Produce request starts behind it (connection.ts).
      const producedMs = apiKey === ApiKeys.Produce && !fromNode(ctx) ? services.quotas.produce.recordAndThrottleMs(ctx.principal, ctx.clientId, payload.length) : 0;
      connection.throttle(producedMs);
      // The body is the handler's key's request: that key's codec decoded it.
      const pending = !forward
        ? handleHere(handler, request, ctx, malformed)
        : handler.errorAnswer
          ? handler.errorAnswer(ErrorCode.NOT_CONTROLLER)
          : controllerChannel.forward(handler.apiKey, apiVersion, request as RequestOf<ApiKey>);
      const busyMs = performance.now() - decodeStarted;
      let response = await pending;
      if (authorization && response !== null) response = authorization.complete(response);
      const throttleMs = Math.max(producedMs, throttled(ctx, response, busyMs));
      connection.throttle(throttleMs);
      if (response === null) return null;
      const answered = throttleMs > 0 && 'throttleTimeMs' in (response as object) ? { ...(response as object), throttleTimeMs: throttleMs } : response;
      return encodeResponseChunks(apiKey, apiVersion, correlationId, answered);
    } finally {
      metrics.requestDone(apiKey, (performance.now() - started) / 1000);
    }
  };
}

/**
 * A kb node's own request, or one it forwards for a client (counted where
 * the client connected): exempt from client quotas. A node is known by its
 * authenticated connection (ctx.peer); with peer.authentication=none, by
 * its client id.
 */
function fromNode(ctx: RequestContext): boolean {
  if (ctx.services.peerAuth.required) return ctx.peer !== null;
  return /^kb-broker-\d+(-forwarding)?$/.test(ctx.clientId ?? '');
}

/**
 * The throttle time of a request's answer, but for producer_byte_rate's
 * (a Produce request's size, as Kafka counts it, acks=0 included,
 * recorded before the request runs): the larger of the handler's (its
 * response's throttleTimeMs: consumer_byte_rate, controller mutations)
 * and request_percentage's for `busyMs`, the time this node's one thread
 * spent on the request (decoding, and the handler up to its first wait: a
 * parked fetch waiting for data costs nothing).
 */
function throttled(ctx: RequestContext, response: unknown, busyMs: number): number {
  const handlerMs = response !== null && typeof (response as { throttleTimeMs?: unknown }).throttleTimeMs === 'number' ? (response as { throttleTimeMs: number }).throttleTimeMs : 0;
  if (fromNode(ctx)) return handlerMs;
  return Math.max(handlerMs, ctx.services.quotas.request.recordAndThrottleMs(ctx.principal, ctx.clientId, busyMs / 10));
}

async function handleHere(handler: Handler, request: unknown, ctx: RequestContext, malformed: (err: unknown) => unknown): Promise<unknown> {
  try {
    return await handler.handle(request, ctx);
  } catch (err) {
    throw malformed(err); // a body that decodes but does not read as the API's message (the Raft APIs' own checks)
  }
}

function unsupportedVersionFrame(correlationId: number): Buffer {
  const frame = Buffer.alloc(10);
  frame.writeInt32BE(6, 0);
  frame.writeInt32BE(correlationId, 4);
  frame.writeInt16BE(ErrorCode.UNSUPPORTED_VERSION, 8);
  return frame;
}
