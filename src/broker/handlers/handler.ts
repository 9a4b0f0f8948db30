/**
 * What a handler file (handlers/NN-name.ts, one per API key) exports: the
 * versions it serves and a function from the decoded request body to the
 * response body (or null: send nothing, as for acks=0 produce). Handlers put
 * protocol failures into the response as per-item error codes; a thrown
 * exception is a bug and closes the client's connection.
 */
import type { Broker } from '../broker.ts';
import type { Allocate } from '../server/buffer-pool.ts';

export interface RequestContext {
  broker: Broker;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** host:port of the client. */
  clientAddress: string;
  /** Aborted once the client's connection has closed: a request still waiting (a parked fetch) has nobody to answer. */
  clientGone: AbortSignal;
  /** Memory the response may refer to: valid until the response has been written, reused after. */
  allocate: Allocate;
}

export interface Handler<Request = any, Response = any> {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
  /**
   * The highest version ApiVersions advertises when lower than maxVersion:
   * versions above it are served to kb's own nodes only (which send them
   * without asking), e.g. the Fetch version of the metadata quorum, which
   * clients must not pick up.
   */
  advertisedMaxVersion?: number;
  handle(request: Request, ctx: RequestContext): Promise<Response | null> | Response | null;
}

/** Identity helper that checks a handler's shape where it is defined. */
export function defineHandler<Request, Response>(handler: Handler<Request, Response>): Handler<Request, Response> {
  return handler;
}
