/**
 * CreateTopics (key 19), v0-7: validated and placed by the controller;
 * per-topic errors (TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION,
 * INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT,
 * INVALID_CONFIG; INVALID_REQUEST for an internal topic's name unless a
 * kb node asks: controller-channel.ts callerOf; POLICY_VIOLATION above
 * max.broker.partitions; THROTTLING_QUOTA_EXCEEDED beyond
 * controller.mutation.rate, with the throttle time). validate_only checks
 * without creating. From v5 the result
 * carries the partition count, replication factor and effective configs.
 * Needs Create on the cluster or on each topic (TOPIC_AUTHORIZATION_FAILED),
 * checked where the request arrives.
 */
import { authorizeItems } from './authorize-items.ts';
import { AclOperation, ResourceType, clusterResourceName } from '../../protocol/acl.ts';
import { ErrorCode, errorMessage } from '../../protocol/errors.ts';
import type { CreateTopicsRequest } from '../../protocol/generated/create-topics-request.ts';
import type { CreateTopicsResponse } from '../../protocol/generated/create-topics-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { callerOf } from '../controller-channel.ts';
import { zeroUuid } from '../../protocol/well-known.ts';

export default defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: ApiKeys.CreateTopics,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 7,
  authorize(request, ctx) {
    const anyTopic = ctx.access.mayList(AclOperation.CREATE, ResourceType.CLUSTER, clusterResourceName);
    return authorizeItems(request, {
      items: request.topics,
      allowed: (t) => anyTopic || ctx.access.allows(AclOperation.CREATE, ResourceType.TOPIC, t.name),
      withItems: (r, topics) => ({ ...r, topics }),
      refusal: (t) => ({
        name: t.name,
        topicId: zeroUuid,
        errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        errorMessage: errorMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED),
        topicConfigErrorCode: ErrorCode.NONE,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      }),
      withResults: (response, topics) => ({ ...response, topics: [...response.topics, ...topics] }),
    });
  },
  async handle(request, ctx) {
    const services = ctx.services;
    const caller = callerOf(ctx);
    const created = await services.controller.createTopics(
      request.topics.map((t) => ({
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        assignments: t.assignments.map((a) => ({ partition: a.partitionIndex, brokerIds: a.brokerIds })),
        configs: t.configs.map((c) => ({ name: c.name, value: c.value })),
      })),
      ctx.apiVersion >= 1 && request.validateOnly,
      caller,
    );
    await Promise.all(created.map((t) => services.replicas.topicReady(t.name)));
    const requestedConfigs = new Map(request.topics.map((r) => [r.name, r.configs]));
    return {
      throttleTimeMs: services.controller.mutationThrottleMs(caller),
      topics: created.map((t) => ({
        name: t.name,
        topicId: t.topicId ? Buffer.from(t.topicId, 'hex') : zeroUuid,
        errorCode: t.errorCode,
        errorMessage: t.errorMessage,
        topicConfigErrorCode: ErrorCode.NONE,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        configs:
          t.errorCode === ErrorCode.NONE
            ? services.configs.entries(t.name, requestedConfigs.get(t.name) ?? []).map((c) => ({
                name: c.name,
                value: c.value,
                readOnly: c.readOnly,
                configSource: c.source,
                isSensitive: false,
              }))
            : null,
      })),
    };
  },
});
