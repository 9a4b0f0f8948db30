/**
 * DescribeUserScramCredentials (key 50), v0: the SCRAM mechanisms and
 * iterations of the users asked for, or of every user when the list is
 * null or empty (never salts or keys). As Kafka: a user named twice gets
 * DUPLICATE_RESOURCE once, a user without credentials RESOURCE_NOT_FOUND.
 * Served from this node's image, as Kafka serves it from the broker's
 * metadata cache: a user just created shows once this node has applied it.
 * Needs Describe on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { authorizeCluster } from './authorize-items.ts';
import { AclOperation } from '../../protocol/acl.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeUserScramCredentialsRequest } from '../../protocol/generated/describe-user-scram-credentials-request.ts';
import type { DescribeUserScramCredentialsResponse } from '../../protocol/generated/describe-user-scram-credentials-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>({
  apiKey: ApiKeys.DescribeUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  authorize(_request, ctx) {
    return authorizeCluster(ctx, AclOperation.DESCRIBE, () => ({ throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, results: [] }));
  },
  handle(request, ctx) {
    const credentials = ctx.services.image.scramCredentials;
    const asked = request.users && request.users.length > 0 ? request.users.map((u) => u.name) : [...credentials.keys()];
    const times = new Map<string, number>();
    for (const user of asked) times.set(user, (times.get(user) ?? 0) + 1);
    const results = [...times].map(([user, count]) => {
      const byMechanism = credentials.get(user);
      if (count > 1) {
        return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] };
      }
      if (!byMechanism) {
        return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
      }
      const credentialInfos = [...byMechanism.values()].map((c) => ({ mechanism: c.mechanism, iterations: c.iterations })).sort((a, b) => a.mechanism - b.mechanism);
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
});
