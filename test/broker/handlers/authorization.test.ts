/**
 * Handlers' per-item authorization with a principal whose ACLs allow some
 * items: OffsetCommit commits only the topics it may Read (the others
 * TOPIC_AUTHORIZATION_FAILED) and nothing without Read on the group; an
 * idempotent producer needs Write on some topic (or IdempotentWrite);
 * ListGroups and DescribeConfigs leave out or refuse what may not be
 * described; AlterConfigs and IncrementalAlterConfigs go on with the
 * resources that may be altered and refuse the others; the ACL APIs answer SECURITY_DISABLED without an authorizer,
 * as Kafka; a client's WriteTxnMarkers writes ABORT markers with ClusterAction
 * on the cluster and never COMMIT markers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import offsetCommit from '../../../src/broker/handlers/08-offset-commit.ts';
import initProducerId from '../../../src/broker/handlers/22-init-producer-id.ts';
import listGroups from '../../../src/broker/handlers/16-list-groups.ts';
import describeConfigs from '../../../src/broker/handlers/32-describe-configs.ts';
import alterConfigs from '../../../src/broker/handlers/33-alter-configs.ts';
import incrementalAlterConfigs from '../../../src/broker/handlers/44-incremental-alter-configs.ts';
import describeAcls from '../../../src/broker/handlers/29-describe-acls.ts';
import createAcls from '../../../src/broker/handlers/30-create-acls.ts';
import deleteAcls from '../../../src/broker/handlers/31-delete-acls.ts';
import writeTxnMarkers from '../../../src/broker/handlers/27-write-txn-markers.ts';
import { AccessControl } from '../../../src/broker/auth/access-control.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import type { AclRecord } from '../../../src/metadata/records.ts';
import { AclOperation, AclPermission, PatternType, ResourceType } from '../../../src/protocol/acl.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { defaultDescribeAclsRequest } from '../../../src/protocol/generated/describe-acls-request.ts';
import { defaultAclCreation } from '../../../src/protocol/generated/create-acls-request.ts';
import { defaultDeleteAclsFilter } from '../../../src/protocol/generated/delete-acls-request.ts';
import type { RequestContext } from '../../../src/broker/handlers/handler.ts';
import { fakeServices, handle } from './fake-services.ts';

const allowRead = (resourceType: number, resourceName: string): AclRecord => ({
  type: 'acl',
  resourceType,
  resourceName,
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: AclOperation.READ,
  permission: AclPermission.ALLOW,
});

function aliceWith(records: AclRecord[]) {
  const image = new MetadataImage();
  records.forEach((r) => image.apply(r));
  return new AccessControl({ enabled: true, superUsers: new Set(), allowIfNoAcl: false }, image, () => {}).forConnection('User:alice', '10.0.0.1', false);
}

const commit = (topics: string[]) => ({
  groupId: 'g',
  generationIdOrMemberEpoch: 1,
  memberId: 'm',
  groupInstanceId: null,
  retentionTimeMs: -1n,
  topics: topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] })),
});

describe('per-item authorization in handlers', () => {
  it('OffsetCommit commits the topics the principal may Read, refuses the others, and everything without Read on the group', async () => {
    const committed: string[][] = [];
    const groups = { commitOffsets: async (c: { offsets: { topic: string }[] }) => (committed.push(c.offsets.map((o) => o.topic)), c.offsets.map(() => ErrorCode.NONE)) };
    const access = aliceWith([allowRead(ResourceType.GROUP, 'g'), allowRead(ResourceType.TOPIC, 'a')]);
    const response = await handle(offsetCommit, commit(['a', 'b']), 8, { groups } as never, { access, principal: access.principal });
    assert.deepEqual(response!.topics.map((t) => [t.name, t.partitions[0].errorCode]), [['a', ErrorCode.NONE], ['b', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    assert.deepEqual(committed, [['a']]);

    const noGroup = aliceWith([allowRead(ResourceType.TOPIC, 'a')]);
    const refused = await handle(offsetCommit, commit(['a']), 8, { groups } as never, { access: noGroup, principal: noGroup.principal });
    assert.equal(refused!.topics[0].partitions[0].errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    assert.equal(committed.length, 1, 'nothing committed');
  });

  it('InitProducerId gives an idempotent producer an id with Write on some topic, else CLUSTER_AUTHORIZATION_FAILED', async () => {
    const node = { nextProducerId: async () => 7n };
    const request = { transactionalId: null, transactionTimeoutMs: 0, producerId: -1n, producerEpoch: -1 };
    const writer = aliceWith([{ ...allowRead(ResourceType.TOPIC, 'orders-'), patternType: PatternType.PREFIXED, operation: AclOperation.WRITE }]);
    const allowed = await handle(initProducerId, request, 4, { node } as never, { access: writer, principal: writer.principal });
    assert.deepEqual([allowed!.errorCode, allowed!.producerId], [ErrorCode.NONE, 7n]);
    const reader = aliceWith([allowRead(ResourceType.TOPIC, 'orders')]);
    const refused = await handle(initProducerId, request, 4, { node } as never, { access: reader, principal: reader.principal });
    assert.equal(refused!.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  });

  it("WriteTxnMarkers from a client writes ABORT markers with ClusterAction on the cluster; COMMIT markers never, nor without it", async () => {
    const written: boolean[] = [];
    const partition = {
      appendMarker: async (m: { commit: boolean }) => (written.push(m.commit), { errorCode: ErrorCode.NONE, lastOffset: 0n }),
      waitForReplication: async () => ({ errorCode: ErrorCode.NONE }),
    };
    const services = { replicas: { leaderPartition: () => partition }, groups: {} };
    const request = (commit: boolean) => ({ markers: [{ producerId: 5n, producerEpoch: 0, transactionResult: commit, coordinatorEpoch: 0, topics: [{ name: 't', partitionIndexes: [0] }] }] });
    const errorOf = (r: any) => r.markers[0].topics[0].partitions[0].errorCode;
    const clientListener = { name: 'CLIENT', peer: false };
    const operator = aliceWith([{ ...allowRead(ResourceType.CLUSTER, 'kafka-cluster'), operation: AclOperation.CLUSTER_ACTION }]);
    const asOperator = { access: operator, principal: operator.principal, listener: clientListener };
    assert.equal(errorOf(await handle(writeTxnMarkers, request(false), 1, services as never, asOperator)), ErrorCode.NONE);
    assert.equal(errorOf(await handle(writeTxnMarkers, request(true), 1, services as never, asOperator)), ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const reader = aliceWith([allowRead(ResourceType.TOPIC, 't')]);
    const refused = await handle(writeTxnMarkers, request(false), 1, services as never, { access: reader, principal: reader.principal, listener: clientListener });
    assert.equal(errorOf(refused), ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    assert.deepEqual(written, [false], 'only the allowed abort marker was written');
  });

  it('ListGroups lists the groups the principal may describe, all of them with Describe on the cluster', async () => {
    const groups = { list: async () => ({ errorCode: ErrorCode.NONE, groups: ['a', 'b'].map((groupId) => ({ groupId, protocolType: 'consumer', groupState: 'Stable' as const })) }) };
    const reader = aliceWith([allowRead(ResourceType.GROUP, 'a')]);
    const some = await handle(listGroups, { statesFilter: [], typesFilter: [] }, 4, { groups } as never, { access: reader, principal: reader.principal });
    assert.deepEqual(some!.groups.map((g) => g.groupId), ['a']);
    const clusterWide = aliceWith([{ ...allowRead(ResourceType.CLUSTER, 'kafka-cluster'), operation: AclOperation.DESCRIBE }]);
    const all = await handle(listGroups, { statesFilter: [], typesFilter: [] }, 4, { groups } as never, { access: clusterWide, principal: clusterWide.principal });
    assert.deepEqual(all!.groups.map((g) => g.groupId), ['a', 'b']);
  });

  it("DescribeConfigs answers a topic or broker the principal may not DescribeConfigs with TOPIC_ or CLUSTER_AUTHORIZATION_FAILED", async () => {
    const image = new MetadataImage();
    image.apply({ type: 'topic', name: 't', topicId: 'ab'.repeat(16) });
    const services = { image, node: { nodeId: 1 }, configs: { entries: () => [], brokerEntries: () => [] } };
    const request = { resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }, { resourceType: 4, resourceName: '1', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false };
    const nobody = aliceWith([]);
    const refused = await handle(describeConfigs, request, 4, services as never, { access: nobody, principal: nobody.principal });
    assert.deepEqual(refused!.results.map((r) => r.errorCode), [ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
    const alterer = aliceWith([{ ...allowRead(ResourceType.TOPIC, 't'), operation: AclOperation.ALTER_CONFIGS }]);
    const implied = await handle(describeConfigs, request, 4, services as never, { access: alterer, principal: alterer.principal });
    assert.deepEqual(implied!.results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.CLUSTER_AUTHORIZATION_FAILED], 'AlterConfigs implies DescribeConfigs');
  });

  it('AlterConfigs and IncrementalAlterConfigs go on with the resources the principal may AlterConfigs and refuse the others, by name', () => {
    const alterer = aliceWith([{ ...allowRead(ResourceType.TOPIC, 't'), operation: AclOperation.ALTER_CONFIGS }]);
    const ctx = { access: alterer } as unknown as RequestContext;
    const resources = [
      { resourceType: 2, resourceName: 't', configs: [] },
      { resourceType: 2, resourceName: 'u', configs: [] },
      { resourceType: 4, resourceName: '1', configs: [] },
    ];
    for (const handler of [alterConfigs, incrementalAlterConfigs] as const) {
      const decided = handler.authorize!({ resources, validateOnly: false } as never, ctx);
      assert.ok(decided && 'request' in decided, 'some resources are refused');
      assert.deepEqual(decided.request.resources.map((r) => r.resourceName), ['t']);
      const served = { resourceType: 2, resourceName: 't', errorCode: ErrorCode.NONE, errorMessage: null };
      const answer = decided.complete({ throttleTimeMs: 0, responses: [served] } as never) as { responses: { resourceName: string; errorCode: number }[] };
      assert.deepEqual(
        answer.responses.map((r) => [r.resourceName, r.errorCode]),
        [['t', ErrorCode.NONE], ['u', ErrorCode.TOPIC_AUTHORIZATION_FAILED], ['1', ErrorCode.CLUSTER_AUTHORIZATION_FAILED]],
      );
    }
  });

  it('the ACL APIs answer SECURITY_DISABLED without an authorizer', () => {
    const image = new MetadataImage();
    const off = new AccessControl({ enabled: false, superUsers: new Set(), allowIfNoAcl: false }, image, () => {});
    const ctx = { services: fakeServices({ access: off }), apiVersion: 3, access: off.forConnection('User:alice', 'h', false) } as unknown as RequestContext;
    const described = describeAcls.authorize!(defaultDescribeAclsRequest(), ctx);
    assert.equal(described && 'denied' in described && described.denied.errorCode, ErrorCode.SECURITY_DISABLED);
    const created = createAcls.authorize!({ creations: [defaultAclCreation()] }, ctx);
    assert.equal(created && 'denied' in created && created.denied.results[0].errorCode, ErrorCode.SECURITY_DISABLED);
    const deleted = deleteAcls.authorize!({ filters: [defaultDeleteAclsFilter()] }, ctx);
    assert.equal(deleted && 'denied' in deleted && deleted.denied.filterResults[0].errorCode, ErrorCode.SECURITY_DISABLED);
  });
});
