import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Controller, type NewTopic } from '../../src/controller/controller.ts';
import { MetadataImage } from '../../src/metadata/image.ts';
import { MetadataQuorum } from '../../src/controller/quorum/metadata-quorum.ts';
import { systemTime } from '../../src/clock.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { silentLogger } from '../../src/logger.ts';

const topic = (name: string, numPartitions = 3, replicationFactor = 1, extra: Partial<NewTopic> = {}): NewTopic => ({
  name, numPartitions, replicationFactor, assignments: [], configs: [], ...extra,
});

const sessionTimeoutMs = 9000;

/** A controller on a metadata quorum of one voter in `dir`, active once started, with a fake session clock. */
async function openController(dir: string, uncleanTopics: string[] = []) {
  const image = new MetadataImage();
  const log = new MetadataQuorum({
    credentials: null,
    nodeId: 1,
    voters: [{ nodeId: 1, host: '127.0.0.1', port: 0 }],
    dir,
    image,
    logger: silentLogger,
    clusterId: () => null,
    onFatal: (err) => assert.fail(err),
    onRefused: (err) => assert.fail(err),
    time: systemTime,
  });
  await log.start();
  await log.waitFor(() => log.isActiveController());
  const clock = { nowMs: 0 };
  /** Ports of brokers whose process has died (broker n registers port 9000 + n). */
  const deadPorts = new Set<number>();
  const probed: number[] = [];
  const controller = new Controller(log, image, {
    nodeId: 1,
    defaultPartitions: () => 2,
    defaultReplicationFactor: () => 1,
    topicConfigProblem: (name, value) => (name === 'retention.ms' && !/^\d+$/.test(value) ? 'not a number' : null),
    internalTopics: new Set(['__consumer_offsets']),
    metadataOffset: () => log.appliedOffset(),
    sessionTimeoutMs: () => sessionTimeoutMs,
    interBrokerListener: 'PEER',
    refusesConnections: async (_host, port) => {
      probed.push(port);
      return deadPorts.has(port);
    },
    uncleanLeaderElection: (name) => uncleanTopics.includes(name),
    leaderRebalance: () => ({ enabled: false, intervalMs: 300_000, imbalancePercentMax: 10 }),
    logger: silentLogger,
    time: { ...systemTime, monotonicMs: () => clock.nowMs },
  });
  await controller.start();
  /** Registers broker `nodeId` and heartbeats it caught up, so it is unfenced; returns its epoch. */
  const join = async (nodeId: number, rack: string | null = null) => {
    const registered = await controller.registerBroker({ nodeId, endpoints: [{ name: 'PEER', host: 'h', port: 9000 + nodeId, securityProtocol: 'PLAINTEXT' }], rack, clusterId: image.clusterId!, incarnationId: `i${nodeId}` });
    assert.equal(registered.errorCode, ErrorCode.NONE);
    const beat = await controller.brokerHeartbeat({ nodeId, brokerEpoch: registered.brokerEpoch, metadataOffset: log.appliedOffset(), wantFence: false, wantShutDown: false });
    assert.deepEqual([beat.errorCode, beat.isFenced], [ErrorCode.NONE, false]);
    return registered.brokerEpoch;
  };
  const heartbeat = (nodeId: number, wants: { wantFence?: boolean; wantShutDown?: boolean; metadataOffset?: number; connection?: AbortSignal } = {}) =>
    controller.brokerHeartbeat({
      nodeId, brokerEpoch: image.brokers.get(nodeId)!.epoch, metadataOffset: wants.metadataOffset ?? log.appliedOffset(),
      wantFence: wants.wantFence ?? false, wantShutDown: wants.wantShutDown ?? false, connection: wants.connection,
    });
  /** Lets a probe started by a closed connection or an activation answer, and the fencing it leads to commit. */
  const settle = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await controller.fenceExpiredBrokers();
  };
  return { log, image, controller, clock, deadPorts, probed, join, heartbeat, settle };
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
  const epoch = await first.join(1);
  const [created] = await first.controller.createTopics([topic('orders', 3, 1, { configs: [{ name: 'retention.ms', value: '1000' }] })], false);
  assert.equal(created.errorCode, ErrorCode.NONE);
  assert.deepEqual((await first.controller.createPartitions([{ name: 'orders', count: 5, assignments: null }], false))[0].errorCode, ErrorCode.NONE);
  const block = await first.controller.allocateProducerIds(1, epoch);
  await first.log.stop();

  const second = await openController(dir);
  closeLater(second.log);
  assert.equal(second.image.clusterId, first.image.clusterId);
  const orders = second.image.topicsByName.get('orders')!;
  assert.equal(orders.topicId, created.topicId);
  assert.equal(orders.partitions.length, 5);
  assert.deepEqual(orders.partitions.map((p) => p.leader), [1, 1, 1, 1, 1]);
  assert.equal(second.image.topicConfigs('orders').get('retention.ms'), '1000');
  assert.equal(second.image.brokers.get(1)?.epoch, epoch, 'the registration record carries the epoch');
  const next = await second.controller.allocateProducerIds(1, epoch);
  assert.equal((await second.controller.allocateProducerIds(1, epoch - 1)).errorCode, ErrorCode.STALE_BROKER_EPOCH);
  assert.equal(next.firstProducerId, block.firstProducerId + block.size, 'producer ids are never handed out twice');
});

