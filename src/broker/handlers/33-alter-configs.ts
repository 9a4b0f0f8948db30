/**
 * AlterConfigs (key 33), v0-2: replaces a topic's whole set of overrides
 * (names not given go back to their defaults), validated like CreateTopics
 * configs. Broker settings are static in kb: altering them is INVALID_REQUEST.
 * Needs AlterConfigs on each topic (TOPIC_AUTHORIZATION_FAILED) or, for a
 * broker, on the cluster (CLUSTER_AUTHORIZATION_FAILED), checked where the
 * request arrives.
 */
import { authorizeConfigAlterations } from './config-resources.ts';
import type { AlterConfigsRequest } from '../../protocol/generated/alter-configs-request.ts';
import type { AlterConfigsResponse } from '../../protocol/generated/alter-configs-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { alterConfigResource } from './config-alteration.ts';

export default defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  apiKey: ApiKeys.AlterConfigs,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 2,
  authorize(request, ctx) {
    return authorizeConfigAlterations(request, ctx.access);
  },
  async handle(request, ctx) {
    const responses = [];
    for (const resource of request.resources) {
      const changes = resource.configs.map((c) => ({ name: c.name, value: c.value }));
      responses.push(await alterConfigResource(ctx.services, resource, changes, true, request.validateOnly));
    }
    return { throttleTimeMs: 0, responses };
  },
});
