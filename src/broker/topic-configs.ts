/**
 * Topic configuration with Kafka's names, types and defaults: the table of
 * every topic config kb understands, validation of values (for CreateTopics
 * and the config APIs), and the effective value of each for a topic:
 * the topic's override if set, else the broker's `log.*` (or other) synonym
 * from --config/--set, else Kafka's default. DescribeConfigs reports which of
 * the three it was.
 */
import type { BrokerConfig } from './config.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { brokerConfigDefinitions, ConfigError, fitsIntegerType, type ConfigDefinition } from './config.ts';
import { dynamicBrokerConfigs } from '../metadata/records.ts';
import { configSource } from '../protocol/config-codes.ts';
import { int32Max, int64Max } from '../protocol/wire-limits.ts';
import type { LogConfig } from '../storage/log-config.ts';
import { CompressionCodec } from '../protocol/compression.ts';
import type { StoredCompression } from '../protocol/records/recompress.ts';

type Validator = (value: string) => string | null;

interface TopicConfigDefinition {
  default: string;
  /** The broker setting that supplies the default for every topic. */
  brokerSynonym: string | null;
  /** Kafka's config type code for DescribeConfigs v3+: 1 boolean, 2 string, 3 int, 5 long, 6 double, 7 list. */
  configType: number;
  validate: Validator;
  doc: string;
}

const longMax = '9223372036854775807';
/** Smallest segment.bytes, as in Kafka 4: smaller segments only multiply files (a one-record batch per segment). */
export const segmentBytesMin = 1024 * 1024;

function integer(min: number): Validator {
  return (value) => (/^-?\d+$/.test(value) && Number(value) >= min ? null : `must be an integer >= ${min}`);
}
function between(min: number, max: number): Validator {
  return (value) => (/^-?\d+$/.test(value) && Number(value) >= min && Number(value) <= max ? null : `must be an integer from ${min} to ${max}`);
}
function gzipLevel(value: string): string | null {
  return value === '-1' || between(1, 9)(value) === null ? null : 'must be -1 or an integer from 1 to 9';
}
function ratio(): Validator {
  return (value) => (value.trim() !== '' && Number(value) >= 0 && Number(value) <= 1 ? null : 'must be a number between 0 and 1');
}
function oneOf(...allowed: string[]): Validator {
  return (value) => (allowed.includes(value) ? null : `must be one of ${allowed.join(', ')}`);
}
function listOf(...allowed: string[]): Validator {
  return (value) => {
    const items = value.split(',').map((v) => v.trim());
    return items.length > 0 && items.every((v) => allowed.includes(v)) ? null : `must be a comma-separated list of ${allowed.join(', ')}`;
  };
}

/** compression.type's values (Kafka's, in Kafka's order) and the codec each stores in; null: as produced. */
const compressionTypes: Record<string, number | null> = {
  uncompressed: CompressionCodec.none,
  zstd: CompressionCodec.zstd,
  lz4: CompressionCodec.lz4,
  snappy: CompressionCodec.snappy,
  gzip: CompressionCodec.gzip,
  producer: null,
};
const compressionLevels: Partial<Record<number, string>> = {
  [CompressionCodec.gzip]: 'compression.gzip.level',
  [CompressionCodec.lz4]: 'compression.lz4.level',
  [CompressionCodec.zstd]: 'compression.zstd.level',
};

const type = { boolean: 1, string: 2, int: 3, long: 5, double: 6, list: 7 } as const;

/** Why `value` is not valid for the config, or null: its own rule, and for INT and LONG configs the 32 or 64 bits Kafka's types allow (the rules check only a lower bound). */
function valueProblem(definition: TopicConfigDefinition, value: string): string | null {
  const reason = definition.validate(value);
  if (reason) return reason;
  if (definition.configType === type.int && !fitsIntegerType(value, 'int')) return `must fit 32 bits (at most ${int32Max})`;
  if (definition.configType === type.long && !fitsIntegerType(value, 'long')) return `must fit 64 bits (at most ${int64Max})`;
  return null;
}