test('CreateTopics validation: per-topic errors, nothing created for failures, validate-only creates nothing', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log, join } = await openController(dir);
  closeLater(log);
  await join(1);
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

test('the name collision check is one lookup per new topic: 20,000 new topics beside 20,000 existing ones are checked in seconds', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log, join } = await openController(dir);
  closeLater(log);
  await join(1);
  const count = 20_000;
  const many = (prefix: string) => Array.from({ length: count }, (_, i) => topic(`${prefix}.${i}`, 1));
  assert.equal((await controller.createTopics(many('first'), false)).filter((r) => r.errorCode === ErrorCode.NONE).length, count);
  const started = performance.now();
  const results = await controller.createTopics(many('second'), false);
  const elapsedMs = performance.now() - started;
  assert.equal(results.filter((r) => r.errorCode === ErrorCode.NONE).length, count);
  // Each new name was compared with every existing topic's (4 x 10^8 comparisons, minutes); generous for a loaded machine.
  assert.ok(elapsedMs < 20_000, `${count} topics checked and created beside ${count} in ${Math.round(elapsedMs)} ms`);
  const [collides] = await controller.createTopics([topic('first_7', 1)], false);
  assert.equal(collides.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  assert.match(collides.errorMessage!, /collides with 'first\.7'/);
  await controller.deleteTopics(['first.7']);
  const [freed] = await controller.createTopics([topic('first_7', 1)], false);
  assert.equal(freed.errorCode, ErrorCode.NONE, 'a deleted topic no longer collides');
  assert.equal(image.topicsByName.size, 2 * count);
});

test('delete, partition growth and config replacement', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log, join } = await openController(dir);
  closeLater(log);
  await join(1);
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

test('registration is fenced with a new, random epoch; a caught-up heartbeat unfences; stale epochs and foreign clusters are refused', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log } = await openController(dir);
  closeLater(log);
  const before = log.appliedOffset();
  const first = await controller.registerBroker({ nodeId: 2, endpoints: [{ name: 'PEER', host: 'h', port: 1, securityProtocol: 'PLAINTEXT' }], rack: 'r1', clusterId: image.clusterId!, incarnationId: 'a' });
  const epoch = first.brokerEpoch;
  assert.deepEqual([first.errorCode, image.brokers.get(2)?.epoch, image.brokers.get(2)?.fenced, image.brokers.get(2)?.rack], [ErrorCode.NONE, epoch, true, 'r1']);
  assert.ok(epoch > 2 ** 20 && Number.isSafeInteger(epoch), `a random epoch, not a count that starts at 1 (${epoch})`);
  const behind = await controller.brokerHeartbeat({ nodeId: 2, brokerEpoch: epoch, metadataOffset: before, wantFence: false, wantShutDown: false });
  assert.deepEqual([behind.errorCode, behind.isCaughtUp, behind.isFenced], [ErrorCode.NONE, false, true], 'has not applied its own registration');
  const caughtUp = await controller.brokerHeartbeat({ nodeId: 2, brokerEpoch: epoch, metadataOffset: log.appliedOffset(), wantFence: false, wantShutDown: false });
  assert.deepEqual([caughtUp.isCaughtUp, caughtUp.isFenced, image.brokers.get(2)?.fenced], [true, false, false]);
  const stale = await controller.brokerHeartbeat({ nodeId: 2, brokerEpoch: epoch + 1, metadataOffset: log.appliedOffset(), wantFence: false, wantShutDown: false });
  assert.equal(stale.errorCode, ErrorCode.STALE_BROKER_EPOCH);
  assert.equal((await controller.brokerHeartbeat({ nodeId: 9, brokerEpoch: 1, metadataOffset: 0, wantFence: false, wantShutDown: false })).errorCode, ErrorCode.STALE_BROKER_EPOCH);
  const foreign = await controller.registerBroker({ nodeId: 3, endpoints: [{ name: 'PEER', host: 'h', port: 1, securityProtocol: 'PLAINTEXT' }], rack: null, clusterId: 'other', incarnationId: 'b' });
  assert.equal(foreign.errorCode, ErrorCode.INCONSISTENT_CLUSTER_ID);
  const fenced = await controller.brokerHeartbeat({ nodeId: 2, brokerEpoch: epoch, metadataOffset: log.appliedOffset(), wantFence: true, wantShutDown: false });
  assert.deepEqual([fenced.isFenced, image.brokers.get(2)?.fenced], [true, true], 'wantFence fences');
});

