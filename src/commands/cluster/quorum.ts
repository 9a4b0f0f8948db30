/**
 * `kb cluster quorum`: the metadata quorum, like kafka-metadata-quorum
 * describe --status and --replication together: leader, epoch, high
 * watermark, the largest follower lag (in entries, and how long ago that
 * voter was last caught up), then per voter and observer its status, log
 * end offset, lag behind the leader's log end, and how long ago (by the
 * leader's clock) it last fetched and was last caught up.
 * --json: the QuorumStatus of src/cli/quorum-status.ts.
 */
import { Admin } from '../../client/admin.ts';
import { KbCommand } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';
import { quorumStatus, type QuorumStatus, type Replica } from '../../cli/quorum-status.ts';

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
