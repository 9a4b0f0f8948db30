/**
 * OffsetFetch (key 9), v0-8: a group's committed offsets. v0-7 ask for one
 * group (topics null from v2: every partition with a committed offset);
 * v8 for several groups at once (the `groups` array). A partition without
 * a commit answers offset -1, leader epoch -1, metadata ''. A group-level
 * error (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS) is the top-level
 * error code from v2 and the group's error in v8; v0-1 have no top-level
 * code, so it is repeated for every requested partition there.
 * require_stable (v7+): a partition whose offset a transaction holds (a
 * TxnOffsetCommit not ended yet) answers UNSTABLE_OFFSET_COMMIT.
 * Needs Describe on the group (GROUP_AUTHORIZATION_FAILED, a group-level
 * error) and on each topic: a topic asked for gets
 * TOPIC_AUTHORIZATION_FAILED per partition, and every partition (topics
 * null) leaves out the topics it may not Describe, as Kafka.
 */
import { AclOperation, ResourceType } from '../../protocol/acl.ts';
import type { ConnectionAccess } from '../auth/access-control.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { OffsetFetchRequest } from '../../protocol/generated/offset-fetch-request.ts';
import type { OffsetFetchResponse, OffsetFetchResponseTopic } from '../../protocol/generated/offset-fetch-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler, type GroupService } from './handler.ts';

const groupsArrayVersion = 8;
const topLevelErrorVersion = 2;
const requireStableVersion = 7;

interface WantedTopic {
  name: string;
  partitionIndexes: number[];
}

async function fetchGroup(
  groups: GroupService,
  access: ConnectionAccess,
  groupId: string,
  topics: WantedTopic[] | null,
  requireStable: boolean,
): Promise<{ errorCode: number; topics: OffsetFetchResponseTopic[] }> {
  if (!access.allows(AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  const describable = (topic: string) => access.mayList(AclOperation.DESCRIBE, ResourceType.TOPIC, topic);
  const refused = (topics ?? []).filter((t) => !access.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name));
  const wanted = topics?.filter((t) => describable(t.name)).flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition }))) ?? null;
  const fetched = await groups.fetchOffsets(groupId, wanted, requireStable);
  const byTopic = new Map<string, OffsetFetchResponseTopic>();
  for (const t of refused) {
    const partitions = t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }));
    byTopic.set(t.name, { name: t.name, partitions });
  }
  for (const o of fetched.offsets) {
    if (!describable(o.topic)) continue;
    let topic = byTopic.get(o.topic);
    if (topic === undefined) byTopic.set(o.topic, (topic = { name: o.topic, partitions: [] }));
    topic.partitions.push({
      partitionIndex: o.partition,
      committedOffset: o.committed?.offset ?? -1n,
      committedLeaderEpoch: o.committed?.leaderEpoch ?? -1,
      metadata: o.committed?.metadata ?? '',
      errorCode: o.errorCode,
    });
  }
  return { errorCode: fetched.errorCode, topics: [...byTopic.values()] };
}

export default defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: ApiKeys.OffsetFetch,
  minVersion: 0,
  maxVersion: 8,
  async handle(request, ctx) {
    const groups = ctx.services.groups;
    if (ctx.apiVersion >= groupsArrayVersion) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: ErrorCode.NONE,
        groups: await Promise.all(
          request.groups.map(async (g) => {
            const result = await fetchGroup(groups, ctx.access, g.groupId, g.topics, request.requireStable);
            return { groupId: g.groupId, errorCode: result.errorCode, topics: result.topics };
          }),
        ),
      };
    }
    const result = await fetchGroup(groups, ctx.access, request.groupId, request.topics, ctx.apiVersion >= requireStableVersion && request.requireStable);
    if (result.errorCode !== ErrorCode.NONE && ctx.apiVersion < topLevelErrorVersion) {
      result.topics = (request.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: result.errorCode,
        })),
      }));
    }
    return { throttleTimeMs: 0, topics: result.topics, errorCode: result.errorCode, groups: [] };
  },
});
