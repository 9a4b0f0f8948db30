/**
 * `kb produce TOPIC`: one record per stdin line (bytes, not decoded), or with
 * --json one record per JSON line in the `kb consume --json` format
 * (src/cli/json-records.ts). A missing topic is created when the cluster
 * creates topics on use (auto.create.topics.enable, as with Kafka's
 * producers), otherwise it is an error, as is a missing -p partition,
 * before anything is read. Records are batched per partition; the command
 * exits 0 only when every record was acknowledged (with --acks 0: written),
 * otherwise 1 with the count lost and why on stderr. A summary goes to
 * stderr when stderr is a TTY or with -v; stdout stays empty.
 */
import { Args, Flags } from '@oclif/core';
import { Producer, type Acknowledged, type ProducerRecord } from '../client/producer.ts';
import { SendWindow } from '../client/send-window.ts';
import { noSuchPartition } from '../client/known-topic.ts';
import { topicOnUse } from '../client/topic-on-use.ts';
import { topicNameProblem } from '../controller/topic-names.ts';
import { CompressionCodec } from '../protocol/compression.ts';
import { KbCommand, UsageError, UserError } from '../cli/kb-command.ts';
import { unescape } from '../cli/formats.ts';
import { recordFromJson } from '../cli/json-records.ts';
import { parseKeyValuePairs } from '../cli/key-values.ts';
import { byteLines } from '../cli/lines.ts';
import { Progress } from '../cli/progress.ts';
import { int32Max } from '../protocol/wire-limits.ts';

/** Records awaiting acknowledgement before reading stops for a while, bounding memory on large inputs. */
const queuedRecordsMax = 20_000;
/** Distinct failure reasons listed on stderr. */
const reasonsShownMax = 5;

const acksByName = { all: -1, '1': 1, '0': 0 } as const;

export default class Produce extends KbCommand {
  static override description = `Produce records from stdin, one per line

Each line is a record value (bytes as they are, without the newline; -D for another one-byte delimiter). With -K the line is split at the first delimiter into key and value (a line without it has no key); -k gives every record one key; with -Z an empty key or value is null. With --json each line is a JSON object as written by "kb consume --json": {"key", "value", "headers": [{"key", "value"}], "partition", "timestamp"} where bytes are a UTF-8 string, {"base64": "..."} or null; "topic" and "offset" are ignored.`;

  static override examples = [
    'echo hello | <%= config.bin %> produce greetings',
    "printf 'user1:signed-in\\nuser2:signed-out\\n' | <%= config.bin %> produce events -K : -H source=cli",
    "printf 'a;b;' | <%= config.bin %> produce events -D ';' -k batch-7",
    '<%= config.bin %> consume a --json -e | <%= config.bin %> produce b --json',
  ];

  static override args = { topic: Args.string({ description: 'topic to produce to', required: true }) };

