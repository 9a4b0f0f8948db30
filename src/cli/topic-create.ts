/**
 * Creating a topic as `kb topic create` does, shared with `kb console`:
 * the partition count and replication factor default (-1) to the broker's
 * num.partitions and default.replication.factor; counts outside the wire's
 * ranges are usage errors, an existing topic is a UserError unless
 * `ifNotExists` (then `created: false`), any other refusal a UserError
 * with the broker's message. `dryRun` only validates (CreateTopics'
 * validate_only).
 */
import type { Admin } from '../client/admin.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import { int16Max, int32Max } from '../protocol/wire-limits.ts';
import { UsageError, UserError } from './kb-command.ts';
import { topicIdText } from './output.ts';

export interface TopicCreation {
  name: string;
  /** Omitted: the broker's num.partitions. */
  partitions?: number;
  /** Omitted: the broker's default.replication.factor. */
  replicationFactor?: number;
  configs: Record<string, string>;
}

export interface TopicCreated {
  topic: string;
  topicId: string | null;
  created: boolean;
  numPartitions: number;
}

function checkCount(value: number | undefined, what: string, max: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1 || value > max)) throw new UsageError(`${what} must be a whole number from 1 to ${max}`);
}

export async function createTopic(admin: Admin, spec: TopicCreation, options: { dryRun?: boolean; ifNotExists?: boolean } = {}): Promise<TopicCreated> {
  const { name } = spec;
  if (name === '') throw new UsageError('the topic name is empty');
  checkCount(spec.partitions, 'the partition count', int32Max);
  checkCount(spec.replicationFactor, 'the replication factor', int16Max);
  const result = await admin.createTopic({ name, partitions: spec.partitions ?? -1, replicationFactor: spec.replicationFactor ?? -1, configs: spec.configs }, options.dryRun);
  if (result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && options.ifNotExists) return { topic: name, topicId: null, created: false, numPartitions: -1 };
  if (result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) {
    throw new UserError(`topic '${name}' already exists (add --if-not-exists to accept that, or kb topic describe ${name})`);
  }
  if (result.errorCode !== ErrorCode.NONE) throw new UserError(`cannot create topic '${name}': ${result.errorMessage ?? errorName(result.errorCode)}`);
  return { topic: name, topicId: options.dryRun ? null : topicIdText(result.topicId), created: !options.dryRun, numPartitions: result.numPartitions };
}
