import { topicNameLengthMax } from '../limits.ts';

/**
 * Kafka's topic name rules: 1..249 characters of [a-zA-Z0-9._-], not "." or
 * "..", and no two topics that differ only by '.' versus '_' (their metric
 * names would collide: MetadataImage.topicCollidingWith). topicNameProblem
 * returns a reason, or null for a valid name.
 * The internal topics' names are reserved: only the broker creates those
 * it uses, and clients may not change them.
 */
/** The metadata log's name in Kafka: never a topic. */
export const metadataTopicName = '__cluster_metadata';

/** Kafka's internal topics: committed offsets, transaction state, and the metadata log's name. */
export const internalTopicNames: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state', metadataTopicName]);

export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`;
  if (name.length > topicNameLengthMax) return `topic name is longer than ${topicNameLengthMax} characters`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `topic name "${name}" has characters other than ASCII letters, digits, '.', '_' and '-'`;
  return null;
}
