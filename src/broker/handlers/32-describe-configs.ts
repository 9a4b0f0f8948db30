/**
 * DescribeConfigs (key 32), v0-4: a topic's effective configs (overrides set
 * on the topic, broker-level `log.*` settings, or Kafka's defaults, with the
 * source of each) or this broker's settings. Named keys only when
 * configuration_keys is given; documentation when asked (v3+).
 * Needs DescribeConfigs on each topic (TOPIC_AUTHORIZATION_FAILED) or, for
 * a broker, on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { AclOperation } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeConfigsRequest } from '../../protocol/generated/describe-configs-request.ts';
import type { DescribeConfigsResponse } from '../../protocol/generated/describe-configs-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { configRefusal, resourceProblem } from './config-resources.ts';
import { configResourceType } from '../../protocol/config-codes.ts';

export default defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  apiKey: ApiKeys.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const services = ctx.services;
    const results = request.resources.map((resource) => {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      const problem = configRefusal(ctx.access, AclOperation.DESCRIBE_CONFIGS, resource.resourceType, resource.resourceName) ?? resourceProblem(services, resource.resourceType, resource.resourceName);
      if (problem) return { ...base, ...problem, configs: [] };
      const entries =
        resource.resourceType === configResourceType.topic ? services.configs.entries(resource.resourceName) : services.configs.brokerEntries();
      const keys: string[] | null = resource.configurationKeys;
      return {
        ...base,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        configs: entries
          .filter((e) => keys === null || keys.includes(e.name))
          .map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isDefault: e.isDefault,
            configSource: e.source,
            isSensitive: false,
            synonyms: request.includeSynonyms ? [{ name: e.name, value: e.value, source: e.source }] : [],
            configType: e.configType,
            documentation: request.includeDocumentation ? e.doc : null,
          })),
      };
    });
    return { throttleTimeMs: 0, results };
  },
});