  static override flags = {
    'key-delimiter': Flags.string({ char: 'K', description: 'split each line into key and value at this delimiter (\\t and \\n escapes allowed)', exclusive: ['key'] }),
    key: Flags.string({ char: 'k', description: 'the key of every record' }),
    delimiter: Flags.string({ char: 'D', description: 'one-byte record delimiter instead of newline (\\t \\n \\r escapes allowed)' }),
    'null-empty': Flags.boolean({ char: 'Z', description: 'an empty key or value is null (an empty value: a tombstone)', default: false }),
    partition: Flags.integer({ char: 'p', description: 'produce every record to this partition (default: by key, else round-robin)', min: 0, max: int32Max }),
    header: Flags.string({ char: 'H', description: 'header key=value added to every record (repeatable)', multiple: true, multipleNonGreedy: true }),
    acks: Flags.option({ options: ['all', '1', '0'] as const, description: 'acknowledgements to wait for', default: 'all' })(),
    compression: Flags.option({ options: ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const, description: 'batch compression', default: 'none' })(),
    json: Flags.boolean({ description: 'read JSON Lines in the format kb consume --json writes', default: false }),
    'null-value-marker': Flags.string({ description: 'a value equal to this produces a null value (a tombstone)' }),
    verbose: Flags.boolean({ char: 'v', description: 'print a summary on stderr', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Produce);
    if (flags.json && (flags['key-delimiter'] !== undefined || flags.key !== undefined || flags['null-value-marker'] !== undefined || flags['null-empty'])) {
      throw new UsageError('--json records carry their own key and null values: drop -K/--key-delimiter, -k/--key, -Z/--null-empty and --null-value-marker');
    }
    const recordDelimiter = this.recordDelimiter(flags.delimiter);
    const toRecord = this.lineParser(flags);
    const nameProblem = topicNameProblem(args.topic);
    if (nameProblem) throw new UsageError(nameProblem);
    const cluster = await this.cluster();
    const topic = await topicOnUse(cluster, args.topic, flags.timeout);
    if (!topic) {
      throw new UserError(
        `topic '${args.topic}' does not exist and the cluster does not create topics on use (auto.create.topics.enable=false): create it with "kb topic create ${args.topic}"`,
      );
    }
    const count = topic.partitions.length;
    if (flags.partition !== undefined && flags.partition >= count) throw new UserError(noSuchPartition(args.topic, flags.partition, count));
    const producer = new Producer(cluster, {
      acks: acksByName[flags.acks],
      compression: CompressionCodec[flags.compression],
      deliveryTimeoutMs: flags.timeout,
    });

    const started = Date.now();
    const progress = new Progress(`producing to ${args.topic}`, null);
    const reasons = new Map<string, number>();
    let sent = 0;
    let failed = 0;
    let lineNumber = 0;
    let inputError: string | null = null;
    const window = new SendWindow(queuedRecordsMax);
    const acknowledged: Acknowledged = (err) => {
      if (err) {
        failed++;
        reasons.set(err.message, (reasons.get(err.message) ?? 0) + 1);
      } else {
        progress.advance();
      }
      window.settled();
    };

    reading: for await (const lines of byteLines(process.stdin, recordDelimiter)) {
      for (const line of lines) {
        lineNumber++;
        let record: ProducerRecord;
        try {
          record = toRecord(line);
        } catch (err) {
          inputError = `line ${lineNumber}: ${(err as Error).message}`;
          break reading;
        }
        sent++;
        window.sent();
        producer.send(args.topic, record, acknowledged);
      }
      if (window.full) await window.roomMade();
    }
    await producer.flush();
    await window.drained();
    progress.done();

    if (flags.verbose || process.stderr.isTTY) {
      const seconds = (Date.now() - started) / 1000;
      this.logToStderr(`produced ${sent - failed} of ${sent} records to ${args.topic} in ${seconds.toFixed(2)} s`);
    }
    const problems: string[] = [];
    if (failed > 0) {
      const shown = [...reasons].slice(0, reasonsShownMax).map(([reason, n]) => `  ${n} x ${reason}`);
      problems.push(`${failed} of ${sent} records were not acknowledged (lost):\n${shown.join('\n')}`);
    }
    if (inputError) problems.push(`stopped reading stdin at ${inputError} (the ${sent} records before it were sent)`);
    if (problems.length > 0) throw new UserError(problems.join('\n'));
  }

  /** The byte -D names (newline by default). */
  private recordDelimiter(text: string | undefined): number {
    let bytes: Buffer;
    try {
      bytes = Buffer.from(unescape(text ?? '\n'));
    } catch (err) {
      throw new UsageError(`--delimiter: ${(err as Error).message}`);
    }
    if (bytes.length !== 1) throw new UsageError(`--delimiter must be one byte, not ${bytes.length}`);
    return bytes[0];
  }

  /** A function from one input line to the record it stands for, per the flags. */
  private lineParser(flags: {
    json: boolean;
    'key-delimiter'?: string;
    key?: string;
    'null-empty': boolean;
    'null-value-marker'?: string;
    partition?: number;
    header?: string[];
  }): (line: Buffer) => ProducerRecord {
    let delimiter: Buffer | null;
    let headers: { key: string; value: Buffer }[];
    try {
      delimiter = flags['key-delimiter'] === undefined ? null : Buffer.from(unescape(flags['key-delimiter']));
      headers = parseKeyValuePairs(flags.header ?? [], '--header').map(([key, value]) => ({ key, value: Buffer.from(value) }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (delimiter?.length === 0) throw new UsageError('--key-delimiter must not be empty');
    const nullMarker = flags['null-value-marker'] === undefined ? null : Buffer.from(flags['null-value-marker']);
    const partition = flags.partition;
    const fixedKey = flags.key === undefined ? null : Buffer.from(flags.key);
    const orNull = (bytes: Buffer | null) => (flags['null-empty'] && bytes?.length === 0 ? null : bytes);
    return (line) => {
      let record: ProducerRecord;
      if (flags.json) {
        record = recordFromJson(line.toString('utf8'));
      } else {
        const at = delimiter ? line.indexOf(delimiter) : -1;
        const value = at >= 0 ? line.subarray(at + delimiter!.length) : line;
        const key = at >= 0 ? line.subarray(0, at) : fixedKey;
        record = { key: orNull(key), value: nullMarker?.equals(value) ? null : orNull(value) };
      }
      if (headers.length > 0) record.headers = [...(record.headers ?? []), ...headers];
      if (partition !== undefined) record.partition = partition;
      return record;
    };
  }
}
