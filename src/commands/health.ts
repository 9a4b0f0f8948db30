/**
 * `kb health`: a monitoring check with the Nagios/Icinga exit convention:
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. UNKNOWN when no broker answers
 * (or the check itself cannot run: bad flags too, so 2 always means
 * CRITICAL). CRITICAL when there is no active controller or a partition has
 * no leader; WARNING when a broker in the metadata does not answer or a
 * partition has offline or out-of-sync replicas. Prints the status line and
 * one line per reason; --json gives
 * {status, exitCode, reasons: [{severity, message}], controllerId, brokers, topics, partitions}.
 */
import { Errors } from '@oclif/core';
import type { Cluster, ClusterMetadata } from '../client/cluster.ts';
import { KbCommand } from '../cli/kb-command.ts';

const statuses = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
type Status = (typeof statuses)[number];

interface Reason {
  severity: Exclude<Status, 'OK'>;
  message: string;
}

export interface HealthReport {
  status: Status;
  exitCode: number;
  reasons: Reason[];
  controllerId: number | null;
  brokers: number;
  topics: number;
  partitions: number;
}

export default class Health extends KbCommand {
  static override description = 'Check the cluster: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (unreachable)';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> health -b kb1:9092,kb2:9092', '<%= config.bin %> health --json'];

  async run(): Promise<HealthReport> {
    await this.parse(Health);
    const cluster = await this.cluster();
    let report: HealthReport;
    try {
      report = await check(cluster, await cluster.refreshMetadata(null));
    } catch (err) {
      report = summarize([{ severity: 'UNKNOWN', message: (err as Error).message }], null, 0, 0, 0);
    }
    const counts = `${report.brokers} broker(s), ${report.topics} topic(s), ${report.partitions} partition(s)`;
    this.log(`${report.status}: ${report.status === 'UNKNOWN' ? 'the cluster cannot be checked' : counts}`);
    for (const reason of report.reasons) this.log(`  ${reason.severity}: ${reason.message}`);
    process.exitCode = report.exitCode;
    return report;
  }

  /** Any failure of the check itself (bad flags included) is UNKNOWN, exit 3. */
  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<void> {
    if (err instanceof Errors.ExitError) throw err;
    process.stderr.write(`UNKNOWN: ${err.message}\n`);
    this.exit(3);
  }
}

async function check(cluster: Cluster, metadata: ClusterMetadata): Promise<HealthReport> {
  const reasons: Reason[] = [];
  if (metadata.controllerId < 0) reasons.push({ severity: 'CRITICAL', message: 'there is no active controller' });
  for (const broker of metadata.brokers.values()) {
    await cluster.broker(broker.nodeId).catch((err: Error) => reasons.push({ severity: 'WARNING', message: `broker ${broker.nodeId}: ${err.message}` }));
  }
  let partitions = 0;
  for (const topic of metadata.topics.values()) {
    for (const p of topic.partitions) {
      partitions++;
      const name = `${topic.name}/${p.partition}`;
      if (p.leader < 0) reasons.push({ severity: 'CRITICAL', message: `partition ${name} has no leader` });
      if (p.offline.length > 0) reasons.push({ severity: 'WARNING', message: `partition ${name} has offline replicas ${p.offline.join(',')}` });
      else if (p.isr.length < p.replicas.length) {
        reasons.push({ severity: 'WARNING', message: `partition ${name} is under-replicated: in sync ${p.isr.join(',') || 'none'} of ${p.replicas.join(',')}` });
      }
    }
  }
  return summarize(reasons, metadata.controllerId, metadata.brokers.size, metadata.topics.size, partitions);
}

function summarize(reasons: Reason[], controllerId: number | null, brokers: number, topics: number, partitions: number): HealthReport {
  const exitCode = Math.max(0, ...reasons.map((r) => statuses.indexOf(r.severity)));
  return { status: statuses[exitCode], exitCode, reasons, controllerId, brokers, topics, partitions };
}
