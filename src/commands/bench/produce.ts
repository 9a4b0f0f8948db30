/**
 * `kb bench produce`: producer throughput and latency on kb's own client,
 * like kafka-producer-perf-test (src/bench/produce-perf.ts measures). The
 * topic is created with --partitions when it does not exist. Prints the
 * summary (src/bench/report.ts) on stdout, or with --json the result object
 * {records, bytes, seconds, recordsPerSec, mbPerSec, failed, firstError,
 * latency: {count, avgMs, p50Ms, p95Ms, p99Ms, p999Ms, maxMs}}. Exits 1 when
 * any record failed.
 */
import { Flags } from '@oclif/core';
import { Admin } from '../../client/admin.ts';
import { Producer } from '../../client/producer.ts';
import { CompressionCodec } from '../../protocol/compression.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import { knownTopic } from '../../client/known-topic.ts';
import { KbCommand, UserError } from '../../cli/kb-command.ts';
import { runProducePerf, type ProducePerfResult } from '../../bench/produce-perf.ts';
import { produceSummary } from '../../bench/report.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

const acksByName = { all: -1, '1': 1, '0': 0 } as const;

export default class BenchProduce extends KbCommand {
  static override description = `Measure producer throughput and latency (like kafka-producer-perf-test)

Latency is measured from each record's intended send time (with --throughput, record i is due at i/throughput seconds), so stalls are not hidden (no coordinated omission).`;

  static override examples = ['<%= config.bin %> bench produce --topic perf --records 1000000 --record-size 100 --acks 1', '<%= config.bin %> bench produce --topic perf --records 100000 --throughput 20000 --json'];

  static override enableJsonFlag = true;

  static override flags = {
    topic: Flags.string({ description: 'topic to produce to (created when missing)', required: true }),
    records: Flags.integer({ description: 'records to send', default: 1_000_000, min: 1 }),
    'record-size': Flags.integer({ description: 'bytes per record value', default: 100, min: 0 }),
    acks: Flags.option({ options: ['all', '1', '0'] as const, description: 'acknowledgements to wait for', default: 'all' })(),
    partitions: Flags.integer({ description: 'partitions of the topic when it has to be created', default: 1, min: 1, max: int32Max }),
    throughput: Flags.integer({ description: 'records/s cap, -1 for unlimited', default: -1, min: -1 }),
    'batch-bytes': Flags.integer({ description: 'producer batch size per partition in bytes', default: 1024 * 1024, min: 1, max: int32Max }),
    'linger-ms': Flags.integer({ description: 'how long a batch waits to fill', default: 5, min: 0, max: int32Max }),
    'max-in-flight': Flags.integer({
      description: "batches per partition awaiting acknowledgement at once (Kafka's max.in.flight.requests.per.connection); above 1 a retried batch can land after a later one",
      default: 5,
      min: 1,
    }),
    compression: Flags.option({ options: ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const, description: 'batch compression', default: 'none' })(),
    window: Flags.integer({ description: 'records awaiting acknowledgement at most (each outstanding record is live memory the GC copies)', default: 10_000, min: 1 }),
    'window-bytes': Flags.integer({
      description: "record bytes awaiting acknowledgement at most (like the producer's buffer.memory); what waits there is latency, so keep it near what one round trip carries",
      default: 4 * 1024 * 1024,
      min: 1,
    }),
    'max-seconds': Flags.integer({ description: 'stop sending after this many seconds', default: 600, min: 1 }),
  };

  async run(): Promise<ProducePerfResult> {
    const { flags } = await this.parse(BenchProduce);
    if (flags.throughput === 0) throw new UserError('--throughput must be positive, or -1 for unlimited');
    const cluster = await this.cluster();
    if (!knownTopic(await cluster.refreshMetadata([flags.topic]), flags.topic)) {
      const created = await new Admin(cluster).createTopic({ name: flags.topic, partitions: flags.partitions, replicationFactor: -1, configs: {} });
      if (created.errorCode !== ErrorCode.NONE && created.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
        throw new UserError(`cannot create topic '${flags.topic}': ${created.errorMessage ?? errorName(created.errorCode)}`);
      }
      await cluster.refreshMetadata([flags.topic]);
    }
    const producer = new Producer(cluster, {
      acks: acksByName[flags.acks],
      compression: CompressionCodec[flags.compression],
      batchBytes: flags['batch-bytes'],
      lingerMs: flags['linger-ms'],
      maxInFlight: flags['max-in-flight'],
      deliveryTimeoutMs: flags.timeout,
    });
    const result = await runProducePerf(producer, {
      topic: flags.topic,
      records: flags.records,
      recordSize: flags['record-size'],
      throughput: flags.throughput === -1 ? null : flags.throughput,
      windowRecords: flags.window,
      windowBytes: flags['window-bytes'],
      timeLimitMs: flags['max-seconds'] * 1000,
    });
    this.log(produceSummary(result));
    if (result.failed > 0) throw new UserError(`${result.failed} of ${result.failed + result.records} records failed: ${result.firstError}`);
    return result;
  }
}
