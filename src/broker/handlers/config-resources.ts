/**
 * Shared by the config APIs (DescribeConfigs, AlterConfigs,
 * IncrementalAlterConfigs): resolving a config resource to an error when it
 * does not exist, and the refusal when the principal may not do a config
 * operation on it (a topic's: on the topic; a broker's: on the cluster),
 * and the authorization of the two alter APIs built on that refusal.
 * The code tables are in protocol/config-codes.ts.
 */
import { ErrorCode, errorMessage } from '../../protocol/errors.ts';
import type { ConnectionAccess } from '../auth/access-control.ts';
import { configResourceType } from '../../protocol/config-codes.ts';
import type { Authorization, BrokerServices } from './handler.ts';
import { authorizeItems } from './authorize-items.ts';
import { AclOperation, ResourceType, clusterResourceName } from '../../protocol/acl.ts';

/** The error for a config resource that is not a topic or this broker, or null when it exists. */
export function resourceProblem(
  services: Pick<BrokerServices, 'image' | 'node'>,
  type: number,
  name: string,
): { errorCode: number; errorMessage: string } | null {
  if (type === configResourceType.topic) {
    return services.image.topicsByName.has(name)
      ? null
      : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic '${name}' does not exist` };
  }
  if (type === configResourceType.broker) {
    const nodeId = services.node.nodeId;
    return name === '' || name === String(nodeId)
      ? null
      : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `this is broker ${nodeId}; ask broker '${name}' itself` };
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${type} is not supported` };
}

/** TOPIC_ or CLUSTER_AUTHORIZATION_FAILED when the principal may not `operation` (DescribeConfigs, AlterConfigs) the resource; null otherwise. */
export function configRefusal(access: ConnectionAccess, operation: number, type: number, name: string): { errorCode: number; errorMessage: string } | null {
  const refused = (errorCode: number) => ({ errorCode, errorMessage: errorMessage(errorCode) });
  if (type === configResourceType.topic) return access.allows(operation, ResourceType.TOPIC, name) ? null : refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  return access.allows(operation, ResourceType.CLUSTER, clusterResourceName) ? null : refused(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
}

interface ConfigResource {
  resourceType: number;
  resourceName: string;
}

/**
 * AlterConfigs' and IncrementalAlterConfigs' authorization: the request goes
 * on with the resources the principal may alter, the answer gets a refusal
 * for each of the others.
 */
export function authorizeConfigAlterations<Request extends { resources: ConfigResource[] }, Response extends { responses: object[] }>(
  request: Request,
  access: ConnectionAccess,
): Authorization<Request, Response> {
  const refusal = (r: ConfigResource) => configRefusal(access, AclOperation.ALTER_CONFIGS, r.resourceType, r.resourceName);
  return authorizeItems(request, {
    items: request.resources,
    allowed: (r) => refusal(r) === null,
    withItems: (r, resources) => ({ ...r, resources }),
    refusal: (r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, ...refusal(r)! }),
    withResults: (response: Response, responses) => ({ ...response, responses: [...response.responses, ...responses] }),
  });
}
