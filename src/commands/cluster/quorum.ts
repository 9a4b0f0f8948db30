/**
 * `kb cluster quorum`: the metadata quorum, like kafka-metadata-quorum
 * describe --status and --replication together: leader, epoch, high
 * watermark, the largest follower lag (in entries, and how long ago that
 * voter was last caught up), then per voter and observer its status, log
 * end offset, lag behind the leader's log end, and how long ago (by the
 * leader's clock) it last fetched and was last caught up.
 * --json: {leaderId, leaderEpoch, highWatermark, maxFollowerLag,
 * maxFollowerLagTimeMs, voters: [Replica], observers: [Replica]} with
 * Replica {nodeId, status: leader|follower|observer, logEndOffset, lag,
 * lastFetchTimestamp, lastCaughtUpTimestamp}; unknown values are null.
 */
import { Admin, type QuorumInfo, type QuorumReplica } from '../../client/admin.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

interface Replica {
  nodeId: number;
  status: 'leader' | 'follower' | 'observer';
  logEndOffset: number | null;
  lag: number | null;
  lastFetchTimestamp: number | null;
  lastCaughtUpTimestamp: number | null;
}

export interface QuorumStatus {
  leaderId: number;
  leaderEpoch: number;
  highWatermark: number;
  maxFollowerLag: number | null;
  maxFollowerLagTimeMs: number | null;
  voters: Replica[];
  observers: Replica[];
}

export default class ClusterQuorum extends KbCommand {
  static override description = 'Show the metadata quorum: leader, epoch, high watermark, voters and observers with their lag';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> cluster quorum', '<%= config.bin %> cluster quorum --json'];

  async run(): Promise<QuorumStatus> {
    await this.parse(ClusterQuorum);
    const status = quorumStatus(await new Admin(await this.cluster()).describeQuorum());
    const leaderNow = status.voters.find((v) => v.status === 'leader')?.lastCaughtUpTimestamp ?? null;
    const ago = (ts: number | null) => (ts === null || leaderNow === null ? null : `${leaderNow - ts} ms ago`);
    const ids = (rs: Replica[]) => (rs.length === 0 ? '-' : rs.map((r) => r.nodeId).join(','));
    const maxLag = status.maxFollowerLag === null ? '-' : `${status.maxFollowerLag}${status.maxFollowerLagTimeMs === null ? '' : ` (caught up ${status.maxFollowerLagTimeMs} ms ago)`}`;
    this.log(
      `LEADER          ${status.leaderId}\nEPOCH           ${status.leaderEpoch}\nHIGH WATERMARK  ${status.highWatermark}\n` +
        `MAX LAG         ${maxLag}\nVOTERS          ${ids(status.voters)}\nOBSERVERS       ${ids(status.observers)}\n`,
    );
    this.log(
      renderTable(
        ['NODE', 'STATUS', 'LOG-END', 'LAG', 'LAST-FETCH', 'LAST-CAUGHT-UP'],
        [...status.voters, ...status.observers].map((r) => [r.nodeId, r.status, r.logEndOffset, r.lag, ago(r.lastFetchTimestamp), ago(r.lastCaughtUpTimestamp)]),
      ),
    );
    return status;
  }
}

/** The quorum as the command shows it: lags against the leader's log end; -1 (unknown) as null. */
export function quorumStatus(quorum: QuorumInfo): QuorumStatus {
  const known = (value: bigint) => (value < 0n ? null : Number(value));
  const leaderEnd = known(quorum.voters.find((v) => v.replicaId === quorum.leaderId)?.logEndOffset ?? -1n);
  const replica = (r: QuorumReplica, observer: boolean): Replica => {
    const logEndOffset = known(r.logEndOffset);
    return {
      nodeId: r.replicaId,
      status: observer ? 'observer' : r.replicaId === quorum.leaderId ? 'leader' : 'follower',
      logEndOffset,
      lag: logEndOffset === null || leaderEnd === null ? null : Math.max(0, leaderEnd - logEndOffset),
      lastFetchTimestamp: known(r.lastFetchTimestamp),
      lastCaughtUpTimestamp: known(r.lastCaughtUpTimestamp),
    };
  };
  const voters = quorum.voters.map((r) => replica(r, false)).sort((a, b) => a.nodeId - b.nodeId);
  const observers = quorum.observers.map((r) => replica(r, true)).sort((a, b) => a.nodeId - b.nodeId);
  const leader = voters.find((v) => v.status === 'leader');
  const laggiest = voters.filter((v) => v.lag !== null).sort((a, b) => b.lag! - a.lag!)[0];
  const lagTime = leader?.lastCaughtUpTimestamp != null && laggiest?.lastCaughtUpTimestamp != null ? leader.lastCaughtUpTimestamp - laggiest.lastCaughtUpTimestamp : null;
  return {
    leaderId: quorum.leaderId,
    leaderEpoch: quorum.leaderEpoch,
    highWatermark: Number(quorum.highWatermark),
    maxFollowerLag: laggiest?.lag ?? null,
    maxFollowerLagTimeMs: lagTime,
    voters,
    observers,
  };
}
