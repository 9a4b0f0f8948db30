/**
 * Authorization of the transaction APIs (fake services, a principal with
 * some ACLs), as Kafka: InitProducerId, EndTxn need Write on the
 * transactional id; AddPartitionsToTxn also Write on each topic (the
 * refused ones TOPIC_AUTHORIZATION_FAILED, the rest OPERATION_NOT_ATTEMPTED,
 * nothing added); TxnOffsetCommit Read on the group and on each topic;
 * DescribeTransactions and ListTransactions show only describable ids;
 * DescribeProducers needs Read on the topic.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import initProducerId from '../../../src/broker/handlers/22-init-producer-id.ts';
import addPartitionsToTxn from '../../../src/broker/handlers/24-add-partitions-to-txn.ts';
import endTxn from '../../../src/broker/handlers/26-end-txn.ts';
import txnOffsetCommit from '../../../src/broker/handlers/28-txn-offset-commit.ts';
import describeTransactions from '../../../src/broker/handlers/65-describe-transactions.ts';
import listTransactions from '../../../src/broker/handlers/66-list-transactions.ts';
import describeProducers from '../../../src/broker/handlers/61-describe-producers.ts';
import { AccessControl } from '../../../src/broker/auth/access-control.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import type { AclRecord } from '../../../src/metadata/records.ts';
import { AclOperation, AclPermission, PatternType, ResourceType } from '../../../src/protocol/acl.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { handle } from './fake-services.ts';

const allow = (resourceType: number, resourceName: string, operation: number): AclRecord => ({
  type: 'acl',
  resourceType,
  resourceName,
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation,
  permission: AclPermission.ALLOW,
});

function alice(...records: AclRecord[]) {
  const image = new MetadataImage();
  records.forEach((r) => image.apply(r));
  const access = new AccessControl({ enabled: true, superUsers: new Set(), allowIfNoAcl: false }, image, () => {}).forConnection('User:alice', '10.0.0.1', false);
  return { access, principal: access.principal };
}

const writeTxn = allow(ResourceType.TRANSACTIONAL_ID, 'tx', AclOperation.WRITE);
const described = (transactionalId: string, topics: string[]) => ({
  errorCode: ErrorCode.NONE,
  transactionalId,
  state: 'Ongoing',
  timeoutMs: 1000,
  startMs: 1,
  producerId: 5n,
  producerEpoch: 0,
  topics: topics.map((name) => ({ name, partitions: [0] })),
});

describe('authorization of the transaction APIs', () => {
  it('InitProducerId and EndTxn need Write on the transactional id', async () => {
    const txns = { initProducerId: async () => ({ errorCode: ErrorCode.NONE, producerId: 5n, producerEpoch: 0 }), endTxn: async () => ErrorCode.NONE };
    const init = { transactionalId: 'tx', transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 };
    assert.equal((await handle(initProducerId, init, 4, { txns } as never, alice(writeTxn)))!.errorCode, ErrorCode.NONE);
    const reader = alice(allow(ResourceType.TRANSACTIONAL_ID, 'tx', AclOperation.DESCRIBE));
    assert.equal((await handle(initProducerId, init, 4, { txns } as never, reader))!.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const end = { transactionalId: 'tx', producerId: 5n, producerEpoch: 0, committed: true };
    assert.equal((await handle(endTxn, end, 3, { txns } as never, alice(writeTxn)))!.errorCode, ErrorCode.NONE);
    assert.equal((await handle(endTxn, end, 3, { txns } as never, reader))!.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  it('AddPartitionsToTxn adds nothing unless every topic may be written', async () => {
    const added: string[][] = [];
    const txns = {
      addPartitions: async (_id: string, _p: bigint, _e: number, topics: { name: string; partitions: number[] }[]) => {
        added.push(topics.map((t) => t.name));
        return new Map(topics.map((t) => [t.name, new Map(t.partitions.map((p) => [p, ErrorCode.NONE]))]));
      },
    };
    const request = (names: string[]) => ({ transactions: [], v3AndBelowTransactionalId: 'tx', v3AndBelowProducerId: 5n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: names.map((name) => ({ name, partitions: [0] })) });
    const errors = async (names: string[], who: ReturnType<typeof alice>) =>
      (await handle(addPartitionsToTxn, request(names), 3, { txns } as never, who))!.resultsByTopicV3AndBelow.map((t) => [t.name, t.resultsByPartition[0].partitionErrorCode]);
    const writer = alice(writeTxn, allow(ResourceType.TOPIC, 'a', AclOperation.WRITE));
    assert.deepEqual(await errors(['a'], writer), [['a', ErrorCode.NONE]]);
    assert.deepEqual(await errors(['a', 'b'], writer), [
      ['a', ErrorCode.OPERATION_NOT_ATTEMPTED],
      ['b', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    assert.deepEqual(await errors(['a'], alice(allow(ResourceType.TOPIC, 'a', AclOperation.WRITE))), [['a', ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]]);
    assert.deepEqual(added, [['a']]);
  });

  it('TxnOffsetCommit needs Read on the group and commits only readable topics', async () => {
    const committed: string[][] = [];
    const groups = { commitTxnOffsets: async (c: { offsets: { topic: string }[] }) => (committed.push(c.offsets.map((o) => o.topic)), c.offsets.map(() => ErrorCode.NONE)) };
    const request = {
      transactionalId: 'tx',
      groupId: 'g',
      producerId: 5n,
      producerEpoch: 0,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: ['a', 'b'].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }] })),
    };
    const errors = async (who: ReturnType<typeof alice>) => (await handle(txnOffsetCommit, request, 3, { groups } as never, who))!.topics.map((t) => [t.name, t.partitions[0].errorCode]);
    const member = alice(writeTxn, allow(ResourceType.GROUP, 'g', AclOperation.READ), allow(ResourceType.TOPIC, 'a', AclOperation.READ));
    assert.deepEqual(await errors(member), [
      ['a', ErrorCode.NONE],
      ['b', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    assert.deepEqual(await errors(alice(writeTxn, allow(ResourceType.TOPIC, 'a', AclOperation.READ))), [
      ['a', ErrorCode.GROUP_AUTHORIZATION_FAILED],
      ['b', ErrorCode.GROUP_AUTHORIZATION_FAILED],
    ]);
    assert.deepEqual(committed, [['a']]);
  });

  it('DescribeTransactions and ListTransactions show only what may be described', async () => {
    const txns = {
      describe: (ids: string[]) => ids.map((id) => described(id, id === 'tx' ? ['a'] : ['secret'])),
      list: () => ({ errorCode: ErrorCode.NONE, unknownStates: [], transactions: ['tx', 'other'].map((transactionalId) => ({ transactionalId, producerId: 5n, state: 'Ongoing' })) }),
    };
    const viewer = alice(
      allow(ResourceType.TRANSACTIONAL_ID, 'tx', AclOperation.DESCRIBE),
      allow(ResourceType.TRANSACTIONAL_ID, 'hidden-topics', AclOperation.DESCRIBE),
      allow(ResourceType.TOPIC, 'a', AclOperation.DESCRIBE),
    );
    const describedStates = (await handle(describeTransactions, { transactionalIds: ['tx', 'other', 'hidden-topics'] }, 0, { txns } as never, viewer))!.transactionStates;
    assert.deepEqual(
      describedStates.map((s) => [s.transactionalId, s.errorCode]),
      [
        ['tx', ErrorCode.NONE],
        ['other', ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
        ['hidden-topics', ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
      ],
    );
    const listed = await handle(listTransactions, { stateFilters: [], producerIdFilters: [], durationFilter: -1n }, 1, { txns } as never, viewer);
    assert.deepEqual(listed!.transactionStates.map((s) => s.transactionalId), ['tx']);
  });

  it('DescribeProducers answers only for topics the principal may Read', async () => {
    const replicas = { leaderPartition: () => ({ describeProducers: () => [{ producerId: 5n, epoch: 1, lastSequence: 3, lastTimestamp: 9n, coordinatorEpoch: 2, txnStartOffset: 7n }] }) };
    const request = { topics: ['a', 'b'].map((name) => ({ name, partitionIndexes: [0] })) };
    const response = await handle(describeProducers, request, 0, { replicas } as never, alice(allow(ResourceType.TOPIC, 'a', AclOperation.READ)));
    assert.deepEqual(
      response!.topics.map((t) => [t.name, t.partitions[0].errorCode, t.partitions[0].activeProducers.map((p) => [p.producerId, p.currentTxnStartOffset])]),
      [
        ['a', ErrorCode.NONE, [[5n, 7n]]],
        ['b', ErrorCode.TOPIC_AUTHORIZATION_FAILED, []],
      ],
    );
  });
});
