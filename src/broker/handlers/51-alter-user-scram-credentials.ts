/**
 * AlterUserScramCredentials (key 51), v0: deletes and sets users' SCRAM
 * credentials; the client sends the salted password, never the password.
 * Served by the active controller (forwarded), which decides with Kafka's
 * error codes (controller/scram-credentials.ts).
 * Needs Alter on the cluster (CLUSTER_AUTHORIZATION_FAILED for every user),
 * checked where the request arrives.
 */
import { authorizeCluster } from './authorize-items.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../../protocol/acl.ts';
import type { AlterUserScramCredentialsRequest } from '../../protocol/generated/alter-user-scram-credentials-request.ts';
import type { AlterUserScramCredentialsResponse } from '../../protocol/generated/alter-user-scram-credentials-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  apiKey: ApiKeys.AlterUserScramCredentials,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 0,
  authorize(request, ctx) {
    return authorizeCluster(ctx, AclOperation.ALTER, () => ({ throttleTimeMs: 0, results: [...new Set([...request.deletions, ...request.upsertions].map((u) => u.name))].map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) }));
  },
  async handle(request, ctx) {
    const results = await ctx.services.controller.alterUserScramCredentials(request.deletions, request.upsertions);
    return { throttleTimeMs: 0, results };
  },
});
