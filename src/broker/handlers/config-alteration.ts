/**
 * The common end of AlterConfigs and IncrementalAlterConfigs: checks the
 * resource, then hands the topic config changes to the controller.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { Broker } from '../broker.ts';
import { resourceProblem, resourceType } from './config-resources.ts';

export async function alterConfigResource(
  broker: Broker,
  resource: { resourceType: number; resourceName: string },
  changes: { name: string; value: string | null }[],
  replace: boolean,
  validateOnly: boolean,
) {
  const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
  const problem = resourceProblem(broker, resource.resourceType, resource.resourceName);
  if (problem) return { ...base, ...problem };
  if (resource.resourceType !== resourceType.topic) {
    return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'broker settings are static: set them with --config or --set at start' };
  }
  const result = await broker.controller.alterTopicConfigs(resource.resourceName, changes, replace, validateOnly);
  return { ...base, ...result };
}
