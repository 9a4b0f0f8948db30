/**
 * Authorization of an API that names several resources and is decided
 * where the request arrives (handler.ts `authorize`, e.g. a forwarded
 * CreateTopics): the request goes on with the items the principal may act
 * on, and the answer gets a refusal for each of the others (clients match
 * results by name, not position). Null when every item is allowed. And of
 * an API on the cluster as a whole: all or nothing.
 */
import { ResourceType, clusterResourceName } from '../../protocol/acl.ts';
import type { Authorization, RequestContext } from './handler.ts';

export interface Items<Request, Response, Item, Result> {
  items: Item[];
  allowed: (item: Item) => boolean;
  /** The request with only these items. */
  withItems: (request: Request, items: Item[]) => Request;
  refusal: (item: Item) => Result;
  /** The answer with these results added. */
  withResults: (response: Response, results: Result[]) => Response;
}

export function authorizeItems<Request, Response, Item, Result>(request: Request, spec: Items<Request, Response, Item, Result>): Authorization<Request, Response> {
  const refused = spec.items.filter((item) => !spec.allowed(item));
  if (refused.length === 0) return null;
  return {
    request: spec.withItems(
      request,
      spec.items.filter((item) => !refused.includes(item)),
    ),
    complete: (response) => spec.withResults(response, refused.map(spec.refusal)),
  };
}

/** Authorization of an API on the cluster as a whole: `denied` is the answer when the principal may not do `operation` on it. */
export function authorizeCluster<Response>(ctx: RequestContext, operation: number, denied: () => NoInfer<Response>): { denied: Response } | null {
  return ctx.access.allows(operation, ResourceType.CLUSTER, clusterResourceName) ? null : { denied: denied() };
}
