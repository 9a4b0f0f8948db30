/**
 * What `kb partitions balance` proposes, shared with `kb console`: the
 * current replicas of the topics (the named ones, or every non-internal
 * topic), the live brokers from the metadata, balance-plan.ts's plan over
 * them, and the partitions it changes (current and target replicas). A
 * topic with more replicas than there are live brokers is a UserError.
 */
import { Admin } from '../client/admin.ts';
import type { Cluster, TopicInfo } from '../client/cluster.ts';
import { planBalance, type BalancePlan } from './balance-plan.ts';
import { UserError } from './kb-command.ts';
import type { ChangingPartition } from './reassignment-start.ts';

export interface BalanceProposal {
  topics: TopicInfo[];
  plan: BalancePlan;
  changing: ChangingPartition[];
}

export async function proposeBalance(cluster: Cluster, topicNames: string[] | undefined): Promise<BalanceProposal> {
  const admin = new Admin(cluster);
  const topics = topicNames ? await Promise.all([...new Set(topicNames)].map((name) => admin.describeTopic(name))) : (await admin.listTopics()).filter((t) => !t.internal);
  const brokers = [...cluster.metadata!.brokers.values()].map((b) => ({ nodeId: b.nodeId, rack: b.rack }));
  const current = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition, replicas: p.replicas })));
  let plan: BalancePlan;
  try {
    plan = planBalance(current, brokers);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  const before = new Map(current.map((p) => [`${p.topic}-${p.partition}`, p.replicas]));
  const changing = plan.partitions.map((p) => ({ topic: p.topic, partition: p.partition, current: before.get(`${p.topic}-${p.partition}`)!, target: p.replicas }));
  return { topics, plan, changing };
}