test('placement over three brokers balances leaders; fenced brokers get no replicas', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log, join, heartbeat } = await openController(dir);
  closeLater(log);
  for (const id of [1, 2, 3]) await join(id);
  await controller.createTopics([topic('spread', 30, 3)], false);
  const partitions = image.topicsByName.get('spread')!.partitions;
  for (const id of [1, 2, 3]) assert.equal(partitions.filter((p) => p.leader === id).length, 10, `broker ${id} leads 10`);
  for (const p of partitions) assert.deepEqual([...p.isr].sort(), [1, 2, 3]);
  await heartbeat(3, { wantFence: true });
  const [wide] = await controller.createTopics([topic('wide', 1, 3)], false);
  assert.equal(wide.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
  await controller.createTopics([topic('narrow', 6, 2)], false);
  assert.ok(image.topicsByName.get('narrow')!.partitions.every((p) => !p.replicas.includes(3)));
});

test('an expired session fences the broker: its leaderships move to live ISR members, it leaves ISRs, and returns unfenced but out of the ISR', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log, join, heartbeat, clock } = await openController(dir);
  closeLater(log);
  for (const id of [1, 2, 3]) await join(id);
  await controller.createTopics([topic('t', 6, 3), topic('solo', 3, 1)], false);
  const ledBy3 = image.topicsByName.get('t')!.partitions.filter((p) => p.leader === 3).map((p) => ({ ...p }));
  assert.ok(ledBy3.length > 0);
  controller.activate();
  t.after(() => controller.deactivate());
  assert.deepEqual(await controller.fenceExpiredBrokers(), [], 'activation starts every session');
  clock.nowMs = sessionTimeoutMs / 2;
  await heartbeat(1);
  await heartbeat(2);
  clock.nowMs = sessionTimeoutMs + 1;
  assert.deepEqual(await controller.fenceExpiredBrokers(), [3]);
  assert.equal(image.brokers.get(3)?.fenced, true);
  for (const before of ledBy3) {
    const now = image.topicsByName.get('t')!.partitions[before.partition];
    assert.notEqual(now.leader, 3);
    assert.ok(now.isr.includes(now.leader));
    assert.equal(now.leaderEpoch, before.leaderEpoch + 1);
    assert.equal(now.partitionEpoch, before.partitionEpoch + 1);
  }
  for (const p of image.topicsByName.get('t')!.partitions) assert.ok(!p.isr.includes(3), `partition ${p.partition} ISR ${p.isr}`);
  for (const p of image.topicsByName.get('solo')!.partitions) {
    if (p.replicas[0] === 3) assert.deepEqual([p.leader, p.isr], [-1, [3]], 'the last ISR member stays; the partition is leaderless');
  }
  const back = await heartbeat(3);
  assert.equal(back.isFenced, false);
  for (const p of image.topicsByName.get('solo')!.partitions) assert.notEqual(p.leader, -1, 'its leaderless partitions have it as leader again');
  assert.ok(image.topicsByName.get('t')!.partitions.every((p) => !p.isr.includes(3)), 'rejoining the ISR is the leader\'s call (AlterPartition)');
  controller.deactivate();
  clock.nowMs = 10 * sessionTimeoutMs;
  assert.deepEqual(await controller.fenceExpiredBrokers(), [], 'an inactive controller fences nobody');
});

