/**
 * What the ACL APIs (29, 30, 31) share: their wire fields as auth bindings
 * and filters, grouping bindings by resource pattern as DescribeAcls
 * answers, the answer when no authorizer is configured (Kafka's
 * SECURITY_DISABLED), and the check that the caller may see (Describe)
 * or change (Alter) the cluster's ACLs.
 */
import { AclOperation, ResourceType, clusterResourceName, type AclBinding, type AclFilter } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DeleteAclsFilter } from '../../protocol/generated/delete-acls-request.ts';
import type { RequestContext } from './handler.ts';

export const securityDisabled = { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured on the broker: set authorizer.class.name' };

/** A filter as on the wire: a DeleteAcls filter, field for field a DescribeAcls request. */
export function filterOf(f: DeleteAclsFilter): AclFilter {
  return { resourceType: f.resourceTypeFilter, resourceName: f.resourceNameFilter, patternType: f.patternTypeFilter, principal: f.principalFilter, host: f.hostFilter, operation: f.operation, permission: f.permissionType };
}

/** Whether authorization is on; when it is off the ACL APIs answer SECURITY_DISABLED, as Kafka's. */
export function aclsEnabled(ctx: RequestContext): boolean {
  return ctx.services.access.settings.enabled;
}

/** Whether the caller may `operation` (DESCRIBE or ALTER) the cluster, which ACL changes need. */
export function mayOnCluster(ctx: RequestContext, operation: typeof AclOperation.DESCRIBE | typeof AclOperation.ALTER): boolean {
  return ctx.access.allows(operation, ResourceType.CLUSTER, clusterResourceName);
}

/** Bindings grouped by resource pattern, in a stable order. */
export function byResource(acls: AclBinding[]) {
  const groups = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: { principal: string; host: string; operation: number; permissionType: number }[] }>();
  for (const acl of acls) {
    const key = JSON.stringify([acl.resourceType, acl.resourceName, acl.patternType]);
    let group = groups.get(key);
    if (!group) {
      group = { resourceType: acl.resourceType, resourceName: acl.resourceName, patternType: acl.patternType, acls: [] };
      groups.set(key, group);
    }
    group.acls.push({ principal: acl.principal, host: acl.host, operation: acl.operation, permissionType: acl.permission });
  }
  return [...groups.values()];
}
