/**
 * One `kb health` check, shared by the command and `kb console`'s overview:
 * asks any reachable broker for the metadata, min.insync.replicas of every
 * topic and reassignments in progress (skipped when the controller does not
 * answer or lacks the API), the metadata quorum for its leader and voters,
 * and connects to every live broker, all bounded by one timeout; what has
 * not answered by then is judged as such (health-report.ts states the
 * rules). The report is UNKNOWN when no broker gives the metadata in time.
 */
import { Admin } from '../client/admin.ts';
import type { Cluster } from '../client/cluster.ts';
import { partitionStatuses } from '../client/partition-status.ts';
import { buildHealthReport, unknownReport, type HealthInput, type HealthReport, type HealthThresholds } from './health-report.ts';
import { quorumStatus } from './quorum-status.ts';

/** The verdict on `cluster` from what answers within `timeoutMs`. */
export async function checkHealth(cluster: Cluster, timeoutMs: number, thresholds: HealthThresholds): Promise<HealthReport> {
  try {
    return buildHealthReport(await gather(cluster, Date.now() + timeoutMs, timeoutMs), thresholds);
  } catch (err) {
    return unknownReport((err as Error).message);
  }
}

/**
 * What the cluster answers by `deadline`. UNKNOWN (a throw) only when no
 * broker gives the metadata in time (or min.insync.replicas, asked of a
 * broker that just answered); a broker, quorum leader or controller that
 * does not answer in time counts as down, without a quorum, or skipped.
 */
async function gather(cluster: Cluster, deadline: number, timeoutMs: number): Promise<HealthInput> {
  const unanswered = () => Promise.reject(new Error(`no answer within --timeout ${timeoutMs / 1000} s`));
  const metadata = await byDeadline(cluster.refreshMetadata(null), deadline, unanswered);
  const admin = new Admin(cluster);
  const liveBrokers = [...metadata.brokers.keys()];
  const [quorum, minIsr, reassignments, reachable] = await Promise.all([
    byDeadline(
      admin.describeQuorum().then(
        (q) => ({ leaderId: q.leaderId, voters: q.voters.map((v) => v.replicaId), observers: q.observers.map((o) => o.replicaId), maxLag: quorumStatus(q).maxFollowerLag }),
        (err: Error) => ({ error: err.message }),
      ),
      deadline,
      () => ({ error: `the quorum leader did not answer within --timeout ${timeoutMs / 1000} s` }),
    ),
    byDeadline(admin.minInsyncReplicas([...metadata.topics.keys()]), deadline, unanswered),
    // Asked of the controller; without one that answers (or an older one without the API), the check is skipped.
    metadata.controllerId < 0 ? null : byDeadline(admin.listPartitionReassignments().catch(() => null), deadline, () => null),
    Promise.all(liveBrokers.map((id) => byDeadline(cluster.broker(id).then(() => true, () => false), deadline, () => false))),
  ]);
  return {
    controllerId: metadata.controllerId,
    liveBrokers,
    unreachableBrokers: liveBrokers.filter((_, i) => !reachable[i]),
    quorum,
    partitions: partitionStatuses(metadata.topics.values(), minIsr),
    topics: metadata.topics.size,
    reassignments,
  };
}

/** `work`'s outcome, or `late()`'s once `deadline` (ms since the epoch) passes first. */
function byDeadline<T>(work: Promise<T>, deadline: number, late: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
