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
 */
import { ErrorCode } from '../../protocol/errors.ts';
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
