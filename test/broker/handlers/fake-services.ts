/**
 * Runs a handler without a broker: a request context whose services are the
 * fakes a test passes. Any other service the handler reaches for throws,
 * naming it, so a test also shows which services a handler needs.
 */
import type { BrokerServices, Handler, RequestContext } from '../../../src/broker/handlers/handler.ts';
import { ConnectionAccess, nodePrincipal } from '../../../src/broker/auth/access-control.ts';

export function fakeServices(given: Partial<BrokerServices>): BrokerServices {
  return new Proxy(given as BrokerServices, {
    get(target, name) {
      if (name in target) return target[name as keyof BrokerServices];
      throw new Error(`the handler used services.${String(name)}, which this test does not fake`);
    },
  });
}

/** Runs the handler as a peer's request (which authorization lets through; `access`: another principal's). */
export function handle<Request, Response>(handler: Handler<Request, Response>, request: Request, apiVersion: number, services: Partial<BrokerServices>, access = new ConnectionAccess(null, nodePrincipal(null), '127.0.0.1', () => {})) {
  const ctx: RequestContext = {
    services: fakeServices(services),
    apiVersion,
    correlationId: 1,
    clientId: 'test',
    clientAddress: '127.0.0.1:1',
    principal: access.principal,
    access,
    listener: { name: 'PEER', peer: true },
    clientGone: new AbortController().signal,
    allocate: Buffer.allocUnsafe,
  };
  return handler.handle(request, ctx);
}
