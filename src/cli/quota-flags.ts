/**
 * The flags of `kb quota set|list|delete`: which entity (`--user`,
 * `--client-id`, `--default user|client-id` for a type's default, as
 * kafka-configs' --entity-default) and, for set, the quota values: byte
 * rates as a count of bytes per second with an optional binary unit
 * (`1MB` = `1MiB` = 1048576; K, M, G), the request percentage and the
 * controller mutation rate as numbers.
 */
import { Flags } from '@oclif/core';
import { UsageError } from './kb-command.ts';
import type { QuotaEntityPart } from '../metadata/client-quotas.ts';

export const entityFlags = {
  user: Flags.string({ description: 'the user (principal name, e.g. alice for User:alice)' }),
  'client-id': Flags.string({ description: 'the client id' }),
  default: Flags.string({ description: "the entity type's default (applies to each user or client id without its own quota)", options: ['user', 'client-id'], multiple: true }),
};

export const valueFlags = {
  'producer-byte-rate': Flags.string({ description: 'bytes/s produced (e.g. 1048576, 512KB, 1MB)' }),
  'consumer-byte-rate': Flags.string({ description: 'bytes/s fetched by consumers (e.g. 1MB)' }),
  'request-percentage': Flags.string({ description: "percent of one broker thread's time spent on the requests" }),
  'controller-mutation-rate': Flags.string({ description: 'partitions created or deleted per second' }),
};

/** The quota key of each value flag. */
export const quotaKeyOfFlag = {
  'producer-byte-rate': 'producer_byte_rate',
  'consumer-byte-rate': 'consumer_byte_rate',
  'request-percentage': 'request_percentage',
  'controller-mutation-rate': 'controller_mutation_rate',
} as const;

const units: Record<string, number> = { '': 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** Bytes per second from `1048576`, `512KB`, `1MB`, `1.5MiB`. */
export function parseByteRate(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*(?:\/s)?\s*$/.exec(text);
  const unit = match ? units[match[2].toLowerCase()] : undefined;
  const value = match && unit ? Math.round(Number(match[1]) * unit) : 0;
  if (!(value > 0)) throw new UsageError(`--${flag} ${text}: expected bytes per second, e.g. 1048576, 512KB or 1MB`);
  return value;
}

/** A positive number (request percentage, mutation rate). */
export function parsePositive(flag: string, text: string): number {
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) throw new UsageError(`--${flag} ${text}: expected a positive number`);
  return value;
}

/** The entity the flags name; none is a usage error unless `optional` (list: every entity). */
export function entityOf(flags: { user?: string; 'client-id'?: string; default?: string[] }, optional = false): QuotaEntityPart[] {
  const defaults = new Set(flags.default ?? []);
  const parts: QuotaEntityPart[] = [];
  for (const [type, name] of [['user', flags.user], ['client-id', flags['client-id']]] as const) {
    if (name !== undefined && defaults.has(type)) throw new UsageError(`--${type} and --default ${type} name different entities: give one`);
    if (name !== undefined) parts.push({ entityType: type, entityName: name });
    else if (defaults.has(type)) parts.push({ entityType: type, entityName: null });
  }
  if (parts.length === 0 && !optional) throw new UsageError('name the entity: --user NAME, --client-id ID, or --default user|client-id (or both types)');
  return parts;
}
