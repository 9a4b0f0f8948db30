/**
 * DescribeAcls (key 29), v0-3: the ACLs one filter matches (protocol/acl.ts;
 * v0 filters have no pattern type and match LITERAL), grouped by resource
 * pattern. Needs Describe on the cluster (CLUSTER_AUTHORIZATION_FAILED); an
 * unknown filter INVALID_REQUEST; no authorizer SECURITY_DISABLED, as Kafka.
 * Served from this node's image: an ACL just created shows once this node
 * has applied it.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation, filterProblem, matchesFilter } from '../../protocol/acl.ts';
import type { DescribeAclsRequest } from '../../protocol/generated/describe-acls-request.ts';
import type { DescribeAclsResponse } from '../../protocol/generated/describe-acls-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { aclsEnabled, byResource, filterOf, mayOnCluster, securityDisabled } from './acl-requests.ts';

function answer(errorCode: number, errorMessage: string | null, resources: DescribeAclsResponse['resources'] = []): DescribeAclsResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, resources };
}

export default defineHandler<DescribeAclsRequest, DescribeAclsResponse>({
  apiKey: ApiKeys.DescribeAcls,
  minVersion: 0,
  maxVersion: 3,
  authorize(_request, ctx) {
    if (!aclsEnabled(ctx)) return { denied: answer(securityDisabled.errorCode, securityDisabled.errorMessage) };
    if (!mayOnCluster(ctx, AclOperation.DESCRIBE)) return { denied: answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null) };
    return null;
  },
  handle(request, ctx) {
    const filter = filterOf(request);
    const problem = filterProblem(filter);
    if (problem) return answer(ErrorCode.INVALID_REQUEST, problem);
    const matching = [...ctx.services.image.acls.values()].filter((acl) => matchesFilter(acl, filter));
    return answer(ErrorCode.NONE, null, byResource(matching));
  },
});
