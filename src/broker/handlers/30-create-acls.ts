/**
 * CreateAcls (key 30), v0-3: one result per creation (v0: LITERAL
 * patterns), decided by the active controller (forwarded;
 * controller/acls.ts). Needs Alter on the cluster, checked where the
 * request arrives (CLUSTER_AUTHORIZATION_FAILED for every creation); no
 * authorizer SECURITY_DISABLED, as Kafka.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../../protocol/acl.ts';
import type { CreateAclsRequest } from '../../protocol/generated/create-acls-request.ts';
import type { CreateAclsResponse } from '../../protocol/generated/create-acls-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { aclsEnabled, mayOnCluster, securityDisabled } from './acl-requests.ts';

export default defineHandler<CreateAclsRequest, CreateAclsResponse>({
  apiKey: ApiKeys.CreateAcls,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 3,
  authorize(request, ctx) {
    const refuse = (result: { errorCode: number; errorMessage: string | null }) => ({ denied: { throttleTimeMs: 0, results: request.creations.map(() => result) } });
    if (!aclsEnabled(ctx)) return refuse(securityDisabled);
    if (!mayOnCluster(ctx, AclOperation.ALTER)) return refuse({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null });
    return null;
  },
  async handle(request, ctx) {
    const results = await ctx.services.controller.createAcls(
      request.creations.map((c) => ({
        resourceType: c.resourceType,
        resourceName: c.resourceName,
        patternType: c.resourcePatternType,
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permission: c.permissionType,
      })),
    );
    return { throttleTimeMs: 0, results };
  },
});
