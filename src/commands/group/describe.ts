/**
 * `kb group describe GROUP`: state and members (client id, host, assigned
 * partitions), then per partition the committed offset, log end offset,
 * lag (log end minus committed) and owner, and the total lag. A group that
 * does not exist is an error (exit 1).
 */
import { Args } from '@oclif/core';
import { GroupAdmin } from '../../client/groups.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { renderTable } from '../../cli/output.ts';

const toNumber = (value: bigint | null) => (value === null ? null : Number(value));

export default class GroupDescribe extends KbCommand {
  static override description = 'Describe a consumer group: members, committed offsets and lag';
  static override enableJsonFlag = true;
  static override args = { group: Args.string({ description: 'group id', required: true }) };

  async run() {
    const { args } = await this.parse(GroupDescribe);
    const admin = new GroupAdmin(await this.cluster());
    const [group, committed] = await Promise.all([admin.describeGroup(args.group), admin.committedOffsets(args.group)]);
    if (group.state === 'Dead' && committed.length === 0) throw new UserError(`group '${args.group}' does not exist (kb group list shows the groups)`);
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

    this.log(`GROUP      ${group.groupId}\nSTATE      ${group.state}\nPROTOCOL   ${[group.protocolType, group.protocol].filter(Boolean).join('/') || '-'}\nMEMBERS    ${members.length}`);
    if (members.length > 0) {
      const assigned = (m: (typeof members)[number]) => m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ') || null;
      this.log(`\n${renderTable(['MEMBER', 'CLIENT-ID', 'HOST', 'ASSIGNED'], members.map((m) => [m.memberId, m.clientId, m.host, assigned(m)]))}`);
    }
    if (partitions.length > 0) {
      this.log(
        `\n${renderTable(
          ['TOPIC', 'PARTITION', 'COMMITTED', 'LOG-END', 'LAG', 'MEMBER'],
          partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.logEndOffset, p.lag, p.memberId]),
        )}`,
      );
    }
    this.log(`\nTOTAL LAG  ${totalLag}`);
    return { group: group.groupId, state: group.state, protocolType: group.protocolType, protocol: group.protocol, members, partitions, totalLag };
  }
}