export const topicConfigDefinitions: Record<string, TopicConfigDefinition> = {
  'cleanup.policy': { default: 'delete', brokerSynonym: 'log.cleanup.policy', configType: type.list, validate: listOf('delete', 'compact'), doc: 'delete old segments, compact to the latest record per key, or both' },
  'compression.type': { default: 'producer', brokerSynonym: 'compression.type', configType: type.string, validate: oneOf(...Object.keys(compressionTypes)), doc: "the codec batches are stored in: producer keeps the producer's, any other the leader recompresses to" },
  'compression.gzip.level': { default: '-1', brokerSynonym: 'compression.gzip.level', configType: type.int, validate: gzipLevel, doc: 'level of gzip where compression.type=gzip recompresses: 1-9, or -1 for zlib\'s default (6)' },
  'compression.lz4.level': { default: '9', brokerSynonym: 'compression.lz4.level', configType: type.int, validate: between(1, 17), doc: 'level of lz4 where compression.type=lz4 recompresses (1-17): accepted, but kb\'s lz4 compressor has one level' },
  'compression.zstd.level': { default: '3', brokerSynonym: 'compression.zstd.level', configType: type.int, validate: between(-131072, 22), doc: 'level of zstd where compression.type=zstd recompresses: -131072 to 22' },
  'delete.retention.ms': { default: '86400000', brokerSynonym: 'log.cleaner.delete.retention.ms', configType: type.long, validate: integer(0), doc: 'how long tombstones are kept in compacted topics' },
  'file.delete.delay.ms': { default: '60000', brokerSynonym: 'log.segment.delete.delay.ms', configType: type.long, validate: integer(0), doc: 'wait before removing a deleted segment file' },
  'flush.messages': { default: longMax, brokerSynonym: 'log.flush.interval.messages', configType: type.long, validate: integer(1), doc: 'fsync after this many messages (1: before every acknowledgement)' },
  'flush.ms': { default: longMax, brokerSynonym: 'log.flush.interval.ms', configType: type.long, validate: integer(0), doc: 'fsync at least this often' },
  'index.interval.bytes': { default: '4096', brokerSynonym: 'log.index.interval.bytes', configType: type.int, validate: integer(0), doc: 'bytes of log between offset index entries' },
  'max.compaction.lag.ms': { default: longMax, brokerSynonym: 'log.cleaner.max.compaction.lag.ms', configType: type.long, validate: integer(1), doc: 'longest a record stays uncompacted' },
  'max.message.bytes': { default: '1048588', brokerSynonym: 'message.max.bytes', configType: type.int, validate: integer(0), doc: 'largest record batch accepted' },
  'message.timestamp.type': { default: 'CreateTime', brokerSynonym: 'log.message.timestamp.type', configType: type.string, validate: oneOf('CreateTime', 'LogAppendTime'), doc: "the producer's timestamps, or the broker's append time" },
  'min.cleanable.dirty.ratio': { default: '0.5', brokerSynonym: 'log.cleaner.min.cleanable.ratio', configType: type.double, validate: ratio(), doc: 'share of uncompacted log that triggers compaction' },
  'min.compaction.lag.ms': { default: '0', brokerSynonym: 'log.cleaner.min.compaction.lag.ms', configType: type.long, validate: integer(0), doc: 'shortest a record stays uncompacted' },
  'min.insync.replicas': { default: '1', brokerSynonym: 'min.insync.replicas', configType: type.int, validate: integer(1), doc: 'replicas that must have a write for acks=all' },
  'retention.bytes': { default: '-1', brokerSynonym: 'log.retention.bytes', configType: type.long, validate: integer(-1), doc: 'largest size of a partition before old segments are deleted (-1: no limit)' },
  'retention.ms': { default: '604800000', brokerSynonym: 'log.retention.ms', configType: type.long, validate: integer(-1), doc: 'age after which old segments are deleted (-1: no limit)' },
  'segment.bytes': { default: '1073741824', brokerSynonym: 'log.segment.bytes', configType: type.int, validate: integer(segmentBytesMin), doc: 'size at which a segment is rolled' },
  'segment.index.bytes': { default: '10485760', brokerSynonym: 'log.index.size.max.bytes', configType: type.int, validate: integer(4), doc: 'largest offset index of a segment' },
  'segment.ms': { default: '604800000', brokerSynonym: 'log.roll.ms', configType: type.long, validate: integer(1), doc: 'age at which a segment is rolled' },
  'unclean.leader.election.enable': { default: 'false', brokerSynonym: 'unclean.leader.election.enable', configType: type.boolean, validate: oneOf('true', 'false'), doc: 'allow an out-of-sync replica to become leader (may lose data)' },
};

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: number;
  isDefault: boolean;
  readOnly: boolean;
  configType: number;
  doc: string;
}

const brokerTypeCodes: Record<string, number> = { int: type.int, long: type.long, boolean: type.boolean, string: type.string, double: type.double };

export class TopicConfigs {
  private readonly config: BrokerConfig;
  private readonly image: MetadataImage;

