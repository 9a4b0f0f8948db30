/**
 * `kb group describe [GROUP...]`: for each group named (none: every group,
 * as kafka-consumer-groups --describe --all-groups) its state and members
 * (client id, host, assigned partitions), then per partition the committed
 * offset, log end offset, lag (log end minus committed) and owner, and the
 * total lag. A named group that does not exist is an error (exit 1).
 * --json: one GROUP gives that group's object; none or several give
 * {"groups": [...]} of those objects.
 */
import { Args } from '@oclif/core';
import { GroupAdmin } from '../../client/groups.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

const toNumber = (value: bigint | null) => (value === null ? null : Number(value));

type GroupDescription = Awaited<ReturnType<typeof describeGroup>>;

/** One group's state, members and per-partition lag; a group that does not exist is a UserError. */
async function describeGroup(admin: GroupAdmin, id: string) {
  const [group, committed] = await Promise.all([admin.describeGroup(id), admin.committedOffsets(id)]);
  if (group.state === 'Dead' && committed.length === 0) throw new UserError(`group '${id}' does not exist (kb group list shows the groups)`);
  const lag = await admin.lag(group, committed);
  const members = group.members.map((m) => ({
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    clientId: m.clientId,
    host: m.clientHost,
    assignment: m.assignment,
  }));
  const partitions = lag.map((p) => ({
    topic: p.topic,
    partition: p.partition,
    committedOffset: toNumber(p.committedOffset),
    logEndOffset: toNumber(p.logEndOffset),
    lag: toNumber(p.lag),
    memberId: p.member?.memberId ?? null,
  }));
  const totalLag = partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0);
  return { group: group.groupId, state: group.state, protocolType: group.protocolType, protocol: group.protocol, members, partitions, totalLag };
}

/** The text of one group's description. */
function render(g: GroupDescription): string {
  const blocks = [`GROUP      ${g.group}\nSTATE      ${g.state}\nPROTOCOL   ${[g.protocolType, g.protocol].filter(Boolean).join('/') || '-'}\nMEMBERS    ${g.members.length}`];
  if (g.members.length > 0) {
    const assigned = (m: GroupDescription['members'][number]) => m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ') || null;
    blocks.push(renderTable(['MEMBER', 'CLIENT-ID', 'HOST', 'ASSIGNED'], g.members.map((m) => [m.memberId, m.clientId, m.host, assigned(m)])));
  }
  if (g.partitions.length > 0) {
    blocks.push(
      renderTable(
        ['TOPIC', 'PARTITION', 'COMMITTED', 'LOG-END', 'LAG', 'MEMBER'],
        g.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.logEndOffset, p.lag, p.memberId]),
      ),
    );
  }
  blocks.push(`TOTAL LAG  ${g.totalLag}`);
  return blocks.join('\n\n');
}

export default class GroupDescribe extends KbCommand {
  static override description = 'Describe consumer groups (every group by default): members, committed offsets and lag';
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = ['<%= config.bin %> group describe billing', '<%= config.bin %> group describe'];
  static override args = { group: Args.string({ description: 'group id(s) (default: every group)' }) };

  async run(): Promise<GroupDescription | { groups: GroupDescription[] }> {
    const { argv } = await this.parse(GroupDescribe);
    const admin = new GroupAdmin(await this.cluster());
    const named = [...new Set(argv as string[])];
    const ids = named.length > 0 ? named : (await admin.listGroups()).map((g) => g.groupId);
    const groups = await Promise.all(ids.map((id) => describeGroup(admin, id)));
    if (groups.length === 0) this.log('no consumer groups');
    else this.log(groups.map(render).join('\n\n\n'));
    return named.length === 1 ? groups[0] : { groups };
  }
}
