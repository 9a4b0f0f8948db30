/**
 * ACLs, shaped for the CLI: list the ACLs a filter matches (DescribeAcls),
 * create bindings (CreateAcls) and delete what filters match (DeleteAcls),
 * at versions 1-3 (pattern types). All go to the active controller, whose
 * metadata is the most recent. Kafka errors become ClientErrors saying
 * what failed; SECURITY_DISABLED says how to turn the authorizer on.
 */
import { ErrorCode } from '../protocol/errors.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import type { AclBinding, AclFilter } from '../protocol/acl.ts';
import { describeAcl } from '../protocol/acl.ts';
import { ClientError } from '../net/connection.ts';
import { check } from './admin.ts';
import type { Cluster } from './cluster.ts';

const versionMax = 3;
const versionMin = 1;

function wireFilter(f: AclFilter) {
  return {
    resourceTypeFilter: f.resourceType,
    resourceNameFilter: f.resourceName,
    patternTypeFilter: f.patternType,
    principalFilter: f.principal,
    hostFilter: f.host,
    operation: f.operation,
    permissionType: f.permission,
  };
}

function checkAcls(errorCode: number, errorMessage: string | null, what: string): void {
  if (errorCode === ErrorCode.SECURITY_DISABLED) {
    throw new ClientError(`${what}: the brokers have no authorizer: start them with --set authorizer.class.name=kb.StandardAuthorizer`, { cause: errorCode });
  }
  check(errorCode, errorMessage, what);
}

export class Acls {
  private readonly cluster: Cluster;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  async list(filter: AclFilter): Promise<AclBinding[]> {
    const controller = await this.cluster.controller();
    const response = await controller.requestAt(ApiKeys.DescribeAcls, controller.version(ApiKeys.DescribeAcls, versionMax, versionMin), wireFilter(filter));
    checkAcls(response.errorCode, response.errorMessage, 'listing ACLs');
    return response.resources.flatMap((r) =>
      r.acls.map((a) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        patternType: r.patternType,
        principal: a.principal,
        host: a.host,
        operation: a.operation,
        permission: a.permissionType,
      })),
    );
  }

  async create(acls: AclBinding[]): Promise<void> {
    const controller = await this.cluster.controller();
    const creations = acls.map((a) => ({
      resourceType: a.resourceType,
      resourceName: a.resourceName,
      resourcePatternType: a.patternType,
      principal: a.principal,
      host: a.host,
      operation: a.operation,
      permissionType: a.permission,
    }));
    const response = await controller.requestAt(ApiKeys.CreateAcls, controller.version(ApiKeys.CreateAcls, versionMax, versionMin), { creations });
    response.results.forEach((r, i) => checkAcls(r.errorCode, r.errorMessage, `creating ACL ${describeAcl(acls[i])}`));
  }

  /** Deletes what the filters match; the ACLs deleted. */
  async delete(filters: AclFilter[]): Promise<AclBinding[]> {
    const controller = await this.cluster.controller();
    const response = await controller.requestAt(ApiKeys.DeleteAcls, controller.version(ApiKeys.DeleteAcls, versionMax, versionMin), { filters: filters.map(wireFilter) });
    const deleted = new Map<string, AclBinding>();
    for (const result of response.filterResults) {
      checkAcls(result.errorCode, result.errorMessage, 'deleting ACLs');
      for (const m of result.matchingAcls) {
        check(m.errorCode, m.errorMessage, 'deleting ACLs');
        const acl = { resourceType: m.resourceType, resourceName: m.resourceName, patternType: m.patternType, principal: m.principal, host: m.host, operation: m.operation, permission: m.permissionType };
        deleted.set(describeAcl(acl), acl);
      }
    }
    return [...deleted.values()];
  }
}