test('a broker without a connection to the controller is fenced at once when nothing listens at its address, and only then', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log, join, heartbeat, settle, deadPorts, probed } = await openController(dir);
  closeLater(log);
  for (const id of [1, 2, 3]) await join(id);
  await controller.createTopics([topic('t', 6, 3)], false);
  controller.activate();
  t.after(() => controller.deactivate());
  await settle();
  assert.deepEqual(probed.sort(), [9001, 9002, 9003], 'activation looks for brokers that died while no controller was active');
  assert.ok([1, 2, 3].every((id) => !image.brokers.get(id)!.fenced), 'every address accepts: nobody is fenced');

  const connections = new Map([1, 2, 3].map((id) => [id, new AbortController()]));
  for (const [id, connection] of connections) await heartbeat(id, { connection: connection.signal });
  connections.get(2)!.abort();
  await settle();
  assert.equal(image.brokers.get(2)!.fenced, false, 'its connection closed but its address accepts: it may be alive, its session goes on');

  const newer = new AbortController();
  await heartbeat(1, { connection: newer.signal });
  deadPorts.add(9001);
  connections.get(1)!.abort();
  await settle();
  assert.equal(image.brokers.get(1)!.fenced, false, 'the closed connection is not its latest one');
  await heartbeat(1);
  newer.abort();
  await settle();
  assert.equal(image.brokers.get(1)!.fenced, false, 'it heartbeated since through another node (forwarded)');

  const ledBy3 = image.topicsByName.get('t')!.partitions.filter((p) => p.leader === 3).map((p) => p.partition);
  deadPorts.add(9003);
  connections.get(3)!.abort();
  await settle();
  assert.equal(image.brokers.get(3)!.fenced, true, 'its connection closed and its address refuses: fenced without waiting for its session');
  for (const p of image.topicsByName.get('t')!.partitions) {
    assert.ok(!p.isr.includes(3), `partition ${p.partition} ISR ${p.isr}`);
    if (ledBy3.includes(p.partition)) assert.ok(p.leader !== 3 && p.leader !== -1, `partition ${p.partition} has a new leader`);
  }
  deadPorts.delete(9003);
  assert.equal((await heartbeat(3)).isFenced, false, 'alive after all (restarted on its address): unfenced by its next heartbeat');

  deadPorts.add(9002);
  controller.deactivate();
  controller.activate();
  await settle();
  assert.deepEqual([1, 2, 3].map((id) => image.brokers.get(id)!.fenced), [true, true, false], 'a new activation fences the brokers whose addresses refuse');
});

test('unclean.leader.election.enable lets an out-of-sync live replica lead', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log, join, heartbeat } = await openController(dir, ['risky']);
  closeLater(log);
  for (const id of [1, 2]) await join(id);
  const onOneAndTwo = { numPartitions: -1, replicationFactor: -1, assignments: [{ partition: 0, brokerIds: [1, 2] }] };
  await controller.createTopics([topic('risky', 1, 1, onOneAndTwo), topic('safe', 1, 1, onOneAndTwo)], false);
  for (const name of ['risky', 'safe']) {
    const p = image.topicsByName.get(name)!.partitions[0];
    const result = await controller.alterPartition(1, image.brokers.get(1)!.epoch, [
      { topic: { name }, partition: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: [{ brokerId: 1, brokerEpoch: -1 }] },
    ]);
    assert.deepEqual(result.results[0].state?.isr, [1]);
  }
  await heartbeat(1, { wantFence: true });
  const risky = image.topicsByName.get('risky')!.partitions[0];
  const safe = image.topicsByName.get('safe')!.partitions[0];
  assert.deepEqual([risky.leader, risky.isr], [2, [2]]);
  assert.deepEqual([safe.leader, safe.isr], [-1, [1]]);
});

