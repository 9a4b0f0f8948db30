/**
 * `kb bench consume`: consumer throughput on kb's own client, like
 * kafka-consumer-perf-test (src/bench/consume-perf.ts measures): every
 * partition of the topic from its start, up to --records records or, by
 * default, to the end offsets as they were when the run started. Prints the
 * summary on stdout, or with --json {records, bytes, seconds, recordsPerSec,
 * mbPerSec, fetches, complete}. A missing topic is an error.
 */
import { Flags } from '@oclif/core';
import { knownTopic } from '../../client/known-topic.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { runConsumePerf, type ConsumePerfResult } from '../../bench/consume-perf.ts';
import { consumeSummary } from '../../bench/report.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

export default class BenchConsume extends KbCommand {
  static override description = 'Measure consumer throughput (like kafka-consumer-perf-test)';

  static override examples = ['<%= config.bin %> bench consume --topic perf', '<%= config.bin %> bench consume --topic perf --records 500000 --json'];

  static override enableJsonFlag = true;

  static override flags = {
    topic: Flags.string({ description: 'topic to read from its beginning', required: true }),
    records: Flags.integer({ description: 'records to read (default: up to the end offsets at the start)', min: 1 }),
    'fetch-max-bytes': Flags.integer({ description: 'bytes per fetch response at most', default: 50 * 1024 * 1024, min: 1, max: int32Max }),
    'partition-max-bytes': Flags.integer({ description: 'bytes per partition and fetch at most', default: 1024 * 1024, min: 1, max: int32Max }),
    'max-seconds': Flags.integer({ description: 'stop reading after this many seconds', default: 600, min: 1 }),
  };

  async run(): Promise<ConsumePerfResult> {
    const { flags } = await this.parse(BenchConsume);
    const cluster = await this.cluster();
    const topic = knownTopic(await cluster.refreshMetadata([flags.topic]), flags.topic);
    if (!topic) throw new UserError(`topic '${flags.topic}' does not exist`);
    const result = await runConsumePerf(cluster, {
      topic: flags.topic,
      partitions: topic.partitions.map((p) => p.partition),
      records: flags.records ?? null,
      timeLimitMs: flags['max-seconds'] * 1000,
      fetch: { maxBytes: flags['fetch-max-bytes'], partitionMaxBytes: flags['partition-max-bytes'] },
    });
    this.log(consumeSummary(result));
    return result;
  }
}
