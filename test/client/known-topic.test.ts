/**
 * client/known-topic.ts, the one "topic exists" check: a topic the cluster
 * describes is known; one it does not know (absent, UNKNOWN_TOPIC_OR_PARTITION,
 * an invalid name, no partitions) is null; any other topic-level error is
 * thrown, naming it, rather than taken for "exists" or "does not exist".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterMetadata, TopicInfo } from '../../src/client/cluster.ts';
import { ClientError } from '../../src/net/connection.ts';
import { knownTopic } from '../../src/client/known-topic.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const partition = { partition: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1], offline: [], errorCode: 0 };
const topic = (name: string, errorCode: number, partitions = [partition]): TopicInfo => ({ name, topicId: Buffer.alloc(16), errorCode, internal: false, partitions });
const metadata = (...topics: TopicInfo[]): ClusterMetadata => ({ clusterId: 'c', controllerId: 1, brokers: new Map(), topics: new Map(topics.map((t) => [t.name, t])) });

test('a described topic is known; an unknown, invalid, absent or partitionless one is null', () => {
  const answer = metadata(topic('a', ErrorCode.NONE), topic('u', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []), topic('bad name', ErrorCode.INVALID_TOPIC_EXCEPTION, []), topic('empty', ErrorCode.NONE, []));
  assert.equal(knownTopic(answer, 'a'), answer.topics.get('a'));
  for (const name of ['u', 'bad name', 'empty', 'absent']) assert.equal(knownTopic(answer, name), null, name);
});

test('another topic-level error (a broker still catching up) is thrown, naming it', () => {
  const answer = metadata(topic('t', ErrorCode.LEADER_NOT_AVAILABLE, []));
  assert.throws(() => knownTopic(answer, 't'), (err: unknown) => err instanceof ClientError && /metadata of topic 't': LEADER_NOT_AVAILABLE/.test(err.message) && err.cause === ErrorCode.LEADER_NOT_AVAILABLE);
});
