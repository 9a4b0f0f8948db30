/**
 * The group coordinator against requests no well-behaved client sends, over
 * the wire to a real `kb broker start`:
 * - OffsetCommit for an unknown group with a generation (ILLEGAL_GENERATION),
 *   from an unknown member or a stale generation of a live group
 *   (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION), for unknown partitions
 *   (UNKNOWN_TOPIC_OR_PARTITION), with metadata above
 *   offset.metadata.max.bytes (OFFSET_METADATA_TOO_LARGE, the other
 *   partitions of the request still committed), and one too large for a
 *   record batch (INVALID_COMMIT_OFFSET_SIZE); clients cannot produce to
 *   __consumer_offsets;
 * - a join storm: 100 members join, half leave while 50 more join, then all
 *   leave, each over its own connection, while kcat produces and consumes
 *   on the same broker: every generation is agreed by all its members, the
 *   group ends Empty, and the other traffic is served throughout.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { requireTool, tools } from '../helpers/tools.ts';
import { runKb } from '../helpers/cli.ts';
import { kcatOk } from '../helpers/kcat.ts';
import { uniqueTopic } from '../helpers/records.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';

const api = { produce: 0, offsetCommit: 8, offsetFetch: 9, findCoordinator: 10, joinGroup: 11, heartbeat: 12, leaveGroup: 13, syncGroup: 14, describeGroups: 15 };
const metadataMaxBytes = 1000;
/** Small enough that a commit of a few partitions with large metadata outgrows one batch. */
const messageMaxBytes = 8000;
let broker: RunningBroker;
let topic: string;

before(async () => {
  broker = await startBroker({
    sets: {
      'group.initial.rebalance.delay.ms': 0,
      'group.min.session.timeout.ms': 1000,
      'offset.metadata.max.bytes': metadataMaxBytes,
      'message.max.bytes': messageMaxBytes,
      'offsets.topic.num.partitions': 5,
    },
  });
  topic = uniqueTopic('groups-bad-input');
  const created = await runKb(['topic', 'create', topic, '--partitions', '10', '-b', broker.address]);
  assert.equal(created.code, 0, created.stderr);
});
after(async () => {
  await broker?.stop();
});

async function client(t: { after(fn: () => void): void }): Promise<RawClient> {
  const c = await RawClient.connect(broker.host, broker.port);
  t.after(() => c.close());
  const found = await c.request(api.findCoordinator, 3, { key: 'any', keyType: 0, coordinatorKeys: [] });
  assert.equal(found.errorCode, ErrorCode.NONE, 'the coordinator is found');
  return c;
}

function commitRequest(groupId: string, generationId: number, memberId: string, partitions: { partition: number; metadata?: string; topic?: string }[]) {
  const topics = [...new Set(partitions.map((p) => p.topic ?? topic))];
  return {
    groupId,
    generationIdOrMemberEpoch: generationId,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: topics.map((name) => ({
      name,
      partitions: partitions
        .filter((p) => (p.topic ?? topic) === name)
        .map((p) => ({ partitionIndex: p.partition, committedOffset: 7n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: p.metadata ?? 'm' })),
    })),
  };
}

const errorsOf = (response: any): number[] => response.topics.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode));

/** A bare group member speaking JoinGroup v5 / SyncGroup v3 / Heartbeat v3 / LeaveGroup v3 on its own connection. */
class RawMember {
  memberId = '';
  generationId = -1;
  private readonly connection: RawClient;
  private readonly groupId: string;

  private constructor(connection: RawClient, groupId: string) {
    this.connection = connection;
    this.groupId = groupId;
  }

  static async connect(groupId: string): Promise<RawMember> {
    return new RawMember(await RawClient.connect(broker.host, broker.port), groupId);
  }

