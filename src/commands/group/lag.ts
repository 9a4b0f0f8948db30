/**
 * `kb group lag [GROUP...]`: one row per consumer group (every group, or
 * those named): state, members, partitions with committed offsets, the
 * total lag (log end minus committed, summed) and the largest lag of one
 * partition. With --warn-lag N / --crit-lag N a group whose total lag is
 * at least N is WARNING / CRITICAL, and the exit code is the worst: 0 OK,
 * 1 WARNING, 2 CRITICAL (the Nagios codes of `kb health`), so cron can
 * watch consumer lag. A named group that does not exist is an error (exit 1).
 */
import { Args, Flags } from '@oclif/core';
import { GroupAdmin } from '../../client/groups.ts';
import { KbCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

const statuses = ['OK', 'WARNING', 'CRITICAL'] as const;

interface GroupLag {
  group: string;
  state: string;
  members: number;
  partitions: number;
  lag: number;
  maxPartitionLag: number;
  status: (typeof statuses)[number];
}

export default class GroupLagCommand extends KbCommand {
  static override description = 'Lag of consumer groups, one row each; with thresholds, exit 0 OK, 1 WARNING, 2 CRITICAL';
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = ['<%= config.bin %> group lag', '<%= config.bin %> group lag billing shipping --warn-lag 1000 --crit-lag 100000'];
  static override args = { group: Args.string({ description: 'group id(s) (default: every group)' }) };
  static override flags = {
    'warn-lag': Flags.integer({ description: "WARNING (exit 1) when a group's total lag is at least this", min: 0 }),
    'crit-lag': Flags.integer({ description: "CRITICAL (exit 2) when a group's total lag is at least this", min: 0 }),
  };

  async run(): Promise<{ groups: GroupLag[]; status: GroupLag['status'] }> {
    const { argv, flags } = await this.parse(GroupLagCommand);
    const [warn, crit] = [flags['warn-lag'] ?? Infinity, flags['crit-lag'] ?? Infinity];
    if (warn > crit) throw new UsageError(`--warn-lag ${warn} is above --crit-lag ${crit}`);
    const admin = new GroupAdmin(await this.cluster());
    const named = [...new Set(argv as string[])];
    const ids = named.length > 0 ? named : (await admin.listGroups()).map((g) => g.groupId);
    const groups = await Promise.all(
      ids.map(async (id): Promise<GroupLag> => {
        const [group, committed] = await Promise.all([admin.describeGroup(id), admin.committedOffsets(id)]);
        if (group.state === 'Dead' && committed.length === 0) throw new UserError(`group '${id}' does not exist (kb group list shows the groups)`);
        const lags = (await admin.lag(group, committed)).map((p) => Number(p.lag ?? 0n));
        const lag = lags.reduce((sum, l) => sum + l, 0);
        const level = lag >= crit ? 2 : lag >= warn ? 1 : 0;
        return { group: id, state: group.state, members: group.members.length, partitions: committed.length, lag, maxPartitionLag: Math.max(0, ...lags), status: statuses[level] };
      }),
    );
    const status = statuses[Math.max(0, ...groups.map((g) => statuses.indexOf(g.status)))];
    process.exitCode = statuses.indexOf(status);
    this.log(
      renderTable(
        ['GROUP', 'STATE', 'MEMBERS', 'PARTITIONS', 'LAG', 'MAX-PARTITION-LAG', 'STATUS'],
        groups.map((g) => [g.group, g.state, g.members, g.partitions, g.lag, g.maxPartitionLag, g.status]),
      ),
    );
    return { groups, status };
  }
}
