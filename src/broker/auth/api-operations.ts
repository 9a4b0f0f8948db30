/**
 * What each API the broker serves needs, per resource, as Kafka's KafkaApis
 * and ControllerApis authorize it, and where kb checks it:
 *
 * - `handler`: the handler asks ctx.access as it goes, per item, and
 *   answers each refused item with Kafka's error code;
 * - `authorize`: the handler's `authorize` runs where the request arrives,
 *   before it is handled or forwarded to the active controller (which
 *   takes a forwarded request for a node's);
 * - `peer listener`: a peer API (ClusterAction), served only on peer
 *   listeners, whose connections are kb's nodes (dispatcher.ts);
 * - `none`: nothing to authorize.
 *
 * test/broker/auth/api-operations.test.ts walks every registered API key
 * against this table, so a new handler cannot go without an entry.
 */
import { ApiKeys } from '../../protocol/generated/api-keys.ts';

export type Resource = 'Topic' | 'Group' | 'Cluster' | 'TransactionalId';
export type Operation = 'Read' | 'Write' | 'Create' | 'Delete' | 'Alter' | 'Describe' | 'ClusterAction' | 'DescribeConfigs' | 'AlterConfigs' | 'IdempotentWrite';

export interface ApiAuthorization {
  /** Each: this operation on this resource, `or` another (any one suffices). */
  needs: { resource: Resource; operation: Operation; or?: { resource: Resource; operation: Operation } }[];
  checkedBy: 'handler' | 'authorize' | 'peer listener' | 'none';
}

const peer: ApiAuthorization = { needs: [{ resource: 'Cluster', operation: 'ClusterAction' }], checkedBy: 'peer listener' };
const onCluster = (operation: Operation): ApiAuthorization => ({ needs: [{ resource: 'Cluster', operation }], checkedBy: 'authorize' });
const on = (resource: Resource, operation: Operation) => ({ resource, operation });

