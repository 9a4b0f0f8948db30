/**
 * The common end of AlterConfigs and IncrementalAlterConfigs (both run on
 * the active controller): topic config changes, and changes of the dynamic
 * broker settings (replication throttles) of one broker or, with an empty
 * name, of all. Every other broker setting is static.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { configResourceType } from '../../protocol/config-codes.ts';
import type { BrokerServices } from './handler.ts';
import { resourceProblem } from './config-resources.ts';

export async function alterConfigResource(
  services: Pick<BrokerServices, 'image' | 'node' | 'controller'>,
  resource: { resourceType: number; resourceName: string },
  changes: { name: string; value: string | null }[],
  replace: boolean,
  validateOnly: boolean,
) {
  const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
  if (resource.resourceType === configResourceType.broker) {
    if (replace) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'broker settings change with IncrementalAlterConfigs only' };
    return { ...base, ...(await services.controller.alterBrokerConfigs(resource.resourceName, changes, validateOnly)) };
  }
  const problem = resourceProblem(services, resource.resourceType, resource.resourceName);
  if (problem) return { ...base, ...problem };
  const result = await services.controller.alterTopicConfigs(resource.resourceName, changes, replace, validateOnly);
  return { ...base, ...result };
}