test('re-registration changes the epoch and takes away leadership; another live process with the same id is refused', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log, join } = await openController(dir);
  closeLater(log);
  controller.activate();
  t.after(() => controller.deactivate());
  const firstEpoch = await join(1);
  await join(2);
  await controller.createTopics([topic('t', 4, 2)], false);
  const duplicate = await controller.registerBroker({ nodeId: 1, endpoints: [{ name: 'PEER', host: 'h', port: 1, securityProtocol: 'PLAINTEXT' }], rack: null, clusterId: image.clusterId!, incarnationId: 'someone-else' });
  assert.equal(duplicate.errorCode, ErrorCode.DUPLICATE_BROKER_REGISTRATION);
  const again = await controller.registerBroker({ nodeId: 1, endpoints: [{ name: 'PEER', host: 'h', port: 1, securityProtocol: 'PLAINTEXT' }], rack: null, clusterId: image.clusterId!, incarnationId: 'i1' });
  assert.deepEqual([again.errorCode, image.brokers.get(1)?.epoch, image.brokers.get(1)?.fenced], [ErrorCode.NONE, again.brokerEpoch, true]);
  assert.notEqual(again.brokerEpoch, firstEpoch);
  for (const p of image.topicsByName.get('t')!.partitions) assert.deepEqual([p.leader, p.isr], [2, [2]]);
});

test('controlled shutdown moves leadership away and says shouldShutDown once the broker has seen the moves', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log, join, heartbeat } = await openController(dir);
  closeLater(log);
  for (const id of [1, 2]) await join(id);
  await controller.createTopics([topic('t', 4, 2), topic('solo', 2, 1)], false);
  const offset = log.appliedOffset();
  const first = await heartbeat(1, { wantShutDown: true, metadataOffset: offset });
  assert.equal(first.shouldShutDown, false);
  for (const p of image.topicsByName.get('t')!.partitions) assert.deepEqual([p.leader, p.isr], [2, [2]]);
  const notSeen = await heartbeat(1, { wantShutDown: true, metadataOffset: offset });
  assert.equal(notSeen.shouldShutDown, false, 'it has not applied the leadership moves yet');
  const seen = await heartbeat(1, { wantShutDown: true });
  assert.deepEqual([seen.shouldShutDown, seen.isFenced], [true, false]);
  const solo = image.topicsByName.get('solo')!.partitions.filter((p) => p.replicas[0] === 1);
  for (const p of solo) assert.equal(p.leader, 1, 'a partition with nowhere to go keeps its leader');
  const [placed] = await controller.createTopics([topic('later', 4, 1)], false);
  assert.equal(placed.errorCode, ErrorCode.NONE);
  assert.ok(image.topicsByName.get('later')!.partitions.every((p) => p.leader === 2), 'no new replicas on a broker shutting down');
  const single = await heartbeat(2, { wantShutDown: true });
  assert.equal(single.shouldShutDown, true, 'nothing can move: shut down at once');
});

test('AlterPartition through the controller: commits the new ISR, answers the state, refuses a stale broker epoch', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log, join } = await openController(dir);
  closeLater(log);
  for (const id of [1, 2]) await join(id);
  const [created] = await controller.createTopics([topic('t', 1, 2)], false);
  const p = image.topicsByName.get('t')!.partitions[0];
  const leaderEpoch = image.brokers.get(p.leader)!.epoch;
  const follower = p.replicas[1];
  const change = (isr: number[]) => ({ topic: { id: created.topicId! }, partition: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: image.partition('t', 0)!.partitionEpoch, newIsr: isr.map((brokerId) => ({ brokerId, brokerEpoch: -1 })) });
  const shrink = await controller.alterPartition(p.leader, leaderEpoch, [change([p.leader]), { ...change([p.leader]), topic: { id: 'f'.repeat(32) } }, { ...change([p.leader]), partition: 5 }]);
  assert.equal(shrink.errorCode, ErrorCode.NONE);
  assert.deepEqual(shrink.results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_ID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.deepEqual([shrink.results[0].state?.isr, shrink.results[0].state?.partitionEpoch], [[p.leader], p.partitionEpoch + 1]);
  assert.deepEqual(image.partition('t', 0)!.isr, [p.leader]);
  const grow = await controller.alterPartition(p.leader, leaderEpoch, [change([p.leader, follower])]);
  assert.deepEqual(grow.results[0].state?.isr, [p.leader, follower]);
  assert.equal((await controller.alterPartition(p.leader, leaderEpoch + 5, [change([p.leader])])).errorCode, ErrorCode.STALE_BROKER_EPOCH);
});

