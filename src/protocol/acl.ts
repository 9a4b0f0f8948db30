/**
 * Kafka's ACL model, as on the wire (CreateAcls, DescribeAcls, DeleteAcls):
 * an AclBinding is a resource pattern (type, name, LITERAL or PREFIXED)
 * and an entry (principal, host, operation, ALLOW or DENY). Filters
 * (DescribeAcls, DeleteAcls) match bindings as Kafka's AclBindingFilter
 * does: a null name, principal or host matches any; ANY matches any type,
 * operation, permission or pattern type; MATCH matches the patterns that
 * would apply to the named resource (the literal name, the `*` wildcard,
 * every prefix of it).
 *
 * Pure: codes, names for the CLI and messages, validation with Kafka's
 * messages (AclControlManager: INVALID_REQUEST for any of them).
 */
export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export const AclPermission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The one cluster resource's name (Kafka's). */
export const clusterResourceName = 'kafka-cluster';
/** The name (LITERAL), principal name and host that match every one. */
export const wildcard = '*';
export const wildcardPrincipal = 'User:*';

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permission: number;
}

export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permission: number;
}

/** One string per distinct binding (the image's key: creating a binding twice keeps one). */
export function aclKey(acl: AclBinding): string {
  return JSON.stringify([acl.resourceType, acl.resourceName, acl.patternType, acl.principal, acl.host, acl.operation, acl.permission]);
}

export function matchesFilter(acl: AclBinding, filter: AclFilter): boolean {
  if (filter.resourceType !== ResourceType.ANY && filter.resourceType !== acl.resourceType) return false;
  if (filter.patternType !== PatternType.ANY && filter.patternType !== PatternType.MATCH && filter.patternType !== acl.patternType) return false;
  if (filter.resourceName !== null) {
    if (filter.patternType !== PatternType.MATCH) {
      if (filter.resourceName !== acl.resourceName) return false;
    } else if (acl.patternType === PatternType.LITERAL) {
      if (filter.resourceName !== acl.resourceName && acl.resourceName !== wildcard) return false;
    } else if (!filter.resourceName.startsWith(acl.resourceName)) {
      return false;
    }
  }
  if (filter.principal !== null && filter.principal !== acl.principal) return false;
  if (filter.host !== null && filter.host !== acl.host) return false;
  if (filter.operation !== AclOperation.ANY && filter.operation !== acl.operation) return false;
  return filter.permission === AclPermission.ANY || filter.permission === acl.permission;
}

const known = (codes: Record<string, number>, code: number) => Object.values(codes).includes(code) && code !== 0;

/** Why a filter is refused (a code Kafka does not know, read as UNKNOWN), or null. */
export function filterProblem(filter: AclFilter): string | null {
  if (!known(ResourceType, filter.resourceType) || !known(PatternType, filter.patternType)) return 'Unknown patternFilter.';
  if (!known(AclOperation, filter.operation) || !known(AclPermission, filter.permission)) return 'Unknown entryFilter.';
  return null;
}

/** Why a new binding is refused (Kafka's AclControlManager.validateNewAcl), or null. */
export function newAclProblem(acl: AclBinding): string | null {
  if (!known(ResourceType, acl.resourceType) || acl.resourceType === ResourceType.ANY) return `Invalid resourceType ${acl.resourceType}`;
  if (acl.patternType !== PatternType.LITERAL && acl.patternType !== PatternType.PREFIXED) return `Invalid patternType ${acl.patternType}`;
  if (!known(AclOperation, acl.operation) || acl.operation === AclOperation.ANY) return `Invalid operation ${acl.operation}`;
  if (acl.permission !== AclPermission.ALLOW && acl.permission !== AclPermission.DENY) return `Invalid permissionType ${acl.permission}`;
  if (acl.resourceName === '') return 'Resource name should not be empty';
  const colon = acl.principal.indexOf(':');
  if (colon <= 0) return `Could not parse principal from \`${acl.principal}\` (no colon is present separating the principal type from the principal name)`;
  if (acl.host === '') return 'Invalid null host';
  return null;
}

function nameOf(codes: Record<string, number>, code: number): string {
  return Object.entries(codes).find(([, c]) => c === code)?.[0] ?? `UNKNOWN(${code})`;
}

export const resourceTypeName = (code: number) => nameOf(ResourceType, code);
export const patternTypeName = (code: number) => nameOf(PatternType, code);
export const operationName = (code: number) => nameOf(AclOperation, code);
export const permissionName = (code: number) => nameOf(AclPermission, code);

/** The code of a name as users write it (`read`, `describe-configs`, `TRANSACTIONAL_ID`, `transactional-id`), or undefined. */
export function codeOf(codes: Record<string, number>, name: string): number | undefined {
  const normal = name.trim().toUpperCase().replace(/-/g, '_');
  const spaced = Object.entries(codes).find(([n]) => n === normal || n.replace(/_/g, '') === normal);
  return spaced?.[1];
}

/** One line naming a binding, as logs and `kb acl` print it. */
export function describeAcl(acl: AclBinding): string {
  return (
    `${permissionName(acl.permission)} ${acl.principal} from ${acl.host} to ${operationName(acl.operation)} ` +
    `${resourceTypeName(acl.resourceType)} ${patternTypeName(acl.patternType)} '${acl.resourceName}'`
  );
}
