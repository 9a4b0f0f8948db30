/**
 * The flags of `kb acl create|list|delete`, in rpk's style, and what they
 * mean: resources (--topic, --group, --transactional-id, repeatable or
 * comma-separated, and --cluster), --resource-pattern-type, principals
 * (--allow-principal, --deny-principal; a name without a type is a User),
 * hosts when creating (--allow-host, --deny-host; * when none) and --operation (names as
 * Kafka's, any case, `describe-configs` or `describe_configs`).
 *
 * create: every resource x (allowed principal x allowed host, or denied
 * principal x denied host) x operation, each one binding. list and delete:
 * filters, one per resource x principal x operation given, any of each when
 * none is given (pattern type ANY by default; MATCH finds what applies to
 * a named resource).
 */
import { Flags } from '@oclif/core';
import { UsageError } from './kb-command.ts';
import {
  AclOperation,
  AclPermission,
  PatternType,
  ResourceType,
  clusterResourceName,
  codeOf,
  type AclBinding,
  type AclFilter,
} from '../protocol/acl.ts';

const list = (description: string) => Flags.string({ description, multiple: true, delimiter: ',' });

export const aclFlags = {
  topic: list('topic name(s)'),
  group: list('consumer group(s)'),
  'transactional-id': list('transactional id(s)'),
  cluster: Flags.boolean({ description: 'the cluster itself', default: false }),
  'allow-principal': list('principal(s) to allow, User:NAME (User: when left out); User:* is everyone'),
  'deny-principal': list('principal(s) to deny'),
  operation: list('operation(s): all, read, write, create, delete, alter, describe, cluster-action, describe-configs, alter-configs, idempotent-write'),
};

/** Only create names hosts: list and delete match any host. */
export const hostFlags = {
  'allow-host': list('host(s) the allowed principals connect from (default *: any)'),
  'deny-host': list('host(s) the denied principals connect from (default *: any)'),
};

export const createPatternFlag = Flags.string({ description: 'how resource names match: literal or prefixed', options: ['literal', 'prefixed'], default: 'literal' });
export const filterPatternFlag = Flags.string({ description: 'which patterns to match: any, literal, prefixed, or match (every ACL that applies to the named resource)', options: ['any', 'match', 'literal', 'prefixed'], default: 'any' });

export type AclFlags = {
  topic?: string[];
  group?: string[];
  'transactional-id'?: string[];
  cluster: boolean;
  'allow-principal'?: string[];
  'deny-principal'?: string[];
  'allow-host'?: string[];
  'deny-host'?: string[];
  operation?: string[];
  'resource-pattern-type': string;
};

const principalOf = (p: string) => (p.includes(':') ? p : `User:${p}`);

function resources(flags: AclFlags): { resourceType: number; resourceName: string }[] {
  return [
    ...(flags.topic ?? []).map((resourceName) => ({ resourceType: ResourceType.TOPIC, resourceName })),
    ...(flags.group ?? []).map((resourceName) => ({ resourceType: ResourceType.GROUP, resourceName })),
    ...(flags['transactional-id'] ?? []).map((resourceName) => ({ resourceType: ResourceType.TRANSACTIONAL_ID, resourceName })),
    ...(flags.cluster ? [{ resourceType: ResourceType.CLUSTER, resourceName: clusterResourceName }] : []),
  ];
}

export function operationCode(name: string): number {
  const code = codeOf(AclOperation, name);
  if (code === undefined || code === AclOperation.UNKNOWN || code === AclOperation.ANY) throw new UsageError(`unknown operation '${name}': ${aclFlags.operation.description}`);
  return code;
}

export function resourceTypeCode(name: string): number {
  const code = codeOf(ResourceType, name);
  if (code === undefined || code === ResourceType.UNKNOWN || code === ResourceType.ANY) throw new UsageError(`unknown resource type '${name}': topic, group, cluster, transactional-id, delegation-token or user`);
  return code;
}

const patternCode = (name: string) => codeOf(PatternType, name)!;

/** The bindings `kb acl create` makes. */
export function bindingsOf(flags: AclFlags): AclBinding[] {
  const targets = resources(flags);
  if (targets.length === 0) throw new UsageError('name what the ACL is for: --topic, --group, --transactional-id or --cluster');
  const operations = (flags.operation ?? []).map(operationCode);
  if (operations.length === 0) throw new UsageError('name the operation(s): --operation read,describe');
  const entries = [
    ...(flags['allow-principal'] ?? []).flatMap((p) => (flags['allow-host'] ?? ['*']).map((host) => ({ principal: principalOf(p), host, permission: AclPermission.ALLOW }))),
    ...(flags['deny-principal'] ?? []).flatMap((p) => (flags['deny-host'] ?? ['*']).map((host) => ({ principal: principalOf(p), host, permission: AclPermission.DENY }))),
  ];
  if (entries.length === 0) throw new UsageError('name who: --allow-principal User:alice or --deny-principal User:mallory');
  const patternType = patternCode(flags['resource-pattern-type']);
  return targets.flatMap((r) => entries.flatMap((e) => operations.map((operation) => ({ ...r, patternType, ...e, operation }))));
}

/** The filters `kb acl list` and `kb acl delete` match with. */
export function filtersOf(flags: AclFlags): AclFilter[] {
  const targets: { resourceType: number; resourceName: string | null }[] = resources(flags);
  if (targets.length === 0) targets.push({ resourceType: ResourceType.ANY, resourceName: null });
  const entries: { principal: string | null; permission: number }[] = [
    ...(flags['allow-principal'] ?? []).map((p) => ({ principal: principalOf(p), permission: AclPermission.ALLOW })),
    ...(flags['deny-principal'] ?? []).map((p) => ({ principal: principalOf(p), permission: AclPermission.DENY })),
  ];
  if (entries.length === 0) entries.push({ principal: null, permission: AclPermission.ANY });
  const operations = (flags.operation ?? []).map(operationCode);
  if (operations.length === 0) operations.push(AclOperation.ANY);
  const patternType = patternCode(flags['resource-pattern-type']);
  return targets.flatMap((r) => entries.flatMap((e) => operations.map((operation) => ({ ...r, patternType, ...e, host: null, operation }))));
}