test('ElectLeaders: preferred moves leadership back to the first replica once it is in the ISR; unclean only for partitions without a live leader', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log, join, heartbeat } = await openController(dir);
  closeLater(log);
  for (const id of [1, 2, 3]) await join(id);
  const explicit = (lists: number[][]) => ({ numPartitions: -1, replicationFactor: -1, assignments: lists.map((brokerIds, partition) => ({ partition, brokerIds })) });
  await controller.createTopics([topic('t', 1, 1, explicit([[1, 2], [2, 3]])), topic('lone', 1, 1, explicit([[3]]))], false);
  await heartbeat(1, { wantFence: true });
  assert.equal(image.partition('t', 0)!.leader, 2);
  const early = await controller.electLeaders('preferred', [{ topic: 't', partitions: [0, 1, 7] }, { topic: 'nope', partitions: [0] }]);
  assert.deepEqual(early.map((r) => [r.topic, r.partitions.map((p) => [p.partition, p.errorCode])]), [
    ['t', [[0, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE], [1, ErrorCode.ELECTION_NOT_NEEDED], [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
  ]);
  await heartbeat(1);
  const t0 = image.partition('t', 0)!;
  const readmitted = await controller.alterPartition(2, image.brokers.get(2)!.epoch, [
    { topic: { name: 't' }, partition: 0, leaderEpoch: t0.leaderEpoch, partitionEpoch: t0.partitionEpoch, newIsr: [{ brokerId: 2, brokerEpoch: -1 }, { brokerId: 1, brokerEpoch: -1 }] },
  ]);
  assert.equal(readmitted.results[0].errorCode, ErrorCode.NONE);
  const all = await controller.electLeaders('preferred', null);
  assert.deepEqual(all.find((r) => r.topic === 't')!.partitions, [{ partition: 0, errorCode: ErrorCode.NONE, errorMessage: null }], 'null elects everywhere and leaves out what needed no election');
  assert.equal(image.partition('t', 0)!.leader, 1);
  assert.equal(image.partition('t', 0)!.leaderEpoch, t0.leaderEpoch + 1);

  await heartbeat(3, { wantFence: true });
  assert.equal(image.partition('lone', 0)!.leader, -1);
  const [unclean] = await controller.electLeaders('unclean', [{ topic: 'lone', partitions: [0] }]);
  assert.equal(unclean.partitions[0].errorCode, ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, 'its only replica is fenced');
  const [notNeeded] = await controller.electLeaders('unclean', [{ topic: 't', partitions: [0] }]);
  assert.equal(notNeeded.partitions[0].errorCode, ErrorCode.ELECTION_NOT_NEEDED);
});

test('leader rebalancing while active: preferred leaders return where a broker is imbalanced beyond the threshold', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log, join, heartbeat } = await openController(dir);
  closeLater(log);
  for (const id of [1, 2, 3]) await join(id);
  await controller.createTopics([topic('spread', 6, 3)], false);
  await heartbeat(1, { wantFence: true });
  await heartbeat(1);
  const moved = image.topicsByName.get('spread')!.partitions.filter((p) => p.replicas[0] === 1);
  assert.ok(moved.every((p) => p.leader !== 1 && !p.isr.includes(1)), 'fenced: it lost leadership and ISR membership');
  assert.deepEqual(await controller.rebalanceLeaders(), [], 'inactive: no rebalancing');
  controller.activate();
  t.after(() => controller.deactivate());
  assert.deepEqual(await controller.rebalanceLeaders(), [], 'not in the ISR: the preferred leader cannot lead yet');
  for (const p of moved) {
    const now = image.partition('spread', p.partition)!;
    const result = await controller.alterPartition(now.leader, image.brokers.get(now.leader)!.epoch, [
      { topic: { name: 'spread' }, partition: p.partition, leaderEpoch: now.leaderEpoch, partitionEpoch: now.partitionEpoch, newIsr: [...now.isr, 1].map((brokerId) => ({ brokerId, brokerEpoch: -1 })) },
    ]);
    assert.equal(result.results[0].errorCode, ErrorCode.NONE);
  }
  const changes = await controller.rebalanceLeaders();
  assert.deepEqual(changes.map((p) => p.partition).sort(), moved.map((p) => p.partition).sort());
  assert.ok(image.topicsByName.get('spread')!.partitions.every((p) => p.leader === p.replicas[0]));
});

