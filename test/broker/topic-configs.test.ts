import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig, ConfigError } from '../../src/broker/config.ts';
import { TopicConfigs } from '../../src/broker/topic-configs.ts';
import { MetadataImage } from '../../src/metadata/image.ts';
import { CompressionCodec } from '../../src/protocol/compression.ts';

function configs(settings: [string, string][] = [], overrides: Record<string, string> = {}): TopicConfigs {
  const image = new MetadataImage();
  image.apply({ type: 'topic', name: 't', topicId: 'ab'.repeat(16) });
  for (const [name, value] of Object.entries(overrides)) image.apply({ type: 'config', resourceType: 'topic', resourceName: 't', name, value });
  return new TopicConfigs(new BrokerConfig(settings), image);
}

test("compression.type takes Kafka's values, case and all", () => {
  const topics = configs();
  for (const value of ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']) assert.equal(topics.problem('compression.type', value), null, value);
  for (const value of ['none', 'GZIP', '', 'brotli']) {
    assert.match(topics.problem('compression.type', value) ?? '', /must be one of uncompressed, zstd, lz4, snappy, gzip, producer/, value);
  }
});

test("the codec levels take Kafka's ranges", () => {
  const topics = configs();
  const accepted: [string, string[]][] = [
    ['compression.gzip.level', ['-1', '1', '9']],
    ['compression.lz4.level', ['1', '9', '17']],
    ['compression.zstd.level', ['-131072', '-1', '0', '3', '22']],
  ];
  const refused: [string, string[]][] = [
    ['compression.gzip.level', ['0', '10', '-2', 'fast']],
    ['compression.lz4.level', ['0', '18']],
    ['compression.zstd.level', ['-131073', '23', '1.5']],
  ];
  for (const [name, values] of accepted) for (const value of values) assert.equal(topics.problem(name, value), null, `${name}=${value}`);
  for (const [name, values] of refused) for (const value of values) assert.notEqual(topics.problem(name, value), null, `${name}=${value}`);
});

test("storedCompression: the topic's codec and its level, the broker's default, null for producer", () => {
  assert.equal(configs().storedCompression('t'), null, "Kafka's default: producer");
  assert.deepEqual(configs([], { 'compression.type': 'uncompressed' }).storedCompression('t'), { codec: CompressionCodec.none, level: undefined });
  assert.deepEqual(configs([], { 'compression.type': 'snappy' }).storedCompression('t'), { codec: CompressionCodec.snappy, level: undefined });
  assert.deepEqual(configs([], { 'compression.type': 'gzip' }).storedCompression('t'), { codec: CompressionCodec.gzip, level: -1 });
  assert.deepEqual(configs([], { 'compression.type': 'lz4' }).storedCompression('t'), { codec: CompressionCodec.lz4, level: 9 });
  assert.deepEqual(configs([['compression.zstd.level', '9']], { 'compression.type': 'zstd' }).storedCompression('t'), { codec: CompressionCodec.zstd, level: 9 });
  const brokerDefault = configs([['compression.type', 'gzip'], ['compression.gzip.level', '2']]);
  assert.deepEqual(brokerDefault.storedCompression('t'), { codec: CompressionCodec.gzip, level: 2 });
  assert.equal(configs([['compression.type', 'gzip']], { 'compression.type': 'producer' }).storedCompression('t'), null, 'the topic overrides the broker');
});

test('a broker default compression.type or level out of range stops the broker, naming it', () => {
  assert.throws(() => configs([['compression.type', 'none']]), (err: Error) => err instanceof ConfigError && /compression\.type=none: must be one of/.test(err.message));
  assert.throws(() => configs([['compression.zstd.level', '99']]), /compression\.zstd\.level=99: must be an integer from -131072 to 22/);
});