  /** Joins (taking the id MEMBER_ID_REQUIRED hands out) and syncs until both succeed in one generation. */
  async join(): Promise<void> {
    for (;;) {
      const joined = await this.connection.request(api.joinGroup, 5, {
        groupId: this.groupId,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.from('storm') }],
      }).then((r) => r, (err: Error) => ({ errorCode: -99, message: err.message }));
      if (joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = joined.memberId;
        continue;
      }
      assert.equal(joined.errorCode, ErrorCode.NONE, `JoinGroup of ${this.memberId}: ${JSON.stringify(joined)}`);
      this.generationId = joined.generationId;
      const isLeader = joined.leader === this.memberId;
      const synced = await this.connection.request(api.syncGroup, 3, {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
        assignments: isLeader ? joined.members.map((m: { memberId: string }) => ({ memberId: m.memberId, assignment: Buffer.from(m.memberId) })) : [],
      });
      if (synced.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      assert.equal(synced.errorCode, ErrorCode.NONE, `SyncGroup of ${this.memberId}`);
      assert.deepEqual(synced.assignment, Buffer.from(this.memberId), 'each member gets the assignment the leader made for it');
      return;
    }
  }

  async heartbeat(): Promise<number> {
    const response = await this.connection.request(api.heartbeat, 3, {
      groupId: this.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: null,
    });
    return response.errorCode;
  }

  async leave(): Promise<void> {
    const response = await this.connection.request(api.leaveGroup, 3, { groupId: this.groupId, members: [{ memberId: this.memberId, groupInstanceId: null }] });
    assert.equal(response.errorCode, ErrorCode.NONE);
    assert.deepEqual(response.members.map((m: { errorCode: number }) => m.errorCode), [ErrorCode.NONE]);
  }

  close(): void {
    this.connection.close();
  }
}

const heartbeatIntervalMs = 100;
/** Heartbeat answers a member may see while the group churns: NONE, or rejoin. */
const rejoinCodes: readonly number[] = [ErrorCode.NONE, ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION];
const settleTimeoutMs = 30_000;

/**
 * Runs every member like a client would: join, then heartbeat every
 * `heartbeatIntervalMs` and rejoin when told to, until all of them
 * heartbeat successfully in one generation, which is returned.
 */
async function settle(members: RawMember[]): Promise<number> {
  const deadline = Date.now() + settleTimeoutMs;
  const healthy = new Set<RawMember>();
  const settled = () => healthy.size === members.length && new Set(members.map((m) => m.generationId)).size === 1;
  await Promise.all(
    members.map(async (m) => {
      while (!settled()) {
        assert.ok(Date.now() < deadline, `the group did not settle within ${settleTimeoutMs} ms (${healthy.size}/${members.length} healthy)`);
        const code = m.generationId < 0 ? ErrorCode.REBALANCE_IN_PROGRESS : await m.heartbeat();
        assert.ok(rejoinCodes.includes(code), `heartbeat of ${m.memberId}: error ${code}`);
        if (code === ErrorCode.NONE) {
          healthy.add(m);
          await new Promise((resolve) => setTimeout(resolve, heartbeatIntervalMs));
        } else {
          healthy.delete(m);
          await m.join();
        }
      }
    }),
  );
  return members[0].generationId;
}

test('commits for unknown groups, unknown members and stale generations are refused; simple commits go through', async (t) => {
  const c = await client(t);
  const unknownGroup = await c.request(api.offsetCommit, 7, commitRequest('no-such-group', 5, 'someone', [{ partition: 0 }]));
  assert.deepEqual(errorsOf(unknownGroup), [ErrorCode.ILLEGAL_GENERATION]);

  const member = await RawMember.connect('bad-input-live');
  t.after(() => member.close());
  await member.join();
  const stranger = await c.request(api.offsetCommit, 7, commitRequest('bad-input-live', member.generationId, 'stranger', [{ partition: 0 }]));
  assert.deepEqual(errorsOf(stranger), [ErrorCode.UNKNOWN_MEMBER_ID]);
  const stale = await c.request(api.offsetCommit, 7, commitRequest('bad-input-live', member.generationId - 1, member.memberId, [{ partition: 0 }]));
  assert.deepEqual(errorsOf(stale), [ErrorCode.ILLEGAL_GENERATION]);
  const outsider = await c.request(api.offsetCommit, 7, commitRequest('bad-input-live', -1, '', [{ partition: 0 }]));
  assert.deepEqual(errorsOf(outsider), [ErrorCode.UNKNOWN_MEMBER_ID], 'a simple commit is refused while the group has members');
  const valid = await c.request(api.offsetCommit, 7, commitRequest('bad-input-live', member.generationId, member.memberId, [{ partition: 0 }]));
  assert.deepEqual(errorsOf(valid), [ErrorCode.NONE]);

  const simple = await c.request(api.offsetCommit, 2, commitRequest('bad-input-simple', -1, '', [{ partition: 1 }]));
  assert.deepEqual(errorsOf(simple), [ErrorCode.NONE], 'a commit from outside any membership creates an Empty group');
  const fetched = await c.request(api.offsetFetch, 1, { groupId: 'bad-input-simple', topics: [{ name: topic, partitionIndexes: [1, 2] }] });
  assert.deepEqual(
    fetched.topics[0].partitions.map((p: any) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode]),
    [
      [1, 7n, 'm', ErrorCode.NONE],
      [2, -1n, '', ErrorCode.NONE],
    ],
  );
});

