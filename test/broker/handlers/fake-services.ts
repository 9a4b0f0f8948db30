/**
 * Runs a handler without a broker: a request context whose services are the
 * fakes a test passes. Any other service the handler reaches for throws,
 * naming it, so a test also shows which services a handler needs.
 */
import type { BrokerServices, Handler, RequestContext } from '../../../src/broker/handlers/handler.ts';
import { ConnectionAccess } from '../../../src/broker/auth/access-control.ts';
import { anonymousPrincipal } from '../../../src/broker/auth/principal.ts';

export function fakeServices(given: Partial<BrokerServices>): BrokerServices {
  return new Proxy(given as BrokerServices, {
    get(target, name) {
      if (name in target) return target[name as keyof BrokerServices];
      throw new Error(`the handler used services.${String(name)}, which this test does not fake`);
    },
  });
}

/**
 * Runs `handler` as a plain client's request with authorization off, unless
 * `context` says otherwise (e.g. `peer`: the node the connection
 * authenticated as; `access`: what another principal may do).
 */
export function handle<Request, Response>(handler: Handler<Request, Response>, request: Request, apiVersion: number, services: Partial<BrokerServices>, context: Partial<RequestContext> = {}) {
  const ctx: RequestContext = {
    services: fakeServices(services),
    apiVersion,
    correlationId: 1,
    clientId: 'test',
    clientAddress: '127.0.0.1:1',
    principal: anonymousPrincipal,
    access: new ConnectionAccess(null, anonymousPrincipal, '127.0.0.1', () => {}),
    listener: { name: 'PEER', peer: true },
    clientGone: new AbortController().signal,
    allocate: Buffer.allocUnsafe,
    peer: null,
    sasl: null,
    ...context,
  };
  return handler.handle(request, ctx);
}
