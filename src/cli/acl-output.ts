/**
 * ACLs as `kb acl` prints them: a table with one row per binding, and
 * --json objects with Kafka's names for the codes (TOPIC, LITERAL, READ,
 * ALLOW), stable keys.
 */
import { operationName, patternTypeName, permissionName, resourceTypeName, type AclBinding } from '../protocol/acl.ts';
import { renderTable } from './output.ts';

export interface AclJson {
  principal: string;
  host: string;
  resourceType: string;
  resourceName: string;
  patternType: string;
  operation: string;
  permission: string;
}

export function aclJson(acl: AclBinding): AclJson {
  return {
    principal: acl.principal,
    host: acl.host,
    resourceType: resourceTypeName(acl.resourceType),
    resourceName: acl.resourceName,
    patternType: patternTypeName(acl.patternType),
    operation: operationName(acl.operation),
    permission: permissionName(acl.permission),
  };
}

export function renderAcls(acls: AclBinding[]): string {
  const rows = acls.map(aclJson).map((a) => [a.principal, a.host, a.resourceType, a.resourceName, a.patternType, a.operation, a.permission]);
  return renderTable(['PRINCIPAL', 'HOST', 'RESOURCE-TYPE', 'RESOURCE-NAME', 'PATTERN', 'OPERATION', 'PERMISSION'], rows);
}

/** A stable order: by resource, then principal, then operation. */
export function sortAcls(acls: AclBinding[]): AclBinding[] {
  const key = (a: AclBinding) => [a.resourceType, a.resourceName, a.patternType, a.principal, a.host, a.operation, a.permission].join('\0');
  return [...acls].sort((a, b) => key(a).localeCompare(key(b)));
}
