/**
 * Metadata (key 3), v0-9 (v10+ would key topics by id; see the topic-id
 * trap in CLIENTS.md). The live (registered, unfenced) brokers (each at its
 * endpoint on the listener the request came in on; one without that
 * listener is left out, as Kafka does), the active
 * controller (the metadata quorum's leader, -1 when none is known), and per
 * topic its partitions with leader, leader epoch, replicas, ISR and offline
 * replicas (those on brokers that are fenced or not registered). A
 * partition whose leader is none or not live is LEADER_NOT_AVAILABLE with
 * leader -1, as Kafka answers, so clients wait and refresh.
 *
 * Topic selection: v0 with an empty list, or v1+ with null, means all
 * topics; v1+ with an empty list means none. A requested topic that does not
 * exist is created when the request allows it (v4+ flag, always before v4)
 * and `auto.create.topics.enable` is true, with `num.partitions` partitions
 * and `default.replication.factor` capped at the live brokers (never an
 * internal topic: the group coordinator creates those); otherwise it
 * is answered with UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for an
 * illegal name). One request creates at most
 * `auto.create.topics.max.per.request` topics (the first ones named; the
 * rest, answered UNKNOWN_TOPIC_OR_PARTITION, by later requests), logged.
 * Auto-creation is a client's request forwarded to the controller, so
 * controller.mutation.rate and max.broker.partitions apply to it. A topic
 * this request created is answered, as Kafka does, with
 * LEADER_NOT_AVAILABLE and no partitions: clients ask again (by then its
 * partitions are open here, as the creation is awaited).
 *
 * Authorization (auth/api-operations.ts), as Kafka: a listing of all
 * topics shows only those the principal may Describe; a topic asked for by
 * name that it may not Describe is TOPIC_AUTHORIZATION_FAILED, and so is
 * one it would auto-create without Create on the cluster or the topic.
 *
 * A broker that is not serving (still starting, or without its controller
 * lease: Broker.serving) may hold stale or partial metadata: it answers
 * without its own leaderships (those partitions LEADER_NOT_AVAILABLE, leader
 * -1), a topic it does not know with the retriable LEADER_NOT_AVAILABLE
 * instead of UNKNOWN_TOPIC_OR_PARTITION, and creates nothing; clients
 * refresh and find the truth on another broker or once it serves.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { topicNameProblem } from '../../controller/topic-names.ts';
import type { TopicImage } from '../../metadata/image.ts';
import type { MetadataRequest } from '../../protocol/generated/metadata-request.ts';
import type { MetadataResponse } from '../../protocol/generated/metadata-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler, type BrokerServices, type NodeService } from './handler.ts';
import { zeroUuid } from '../../protocol/well-known.ts';
import { brokersOn } from '../../metadata/records.ts';
import { AclOperation, ResourceType, clusterResourceName } from '../../protocol/acl.ts';

const authorizedOperationsUnknown = -2147483648;

export default defineHandler<MetadataRequest, MetadataResponse>({
  apiKey: ApiKeys.Metadata,
  minVersion: 0,
  maxVersion: 9,
  async handle(request, ctx) {
    const services = ctx.services;
    const node = services.node;
    const requested: string[] | null =
      request.topics === null || (ctx.apiVersion === 0 && request.topics.length === 0)
        ? null
        : request.topics.flatMap((t) => (t.name === null ? [] : [t.name]));
    const serving = node.serving();
    const access = ctx.access;
    const refused = new Set((requested ?? []).filter((name) => !access.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, name)));
    const allowCreate = serving && (ctx.apiVersion < 4 || request.allowAutoTopicCreation) && services.settings.bool('auto.create.topics.enable');
    if (allowCreate && requested !== null && !access.mayList(AclOperation.CREATE, ResourceType.CLUSTER, clusterResourceName)) {
      for (const name of requested) {
        if (!refused.has(name) && !services.image.topicsByName.has(name) && !access.allows(AclOperation.CREATE, ResourceType.TOPIC, name)) refused.add(name);
      }
    }
    const creatable = requested?.filter((name) => !refused.has(name)) ?? null;
    const created = creatable !== null && allowCreate ? await autoCreate(services, creatable, ctx.clientAddress) : new Set<string>();

    const image = services.image;
    const liveBrokers = node.liveBrokers();
    const live = new Set(liveBrokers.map((b) => b.nodeId));
    // Leaders clients may be sent to: not this broker while it is not serving.
    const leaders = serving ? live : new Set([...live].filter((id) => id !== node.nodeId));
    const unknownTopic = serving ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.LEADER_NOT_AVAILABLE;
    const topics =
      requested === null
        ? [...image.topicsByName.values()].filter((t) => access.mayList(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)).map((t) => describeTopic(node, t, live, leaders))
        : [...new Set(requested)].map((name) => {
            if (refused.has(name)) return withoutPartitions(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            if (created.has(name)) return withoutPartitions(name, ErrorCode.LEADER_NOT_AVAILABLE);
            const topic = image.topicsByName.get(name);
            if (topic) return describeTopic(node, topic, live, leaders);
            return withoutPartitions(name, topicNameProblem(name) ? ErrorCode.INVALID_TOPIC_EXCEPTION : unknownTopic);
          });
    return {
      throttleTimeMs: 0,
      brokers: brokersOn(liveBrokers, ctx.listener.name).map(({ broker, endpoint }) => ({ nodeId: broker.nodeId, host: endpoint.host, port: endpoint.port, rack: broker.rack })),
      clusterId: image.clusterId,
      controllerId: node.controllerId(),
      topics,
      clusterAuthorizedOperations: authorizedOperationsUnknown,
    };
  },
});

/** Creates the topics of `names` that do not exist (within the per-request bound); the names of those it created. */
async function autoCreate({ node, image, settings, log }: BrokerServices, names: string[], client: string): Promise<Set<string>> {
  const missing = [...new Set(names)].filter((n) => !image.topicsByName.has(n) && topicNameProblem(n) === null && !node.isInternalTopic(n));
  if (missing.length === 0) return new Set();
  const perRequestMax = settings.int('auto.create.topics.max.per.request');
  if (missing.length > perRequestMax) {
    log.warn(`Metadata from ${client} names ${missing.length} topics to auto-create: creating the first ${perRequestMax} (auto.create.topics.max.per.request)`);
  }
  const replicationFactor = Math.min(settings.int('default.replication.factor'), node.liveBrokers().length);
  const creating = missing.slice(0, perRequestMax);
  const results = await node.createTopics(creating.map((name) => ({ name, numPartitions: -1, replicationFactor, assignments: [], configs: [] })), { forClient: true });
  return new Set(creating.filter((_, i) => results[i].errorCode === ErrorCode.NONE));
}

/** A topic answered with an error only. */
function withoutPartitions(name: string, errorCode: number) {
  return { errorCode, name, topicId: zeroUuid, isInternal: false, partitions: [], topicAuthorizedOperations: authorizedOperationsUnknown };
}

/** A topic's partitions; a leader not in `leaders` is answered as none (LEADER_NOT_AVAILABLE); `live` decides the offline replicas. */
function describeTopic(node: NodeService, topic: TopicImage, live: ReadonlySet<number>, leaders: ReadonlySet<number>) {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: Buffer.from(topic.topicId, 'hex'),
    isInternal: node.isInternalTopic(topic.name),
    partitions: topic.partitions.map((p) => {
      const leaderLive = p.leader !== -1 && leaders.has(p.leader);
      return {
        errorCode: leaderLive ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
        partitionIndex: p.partition,
        leaderId: leaderLive ? p.leader : -1,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: p.replicas,
        isrNodes: p.isr,
        offlineReplicas: p.replicas.filter((id) => !live.has(id)),
      };
    }),
    topicAuthorizedOperations: authorizedOperationsUnknown,
  };
}
