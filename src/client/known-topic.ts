/**
 * The one "does this topic exist" check on a Metadata answer, for the
 * client and every command: the topic's info when the cluster describes it
 * (no topic-level error, at least one partition); null when the cluster
 * does not know it (not in the answer, UNKNOWN_TOPIC_OR_PARTITION, an
 * invalid name, no partitions); a ClientError naming any other topic-level
 * error (e.g. LEADER_NOT_AVAILABLE from a broker still catching up), which
 * says nothing either way. `noSuchPartition` is the one wording for a
 * partition index past a topic's partitions.
 */
import { ErrorCode, errorName } from '../protocol/errors.ts';
import type { ClusterMetadata, TopicInfo } from './cluster.ts';
import { ClientError } from '../net/connection.ts';

const unknown: ReadonlySet<number> = new Set([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_TOPIC_EXCEPTION]);

export function knownTopic(metadata: ClusterMetadata, name: string): TopicInfo | null {
  const info = metadata.topics.get(name);
  if (!info || unknown.has(info.errorCode)) return null;
  if (info.errorCode !== ErrorCode.NONE) throw new ClientError(`metadata of topic '${name}': ${errorName(info.errorCode)}`, { cause: info.errorCode });
  return info.partitions.length > 0 ? info : null;
}

/** The message for partition `partition` of a topic with `count` partitions, which does not exist. */
export function noSuchPartition(topic: string, partition: number, count: number): string {
  return `topic '${topic}' has no partition ${partition} (it has ${count}: 0..${count - 1})`;
}
