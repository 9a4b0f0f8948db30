/**
 * DescribeClientQuotas (key 48), v0-1: the client quotas of the entities a
 * filter matches, from this node's image (as Kafka serves it from the
 * broker's metadata cache). Each filter component names an entity type
 * and how its part must match: 0 exactly `match`, 1 the default, 2 any
 * name (the default included). An entity matches when every component
 * matches one of its parts; strict also wants no part beyond the
 * components' types (so an empty strict filter matches nothing, an empty
 * non-strict one everything). A type named twice, or a type other than
 * `user` and `client-id`, is INVALID_REQUEST, as is a match type other
 * than 0-2. Needs DescribeConfigs on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeClientQuotasRequest } from '../../protocol/generated/describe-client-quotas-request.ts';
import type { DescribeClientQuotasResponse } from '../../protocol/generated/describe-client-quotas-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { quotaEntityTypes, type QuotaEntityPart } from '../../metadata/client-quotas.ts';
import { AclOperation } from '../../protocol/acl.ts';
import { authorizeCluster } from './authorize-items.ts';
import { defineHandler } from './handler.ts';

const matchExact = 0;
const matchDefault = 1;
const matchAny = 2;

type Component = DescribeClientQuotasRequest['components'][number];

function filterProblem(components: Component[]): string | null {
  const seen = new Set<string>();
  for (const { entityType, matchType, match } of components) {
    if (!(quotaEntityTypes as readonly string[]).includes(entityType)) return `Custom entity type '${entityType}' is not supported`;
    if (seen.has(entityType)) return `Entity type ${entityType} cannot appear more than once in the filter`;
    seen.add(entityType);
    if (matchType !== matchExact && matchType !== matchDefault && matchType !== matchAny) return `Unknown match type ${matchType}`;
    if (matchType === matchExact && match === null) return `An exact match for ${entityType} needs a name`;
  }
  return null;
}

function matches(entity: QuotaEntityPart[], components: Component[], strict: boolean): boolean {
  if (strict && entity.length !== components.length) return false;
  return components.every(({ entityType, matchType, match }) => {
    const part = entity.find((p) => p.entityType === entityType);
    if (!part) return false;
    if (matchType === matchDefault) return part.entityName === null;
    return matchType === matchAny || part.entityName === match;
  });
}

export default defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse>({
  apiKey: ApiKeys.DescribeClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  authorize(_request, ctx) {
    return authorizeCluster(ctx, AclOperation.DESCRIBE_CONFIGS, () => ({ throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, entries: null }));
  },
  handle(request, ctx) {
    const problem = filterProblem(request.components);
    if (problem) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, entries: null };
    const entries = [...ctx.services.image.clientQuotas.values()]
      .filter(({ entity }) => matches(entity, request.components, request.strict))
      .map(({ entity, values }) => ({ entity, values: [...values].map(([key, value]) => ({ key, value })) }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
  },
});
