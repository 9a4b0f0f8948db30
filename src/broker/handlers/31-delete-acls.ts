/**
 * DeleteAcls (key 31), v0-3: one result per filter, with every ACL it
 * matched and deleted (v0: LITERAL patterns), decided by the active
 * controller (forwarded; controller/acls.ts). Needs Alter on the cluster,
 * checked where the request arrives (CLUSTER_AUTHORIZATION_FAILED for every
 * filter); no authorizer SECURITY_DISABLED, as Kafka.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../../protocol/acl.ts';
import type { DeleteAclsRequest } from '../../protocol/generated/delete-acls-request.ts';
import type { DeleteAclsResponse } from '../../protocol/generated/delete-acls-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { aclsEnabled, filterOf, mayOnCluster, securityDisabled } from './acl-requests.ts';

export default defineHandler<DeleteAclsRequest, DeleteAclsResponse>({
  apiKey: ApiKeys.DeleteAcls,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 3,
  authorize(request, ctx) {
    const refuse = (result: { errorCode: number; errorMessage: string | null }) => ({ denied: { throttleTimeMs: 0, filterResults: request.filters.map(() => ({ ...result, matchingAcls: [] })) } });
    if (!aclsEnabled(ctx)) return refuse(securityDisabled);
    if (!mayOnCluster(ctx, AclOperation.ALTER)) return refuse({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null });
    return null;
  },
  async handle(request, ctx) {
    const results = await ctx.services.controller.deleteAcls(request.filters.map(filterOf));
    return {
      throttleTimeMs: 0,
      filterResults: results.map((r) => ({
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        matchingAcls: r.matchingAcls.map((acl) => ({
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          resourceType: acl.resourceType,
          resourceName: acl.resourceName,
          patternType: acl.patternType,
          principal: acl.principal,
          host: acl.host,
          operation: acl.operation,
          permissionType: acl.permission,
        })),
      })),
    };
  },
});