test('reassignment through the controller: validated, completed by the ISR expansion, cancellable, listed, and kept in the log', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const first = await openController(dir);
  const { controller, image, join } = first;
  for (const id of [1, 2, 3]) await join(id);
  const [created] = await controller.createTopics([topic('r', 0, 0, { numPartitions: -1, replicationFactor: -1, assignments: [{ partition: 0, brokerIds: [1, 2] }, { partition: 1, brokerIds: [1, 2] }] })], false);
  assert.equal(created.errorCode, ErrorCode.NONE);
  const errors = await controller.alterPartitionReassignments([
    { name: 'r', partitions: [{ partition: 0, replicas: [2, 3] }, { partition: 1, replicas: [2, 2] }, { partition: 7, replicas: [1] }, { partition: 1, replicas: [1, 9] }] },
    { name: 'nope', partitions: [{ partition: 0, replicas: [1] }] },
  ]);
  assert.deepEqual(errors.flatMap((x) => x.partitions.map((p) => p.errorCode)), [
    ErrorCode.NONE, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ]);
  assert.deepEqual(controller.listPartitionReassignments(null), [{ name: 'r', partitions: [{ partition: 0, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1] }] }]);
  const cancelNothing = await controller.alterPartitionReassignments([{ name: 'r', partitions: [{ partition: 1, replicas: null }] }]);
  assert.equal(cancelNothing[0].partitions[0].errorCode, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);

  // The leader (1) puts broker 3 in the ISR: the same proposal completes the move and hands leadership to 2.
  const p = image.partition('r', 0)!;
  const grow = await controller.alterPartition(1, image.brokers.get(1)!.epoch, [
    { topic: { id: created.topicId! }, partition: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: [1, 2, 3].map((brokerId) => ({ brokerId, brokerEpoch: -1 })) },
  ]);
  assert.equal(grow.results[0].errorCode, ErrorCode.NONE);
  const done = image.partition('r', 0)!;
  assert.deepEqual([done.replicas, done.isr, done.leader, done.addingReplicas], [[2, 3], [2, 3], 2, undefined]);
  assert.deepEqual(controller.listPartitionReassignments(null), []);

  // A move to a broker that never catches up is cancelled back to where it was; a move left running survives a reopen.
  await controller.alterPartitionReassignments([{ name: 'r', partitions: [{ partition: 1, replicas: [3] }, { partition: 0, replicas: [1, 3] }] }]);
  const cancel = await controller.alterPartitionReassignments([{ name: 'r', partitions: [{ partition: 1, replicas: null }] }]);
  assert.equal(cancel[0].partitions[0].errorCode, ErrorCode.NONE);
  assert.deepEqual([image.partition('r', 1)!.replicas, image.partition('r', 1)!.isr, image.partition('r', 1)!.leader], [[1, 2], [1, 2], 1]);
  await first.log.stop();
  const second = await openController(dir);
  closeLater(second.log);
  assert.deepEqual(second.controller.listPartitionReassignments([{ name: 'r', partitions: [0, 1] }]), [{ name: 'r', partitions: [{ partition: 0, replicas: [1, 3, 2], addingReplicas: [1], removingReplicas: [2] }] }]);
});

test('AlterUserScramCredentials with more credentials than one metadata log entry holds changes nothing and says so', async (t) => {
  const { dir, closeLater } = await withDir(t);
  const { controller, image, log } = await openController(dir);
  closeLater(log);
  // ~250 bytes a record: 40,000 are more than an 8 MiB entry.
  const upsertions = Array.from({ length: 40_000 }, (_, i) => ({ name: `user-${i}`, mechanism: 2, iterations: 4096, salt: Buffer.alloc(32, i), saltedPassword: Buffer.alloc(64, i) }));
  const results = await controller.alterUserScramCredentials([{ name: 'ghost', mechanism: 1 }], upsertions);
  assert.equal(results.length, 40_001);
  assert.deepEqual(results[0], { user: 'ghost', errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' });
  assert.ok(results.slice(1).every((r) => r.errorCode === ErrorCode.POLICY_VIOLATION && /alter fewer users at once/.test(r.errorMessage ?? '')), results[1].errorMessage ?? '');
  assert.equal(image.scramCredentials.size, 0);
  const [ok] = await controller.alterUserScramCredentials([], upsertions.slice(0, 1));
  assert.equal(ok.errorCode, ErrorCode.NONE);
  assert.equal(image.scramCredentials.size, 1);
});