  /** Throws ConfigError when a broker setting that gives topics their default (`log.segment.bytes`, ...) is not a valid value of that topic config. */
  constructor(config: BrokerConfig, image: MetadataImage) {
    this.config = config;
    this.image = image;
    for (const [name, definition] of Object.entries(topicConfigDefinitions)) {
      const value = definition.brokerSynonym === null ? undefined : config.get(definition.brokerSynonym);
      const reason = value === undefined ? null : valueProblem(definition, value);
      if (reason) throw new ConfigError(`${definition.brokerSynonym}=${value}: ${reason} (it is every topic's default ${name})`);
    }
  }

  /** Why `value` is not valid for config `name`, or null. */
  problem(name: string, value: string): string | null {
    const definition = topicConfigDefinitions[name];
    if (!definition) return `unknown topic config '${name}'`;
    const reason = valueProblem(definition, value);
    return reason ? `${name}=${value}: ${reason}` : null;
  }

  /** The effective value of a topic config and where it comes from. */
  resolve(topic: string, name: string, overrides?: Map<string, string>): { value: string; source: number } {
    const override = (overrides ?? this.image.topicConfigs(topic)).get(name);
    if (override !== undefined) return { value: override, source: configSource.dynamicTopic };
    const definition = topicConfigDefinitions[name];
    const synonym = definition.brokerSynonym;
    if (synonym && this.config.isSet(synonym)) return { value: this.config.get(synonym)!, source: configSource.staticBroker };
    return { value: definition.default, source: configSource.default };
  }

  value(topic: string, name: string): string {
    return this.resolve(topic, name).value;
  }

  /** Every topic config's effective value; `requested` overrides are used for a topic not created yet. */
  entries(topic: string, requested: { name: string; value: string | null }[] = []): ConfigEntry[] {
    const overrides = new Map(this.image.topicConfigs(topic));
    for (const r of requested) if (r.value !== null) overrides.set(r.name, r.value);
    return Object.entries(topicConfigDefinitions).map(([name, d]) => {
      const { value, source } = this.resolve(topic, name, overrides);
      return { name, value, source, isDefault: source === configSource.default, readOnly: false, configType: d.configType, doc: d.doc };
    });
  }

  /** A broker setting's effective value on this node: set for this broker, else the cluster default (both dynamic), else the static config. */
  brokerValue(name: string): { value: string; source: number } {
    const own = this.image.brokerConfigs(this.config.string('node.id')).get(name);
    if (own !== undefined) return { value: own, source: configSource.dynamicBroker };
    const clusterDefault = this.image.brokerConfigs('').get(name);
    if (clusterDefault !== undefined) return { value: clusterDefault, source: configSource.dynamicDefaultBroker };
    return { value: this.config.get(name)!, source: this.config.isSet(name) ? configSource.staticBroker : configSource.default };
  }

  brokerEntries(): ConfigEntry[] {
    return this.config.describe().map((e) => {
      const definition = (brokerConfigDefinitions as Record<string, ConfigDefinition>)[e.name];
      const dynamic = dynamicBrokerConfigs.has(e.name);
      const { value, source } = dynamic ? this.brokerValue(e.name) : { value: e.value, source: e.isDefault ? configSource.default : configSource.staticBroker };
      return {
        name: e.name,
        value,
        source,
        isDefault: source === configSource.default,
        readOnly: !dynamic,
        configType: brokerTypeCodes[definition.type],
        doc: definition.doc,
      };
    });
  }

  /** The codec (and its level) the topic's compression.type stores batches in; null for `producer`, as produced. */
  storedCompression(topic: string): StoredCompression | null {
    const codec = compressionTypes[this.value(topic, 'compression.type')] ?? null;
    if (codec === null) return null;
    const level = compressionLevels[codec];
    return { codec, level: level === undefined ? undefined : Number(this.value(topic, level)) };
  }

  /** The storage settings of a topic's logs. */
  logConfig(topic: string): Partial<LogConfig> {
    const number = (name: string) => Number(this.value(topic, name));
    return {
      segmentBytes: number('segment.bytes'),
      segmentMs: number('segment.ms'),
      segmentIndexBytes: number('segment.index.bytes'),
      indexIntervalBytes: number('index.interval.bytes'),
      retentionBytes: number('retention.bytes'),
      retentionMs: number('retention.ms'),
      cleanupPolicy: this.value(topic, 'cleanup.policy'),
      deleteRetentionMs: number('delete.retention.ms'),
      minCompactionLagMs: number('min.compaction.lag.ms'),
      minCleanableDirtyRatio: number('min.cleanable.dirty.ratio'),
      flushMessages: number('flush.messages'),
      flushMs: number('flush.ms'),
      fileDeleteDelayMs: number('file.delete.delay.ms'),
    };
  }
}