export const apiAuthorization: Readonly<Record<number, ApiAuthorization>> = {
  [ApiKeys.Produce]: { needs: [on('Topic', 'Write'), on('TransactionalId', 'Write')], checkedBy: 'handler' },
  // A replica's fetch is a peer's (refused on client listeners); a consumer's reads topics.
  [ApiKeys.Fetch]: { needs: [on('Topic', 'Read'), on('Cluster', 'ClusterAction')], checkedBy: 'handler' },
  [ApiKeys.ListOffsets]: { needs: [on('Topic', 'Describe')], checkedBy: 'handler' },
  // Lists only describable topics; auto-creation needs Create.
  [ApiKeys.Metadata]: { needs: [on('Topic', 'Describe'), { resource: 'Cluster', operation: 'Create', or: on('Topic', 'Create') }], checkedBy: 'handler' },
  [ApiKeys.OffsetCommit]: { needs: [on('Group', 'Read'), on('Topic', 'Read')], checkedBy: 'handler' },
  [ApiKeys.OffsetFetch]: { needs: [on('Group', 'Describe'), on('Topic', 'Describe')], checkedBy: 'handler' },
  [ApiKeys.FindCoordinator]: { needs: [on('Group', 'Describe'), on('TransactionalId', 'Describe')], checkedBy: 'handler' },
  [ApiKeys.JoinGroup]: { needs: [on('Group', 'Read')], checkedBy: 'handler' },
  [ApiKeys.Heartbeat]: { needs: [on('Group', 'Read')], checkedBy: 'handler' },
  [ApiKeys.LeaveGroup]: { needs: [on('Group', 'Read')], checkedBy: 'handler' },
  [ApiKeys.SyncGroup]: { needs: [on('Group', 'Read')], checkedBy: 'handler' },
  [ApiKeys.DescribeGroups]: { needs: [on('Group', 'Describe')], checkedBy: 'handler' },
  // Lists the describable groups (all of them with Describe on the cluster).
  [ApiKeys.ListGroups]: { needs: [{ resource: 'Cluster', operation: 'Describe', or: on('Group', 'Describe') }], checkedBy: 'handler' },
  // Authentication comes before any principal is known.
  [ApiKeys.SaslHandshake]: { needs: [], checkedBy: 'none' },
  [ApiKeys.ApiVersions]: { needs: [], checkedBy: 'none' },
  [ApiKeys.CreateTopics]: { needs: [{ resource: 'Cluster', operation: 'Create', or: on('Topic', 'Create') }], checkedBy: 'authorize' },
  [ApiKeys.DeleteTopics]: { needs: [on('Topic', 'Delete')], checkedBy: 'authorize' },
  [ApiKeys.DeleteRecords]: { needs: [on('Topic', 'Delete')], checkedBy: 'handler' },
  // A transactional producer needs Write on its id; an idempotent one (KIP-679):
  [ApiKeys.InitProducerId]: { needs: [on('TransactionalId', 'Write'), { resource: 'Cluster', operation: 'IdempotentWrite', or: on('Topic', 'Write') }], checkedBy: 'handler' },
  [ApiKeys.AddPartitionsToTxn]: { needs: [on('TransactionalId', 'Write'), on('Topic', 'Write')], checkedBy: 'handler' },
  [ApiKeys.AddOffsetsToTxn]: { needs: [on('TransactionalId', 'Write'), on('Group', 'Read')], checkedBy: 'handler' },
  [ApiKeys.EndTxn]: { needs: [on('TransactionalId', 'Write')], checkedBy: 'handler' },
  [ApiKeys.TxnOffsetCommit]: { needs: [on('TransactionalId', 'Write'), on('Group', 'Read'), on('Topic', 'Read')], checkedBy: 'handler' },
  [ApiKeys.DescribeProducers]: { needs: [on('Topic', 'Read')], checkedBy: 'handler' },
  [ApiKeys.DescribeTransactions]: { needs: [on('TransactionalId', 'Describe'), on('Topic', 'Describe')], checkedBy: 'handler' },
  // Lists the describable ids.
  [ApiKeys.ListTransactions]: { needs: [on('TransactionalId', 'Describe')], checkedBy: 'handler' },
  [ApiKeys.OffsetForLeaderEpoch]: { needs: [on('Topic', 'Describe')], checkedBy: 'handler' },
  // A kb node's on peer listeners; a client's (abort markers only: kafka-transactions.sh abort) needs ClusterAction.
  [ApiKeys.WriteTxnMarkers]: { needs: [on('Cluster', 'ClusterAction')], checkedBy: 'handler' },
  // SECURITY_DISABLED without an authorizer, as Kafka.
  [ApiKeys.DescribeAcls]: onCluster('Describe'),
  [ApiKeys.CreateAcls]: onCluster('Alter'),
  [ApiKeys.DeleteAcls]: onCluster('Alter'),
  [ApiKeys.DescribeConfigs]: { needs: [on('Topic', 'DescribeConfigs'), on('Cluster', 'DescribeConfigs')], checkedBy: 'handler' },
  [ApiKeys.AlterConfigs]: { needs: [on('Topic', 'AlterConfigs'), on('Cluster', 'AlterConfigs')], checkedBy: 'authorize' },
  [ApiKeys.DescribeLogDirs]: onCluster('Describe'),
  [ApiKeys.SaslAuthenticate]: { needs: [], checkedBy: 'none' },
  [ApiKeys.CreatePartitions]: { needs: [on('Topic', 'Alter')], checkedBy: 'authorize' },
  [ApiKeys.DeleteGroups]: { needs: [on('Group', 'Delete')], checkedBy: 'handler' },
  [ApiKeys.ElectLeaders]: onCluster('Alter'),
  [ApiKeys.IncrementalAlterConfigs]: { needs: [on('Topic', 'AlterConfigs'), on('Cluster', 'AlterConfigs')], checkedBy: 'authorize' },
  [ApiKeys.AlterPartitionReassignments]: onCluster('Alter'),
  [ApiKeys.ListPartitionReassignments]: onCluster('Describe'),
  [ApiKeys.OffsetDelete]: { needs: [on('Group', 'Delete'), on('Topic', 'Read')], checkedBy: 'handler' },
  [ApiKeys.DescribeClientQuotas]: onCluster('DescribeConfigs'),
  [ApiKeys.AlterClientQuotas]: onCluster('AlterConfigs'),
  [ApiKeys.DescribeUserScramCredentials]: onCluster('Describe'),
  [ApiKeys.AlterUserScramCredentials]: onCluster('Alter'),
  [ApiKeys.DescribeQuorum]: onCluster('Describe'),
  // Kafka authorizes DescribeCluster only for the authorized operations it may include (kb: never).
  [ApiKeys.DescribeCluster]: { needs: [], checkedBy: 'none' },
  [ApiKeys.Vote]: peer,
  [ApiKeys.BeginQuorumEpoch]: peer,
  [ApiKeys.EndQuorumEpoch]: peer,
  [ApiKeys.FetchSnapshot]: peer,
  [ApiKeys.AlterPartition]: peer,
  [ApiKeys.BrokerRegistration]: peer,
  [ApiKeys.BrokerHeartbeat]: peer,
  [ApiKeys.AllocateProducerIds]: peer,
};
