/**
 * Shared by the config APIs (DescribeConfigs, AlterConfigs,
 * IncrementalAlterConfigs): resolving a config resource to an error when it
 * does not exist. The code tables are in protocol/config-codes.ts.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { configResourceType } from '../../protocol/config-codes.ts';
import type { BrokerServices } from './handler.ts';

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
