/**
 * A producer's first look at its topic, as Kafka's producers (and kcat)
 * do: Metadata that allows auto-creation, so a cluster with
 * `auto.create.topics.enable` creates a missing topic. The broker answers
 * a topic it is creating (or, not serving yet, any topic it does not know)
 * with LEADER_NOT_AVAILABLE; `topicOnUse` asks again every
 * `retryBackoffMs` until the topic is described or `timeoutMs` has passed.
 * It resolves with the topic's info, null when the cluster neither has nor
 * creates it, and throws knownTopic's ClientError for any other answer
 * (an authorization failure, LEADER_NOT_AVAILABLE past the timeout).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '../protocol/errors.ts';
import type { Cluster, TopicInfo } from './cluster.ts';
import { knownTopic } from './known-topic.ts';

const retryBackoffMs = 100;

export async function topicOnUse(cluster: Cluster, name: string, timeoutMs: number): Promise<TopicInfo | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const metadata = await cluster.refreshMetadata([name], true);
    if (metadata.topics.get(name)?.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE || Date.now() >= deadline) return knownTopic(metadata, name);
    await sleep(retryBackoffMs);
  }
}
