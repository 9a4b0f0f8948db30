import { topicNameLengthMax } from '../limits.ts';

/**
 * Kafka's topic name rules: 1..249 characters of [a-zA-Z0-9._-], not "." or
 * "..", and no two topics that differ only by '.' versus '_' (their metric
 * names would collide). Returns a reason, or null for a valid name.
 */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`;
  if (name.length > topicNameLengthMax) return `topic name is longer than ${topicNameLengthMax} characters`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `topic name "${name}" has characters other than ASCII letters, digits, '.', '_' and '-'`;
  return null;
}

/** The name under which '.' and '_' collide. */
export function collisionKey(name: string): string {
  return name.replaceAll('.', '_');
}
