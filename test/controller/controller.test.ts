import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Controller, type NewTopic } from '../../src/controller/controller.ts';
import { MetadataImage } from '../../src/metadata/image.ts';
import { MetadataQuorum } from '../../src/controller/quorum/metadata-quorum.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { silentLogger } from '../../src/broker/logger.ts';

const topic = (name: string, numPartitions = 3, replicationFactor = 1, extra: Partial<NewTopic> = {}): NewTopic => ({
  name, numPartitions, replicationFactor, assignments: [], configs: [], ...extra,
});

/** A controller on a metadata quorum of one voter in `dir`, active once started. */
async function openController(dir: string) {
  const image = new MetadataImage();
  const log = new MetadataQuorum({
    nodeId: 1,
    voters: [{ nodeId: 1, host: '127.0.0.1', port: 0 }],
    dir,
    image,
    logger: silentLogger,
    clusterId: () => null,
    onFatal: (err) => assert.fail(err),
  });
  await log.start();
  await log.waitFor(() => log.isActiveController());
  const controller = new Controller(log, image, {
    nodeId: 1,
    defaultPartitions: () => 2,
    defaultReplicationFactor: () => 1,
    topicConfigProblem: (name, value) => (name === 'retention.ms' && !/^\d+$/.test(value) ? 'not a number' : null),
    internalTopics: new Set(['__consumer_offsets']),
  });
  await controller.start();
  return { log, image, controller };
}

/** A temp dir removed after the test, once the logs opened in it (registered with `closeLater`) are closed. */
async function withDir(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-controller-'));
  const logs: MetadataQuorum[] = [];
  t.after(async () => {
    for (const log of logs) await log.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, closeLater: (log: MetadataQuorum) => logs.push(log) };
}

test('topics, partitions, configs and producer id blocks survive a reopen of the metadata log', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const first = await openController(dir);
  await first.controller.registerBroker({ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null });
  const [created] = await first.controller.createTopics([topic('orders', 3, 1, { configs: [{ name: 'retention.ms', value: '1000' }] })], false);
  assert.equal(created.errorCode, ErrorCode.NONE);
  assert.deepEqual((await first.controller.createPartitions([{ name: 'orders', count: 5, assignments: null }], false))[0].errorCode, ErrorCode.NONE);
  const block = await first.controller.allocateProducerIds(1);
  await first.log.stop();

  const second = await openController(dir);
  closeLater(second.log);
  assert.equal(second.image.clusterId, first.image.clusterId);
  const orders = second.image.topicsByName.get('orders')!;
  assert.equal(orders.topicId, created.topicId);
  assert.equal(orders.partitions.length, 5);
  assert.deepEqual(orders.partitions.map((p) => p.leader), [1, 1, 1, 1, 1]);
  assert.equal(second.image.topicConfigs('orders').get('retention.ms'), '1000');
  assert.equal(second.image.brokers.get(1)?.epoch, 1);
  const next = await second.controller.allocateProducerIds(1);
  assert.equal(next.firstProducerId, block.firstProducerId + block.size, 'producer ids are never handed out twice');
});

test('CreateTopics validation: per-topic errors, nothing created for failures, validate-only creates nothing', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log } = await openController(dir);
  closeLater(log);
  await controller.registerBroker({ nodeId: 1, host: 'h', port: 1, rack: null });
  const results = await controller.createTopics(
    [
      topic('good'),
      topic('bad name!'),
      topic('zero', 0),
      topic('wide', 1, 3),
      topic('cfg', 1, 1, { configs: [{ name: 'retention.ms', value: 'soon' }] }),
      topic('a.b'),
      topic('a_b'),
      topic('good'),
    ],
    false,
  );
  assert.deepEqual(
    results.map((r) => [r.name, r.errorCode]),
    [
      ['good', ErrorCode.NONE],
      ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['zero', ErrorCode.INVALID_PARTITIONS],
      ['wide', ErrorCode.INVALID_REPLICATION_FACTOR],
      ['cfg', ErrorCode.INVALID_CONFIG],
      ['a.b', ErrorCode.NONE],
      ['a_b', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['good', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ],
  );
  assert.deepEqual([...image.topicsByName.keys()].sort(), ['a.b', 'good']);
  const [dry] = await controller.createTopics([topic('dry')], true);
  assert.equal(dry.errorCode, ErrorCode.NONE);
  assert.equal(dry.numPartitions, 3);
  assert.equal(image.topicsByName.has('dry'), false);
  const [existing] = await controller.createTopics([topic('good')], false);
  assert.equal(existing.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
});

test('delete, partition growth and config replacement', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log } = await openController(dir);
  closeLater(log);
  await controller.registerBroker({ nodeId: 1, host: 'h', port: 1, rack: null });
  await controller.createTopics([topic('t', -1, -1)], false);
  assert.equal(image.topicsByName.get('t')!.partitions.length, 2, 'num.partitions default');
  const [shrink] = await controller.createPartitions([{ name: 't', count: 2, assignments: null }], false);
  assert.equal(shrink.errorCode, ErrorCode.INVALID_PARTITIONS);
  await controller.alterTopicConfigs('t', [{ name: 'retention.ms', value: '5' }, { name: 'segment.ms', value: '7' }], false, false);
  await controller.alterTopicConfigs('t', [{ name: 'retention.ms', value: '6' }], true, false);
  assert.deepEqual([...image.topicConfigs('t')], [['retention.ms', '6']]);
  const deleted = await controller.deleteTopics(['t', 'missing', '__consumer_offsets']);
  assert.deepEqual(deleted.map((d) => d.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.equal(image.topicsByName.has('t'), false);
  assert.equal(image.topicConfigs('t').size, 0);
});
