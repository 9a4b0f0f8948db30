/**
 * Shared by the config APIs (DescribeConfigs, AlterConfigs,
 * IncrementalAlterConfigs): Kafka's resource type and config source codes,
 * and resolving a resource to an error when it does not exist.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { Broker } from '../broker.ts';

export const resourceType = { topic: 2, broker: 4 } as const;

export const configSource = {
  dynamicTopic: 1,
  dynamicBroker: 2,
  dynamicDefaultBroker: 3,
  staticBroker: 4,
  default: 5,
} as const;

/** The error for a config resource that is not a topic or this broker, or null when it exists. */
export function resourceProblem(broker: Broker, type: number, name: string): { errorCode: number; errorMessage: string } | null {
  if (type === resourceType.topic) {
    return broker.image.topicsByName.has(name)
      ? null
      : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic '${name}' does not exist` };
  }
  if (type === resourceType.broker) {
    return name === '' || name === String(broker.nodeId)
      ? null
      : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `this is broker ${broker.nodeId}; ask broker '${name}' itself` };
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${type} is not supported` };
}
