/**
 * The explicit command map oclif loads (package.json "oclif.commands"):
 * command id (words joined by ':') -> command class. Explicit discovery keeps
 * the CLI working inside the bundled single executable, where there is no
 * directory to scan. Add every new command here, then `npm run manifest`.
 */
import AclCheck from './acl/check.ts';
import AclCreate from './acl/create.ts';
import AclDelete from './acl/delete.ts';
import AclList from './acl/list.ts';
import BenchConsume from './bench/consume.ts';
import BenchProduce from './bench/produce.ts';
import BrokerStart from './broker/start.ts';
import ClusterDown from './cluster/down.ts';
import ClusterInfo from './cluster/info.ts';
import ClusterQuorum from './cluster/quorum.ts';
import ClusterRestart from './cluster/restart.ts';
import ClusterStart from './cluster/start.ts';
import ClusterStop from './cluster/stop.ts';
import ClusterUp from './cluster/up.ts';
import Completion from './completion.ts';
import ConfigDelete from './config/delete.ts';
import ConfigGet from './config/get.ts';
import ConfigSet from './config/set.ts';
import Console from './console.ts';
import Consume from './consume.ts';
import GroupDelete from './group/delete.ts';
import GroupDeleteOffsets from './group/delete-offsets.ts';
import GroupDescribe from './group/describe.ts';
import GroupLag from './group/lag.ts';
import GroupList from './group/list.ts';
import GroupResetOffsets from './group/reset-offsets.ts';
import Health from './health.ts';
import LogDump from './log/dump.ts';
import PartitionsBalance from './partitions/balance.ts';
import PartitionsElectLeaders from './partitions/elect-leaders.ts';
import PartitionsList from './partitions/list.ts';
import PartitionsReassign from './partitions/reassign.ts';
import ProfileCreate from './profile/create.ts';
import ProfileDelete from './profile/delete.ts';
import ProfileList from './profile/list.ts';
import ProfileShow from './profile/show.ts';
import ProfileUse from './profile/use.ts';
import Produce from './produce.ts';
import QuotaDelete from './quota/delete.ts';
import QuotaList from './quota/list.ts';
import QuotaSet from './quota/set.ts';
import TopicAddPartitions from './topic/add-partitions.ts';
import TopicAlterConfig from './topic/alter-config.ts';
import TopicCreate from './topic/create.ts';
import TopicDelete from './topic/delete.ts';
import TopicDeleteRecords from './topic/delete-records.ts';
import TopicDescribe from './topic/describe.ts';
import TopicList from './topic/list.ts';
import TopicOffsets from './topic/offsets.ts';
import TxnAbort from './txn/abort.ts';
import TxnDescribe from './txn/describe.ts';
import TxnFindHanging from './txn/find-hanging.ts';
import TxnList from './txn/list.ts';
import UserCreate from './user/create.ts';
import UserDelete from './user/delete.ts';
import UserList from './user/list.ts';
import UserSetPassword from './user/set-password.ts';

export const COMMANDS = {
  'acl:check': AclCheck,
  'acl:create': AclCreate,
  'acl:delete': AclDelete,
  'acl:list': AclList,
  'bench:consume': BenchConsume,
  'bench:produce': BenchProduce,
  'broker:start': BrokerStart,
  'cluster:down': ClusterDown,
  'cluster:info': ClusterInfo,
  'cluster:quorum': ClusterQuorum,
  'cluster:restart': ClusterRestart,
  'cluster:start': ClusterStart,
  'cluster:stop': ClusterStop,
  'cluster:up': ClusterUp,
  completion: Completion,
  'config:delete': ConfigDelete,
  'config:get': ConfigGet,
  'config:set': ConfigSet,
  console: Console,
  consume: Consume,
  'group:delete': GroupDelete,
  'group:delete-offsets': GroupDeleteOffsets,
  'group:describe': GroupDescribe,
  'group:lag': GroupLag,
  'group:list': GroupList,
  'group:reset-offsets': GroupResetOffsets,
  health: Health,
  'log:dump': LogDump,
  'partitions:balance': PartitionsBalance,
  'partitions:elect-leaders': PartitionsElectLeaders,
  'partitions:list': PartitionsList,
  'partitions:reassign': PartitionsReassign,
  'profile:create': ProfileCreate,
  'profile:delete': ProfileDelete,
  'profile:list': ProfileList,
  'profile:show': ProfileShow,
  'profile:use': ProfileUse,
  produce: Produce,
  'quota:delete': QuotaDelete,
  'quota:list': QuotaList,
  'quota:set': QuotaSet,
  'topic:add-partitions': TopicAddPartitions,
  'topic:alter-config': TopicAlterConfig,
  'topic:create': TopicCreate,
  'topic:delete': TopicDelete,
  'topic:delete-records': TopicDeleteRecords,
  'topic:describe': TopicDescribe,
  'topic:list': TopicList,
  'topic:offsets': TopicOffsets,
  'txn:abort': TxnAbort,
  'txn:describe': TxnDescribe,
  'txn:find-hanging': TxnFindHanging,
  'txn:list': TxnList,
  'user:create': UserCreate,
  'user:delete': UserDelete,
  'user:list': UserList,
  'user:set-password': UserSetPassword,
};
