/**
 * AlterClientQuotas (key 49), v0-1: sets and removes client quotas of
 * user, client-id and user+client-id entities (defaults: a null name).
 * Served by the active controller (forwarded), which decides with Kafka's
 * error codes (controller/client-quotas.ts); validate_only answers the
 * same and changes nothing. Every node enforces what the image holds.
 * Needs AlterConfigs on the cluster (CLUSTER_AUTHORIZATION_FAILED for
 * every entry), checked where the request arrives.
 */
import type { AlterClientQuotasRequest } from '../../protocol/generated/alter-client-quotas-request.ts';
import type { AlterClientQuotasResponse } from '../../protocol/generated/alter-client-quotas-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { AclOperation } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { authorizeCluster } from './authorize-items.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponse>({
  apiKey: ApiKeys.AlterClientQuotas,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 1,
  authorize(request, ctx) {
    return authorizeCluster(ctx, AclOperation.ALTER_CONFIGS, () => ({
      throttleTimeMs: 0,
      entries: request.entries.map(({ entity }) => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, entity })),
    }));
  },
  async handle(request, ctx) {
    const entries = await ctx.services.controller.alterClientQuotas(request.entries, request.validateOnly);
    return { throttleTimeMs: 0, entries };
  },
});
