/**
 * Kafka's code tables for config resources, as the config APIs
 * (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs, CreateTopics)
 * carry them: the resource type of a config resource (Kafka's
 * ConfigResource.Type, not the ACL resource types) and the source of a
 * config value (DescribeConfigsResponse's ConfigSource).
 */

export const configResourceType = { topic: 2, broker: 4 } as const;

export const configSource = {
  dynamicTopic: 1,
  dynamicBroker: 2,
  dynamicDefaultBroker: 3,
  staticBroker: 4,
  default: 5,
} as const;