test('unknown partitions, oversized metadata and oversized commits get per-partition errors; the rest is committed', async (t) => {
  const c = await client(t);
  const mixed = await c.request(
    api.offsetCommit,
    8,
    commitRequest('bad-input-sizes', -1, '', [
      { partition: 0 },
      { partition: 1, metadata: 'x'.repeat(metadataMaxBytes + 1) },
      { partition: 99 },
      { partition: 0, topic: 'no-such-topic' },
    ]),
  );
  assert.deepEqual(errorsOf(mixed), [ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);

  const tooLarge = await c.request(
    api.offsetCommit,
    8,
    commitRequest('bad-input-sizes', -1, '', Array.from({ length: 10 }, (_, partition) => ({ partition, metadata: 'y'.repeat(metadataMaxBytes) }))),
  );
  assert.deepEqual(errorsOf(tooLarge), Array(10).fill(ErrorCode.INVALID_COMMIT_OFFSET_SIZE), `a batch above message.max.bytes ${messageMaxBytes}`);

  const fetched = await c.request(api.offsetFetch, 8, { groups: [{ groupId: 'bad-input-sizes', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
  assert.equal(fetched.groups[0].errorCode, ErrorCode.NONE);
  assert.deepEqual(
    fetched.groups[0].topics.map((t: any) => [t.name, t.partitions.map((p: any) => [p.partitionIndex, p.committedOffset])]),
    [[topic, [[0, 7n]]]],
    'only the valid entry was committed',
  );
});

test('clients cannot produce to __consumer_offsets', async (t) => {
  const c = await client(t);
  const batch = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: [{ key: Buffer.from('k'), value: Buffer.from('v') }] });
  const response = await c.request(api.produce, 8, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: '__consumer_offsets', partitionData: [{ index: 0, records: batch }] }],
  });
  assert.equal(response.responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
});

test('a join storm of 100 members joining and leaving leaves the group consistent while other traffic is served', async (t) => {
  if (!requireTool(t, tools.kcat)) return;
  const groupId = 'join-storm';
  const connect = (n: number) => Promise.all(Array.from({ length: n }, () => RawMember.connect(groupId)));
  const first = await connect(100);
  t.after(() => first.forEach((m) => m.close()));

  const trafficTopic = uniqueTopic('storm-traffic');
  const traffic = (async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `r${i}`);
    await kcatOk(['-b', broker.address, '-P', '-t', trafficTopic], { input: lines.join('\n') + '\n' });
    const read = await kcatOk(['-b', broker.address, '-C', '-t', trafficTopic, '-o', 'beginning', '-e', '-q']);
    return read.stdout.trim().split('\n');
  })();

  const generation1 = await settle(first);

  const second = await connect(50);
  t.after(() => second.forEach((m) => m.close()));
  const [leaving, staying] = [first.slice(0, 50), first.slice(50)];
  const members = [...staying, ...second];
  const [generation2] = await Promise.all([settle(members), ...leaving.map((m) => m.leave())]);
  assert.ok(generation2 > generation1, 'the churn made a new generation');

  const c = await client(t);
  const described = await c.request(api.describeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false });
  assert.equal(described.groups[0].groupState, 'Stable');
  assert.deepEqual(described.groups[0].members.map((m: any) => m.memberId).sort(), members.map((m) => m.memberId).sort());

  assert.equal((await traffic).length, 200, 'kcat produced and consumed every record during the storm');

  await Promise.all(members.map((m) => m.leave()));
  const afterLeave = await c.request(api.describeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false });
  assert.equal(afterLeave.groups[0].groupState, 'Empty');
  assert.deepEqual(afterLeave.groups[0].members, []);

  const latecomer = await RawMember.connect(groupId);
  t.after(() => latecomer.close());
  assert.ok((await settle([latecomer])) > generation2, 'a new member forms the group again');
});
