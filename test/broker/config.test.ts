import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BrokerConfig, ConfigError, parseProperties } from '../../src/broker/config.ts';

test('properties files: comments, key=value and key: value', () => {
  const values = parseProperties('# comment\n! also\n\nnum.partitions=3\nlog.segment.bytes : 1048576\n');
  assert.deepEqual([...values], [['num.partitions', '3'], ['log.segment.bytes', '1048576']]);
  assert.throws(() => parseProperties('justakey'), ConfigError);
});

test('--set overrides the file, which overrides the defaults', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'broker.properties');
  await writeFile(file, 'num.partitions=3\nauto.create.topics.enable=false\n');
  const config = await BrokerConfig.load({ configFile: file, sets: ['num.partitions=6'] });
  assert.equal(config.int('num.partitions'), 6);
  assert.equal(config.bool('auto.create.topics.enable'), false);
  assert.equal(config.int('message.max.bytes'), 1048588);
  assert.equal(config.get('log.segment.bytes'), undefined);
  assert.deepEqual(config.describe().find((e) => e.name === 'num.partitions'), { name: 'num.partitions', value: '6', isDefault: false });
});

test('a known key with a value of the wrong type is refused, naming the key', async () => {
  await assert.rejects(BrokerConfig.load({ sets: ['num.partitions=many'] }), /num\.partitions=many: expected an integer/);
  await assert.rejects(BrokerConfig.load({ sets: ['node.id=99999999999'] }), /node\.id=99999999999: expected an integer that fits 32 bits/);
  await assert.rejects(BrokerConfig.load({ sets: ['offsets.retention.check.interval.ms=9223372036854775808'] }), /expected an integer that fits 64 bits/);
  assert.equal((await BrokerConfig.load({ sets: ['offsets.retention.check.interval.ms=9223372036854775807'] })).get('offsets.retention.check.interval.ms'), '9223372036854775807');
  await assert.rejects(BrokerConfig.load({ sets: ['auto.create.topics.enable=yes'] }), /expected true or false/);
  await assert.rejects(BrokerConfig.load({ sets: ['novalue'] }), /expected key=value/);
  await assert.rejects(BrokerConfig.load({ configFile: '/nonexistent/kb.properties' }), /cannot read config file/);
});
