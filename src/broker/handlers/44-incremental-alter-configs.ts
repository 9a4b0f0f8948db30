/**
 * IncrementalAlterConfigs (key 44), v0-1: per config entry SET (0),
 * DELETE (1, back to the default), APPEND (2) or SUBTRACT (3) for list-typed
 * configs (comma-separated values, e.g. cleanup.policy). Other overrides of
 * the topic stay as they are.
 * Needs AlterConfigs on each topic (TOPIC_AUTHORIZATION_FAILED) or, for a
 * broker, on the cluster (CLUSTER_AUTHORIZATION_FAILED), checked where the
 * request arrives.
 */
import { authorizeConfigAlterations } from './config-resources.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { IncrementalAlterConfigsRequest } from '../../protocol/generated/incremental-alter-configs-request.ts';
import type { IncrementalAlterConfigsResponse } from '../../protocol/generated/incremental-alter-configs-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { alterConfigResource } from './config-alteration.ts';

const operation = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

export default defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  apiKey: ApiKeys.IncrementalAlterConfigs,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 1,
  authorize(request, ctx) {
    return authorizeConfigAlterations(request, ctx.access);
  },
  async handle(request, ctx) {
    const responses = [];
    for (const resource of request.resources) {
      const effective = new Map(ctx.services.configs.entries(resource.resourceName).map((e) => [e.name, e.value ?? '']));
      const changes: { name: string; value: string | null }[] = [];
      let invalid: string | null = null;
      for (const c of resource.configs) {
        const listNow = (effective.get(c.name) ?? '').split(',').filter(Boolean);
        const items = (c.value ?? '').split(',').filter(Boolean);
        if (c.configOperation === operation.set) changes.push({ name: c.name, value: c.value });
        else if (c.configOperation === operation.delete) changes.push({ name: c.name, value: null });
        else if (c.configOperation === operation.append) changes.push({ name: c.name, value: [...new Set([...listNow, ...items])].join(',') });
        else if (c.configOperation === operation.subtract) changes.push({ name: c.name, value: listNow.filter((v: string) => !items.includes(v)).join(',') });
        else invalid = `unknown config operation ${c.configOperation} for ${c.name}`;
      }
      responses.push(
        invalid
          ? { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid, resourceType: resource.resourceType, resourceName: resource.resourceName }
          : await alterConfigResource(ctx.services, resource, changes, false, request.validateOnly),
      );
    }
    return { throttleTimeMs: 0, responses };
  },
});
