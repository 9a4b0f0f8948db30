/**
 * AlterUserScramCredentials (key 51), v0: deletes and sets users' SCRAM
 * credentials; the client sends the salted password, never the password.
 * Served by the active controller (forwarded), which decides with Kafka's
 * error codes (controller/scram-credentials.ts).
 */
import type { AlterUserScramCredentialsRequest } from '../../protocol/generated/alter-user-scram-credentials-request.ts';
import type { AlterUserScramCredentialsResponse } from '../../protocol/generated/alter-user-scram-credentials-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  apiKey: ApiKeys.AlterUserScramCredentials,
  forwardToController: true,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    const results = await ctx.services.controller.alterUserScramCredentials(request.deletions, request.upsertions);
    return { throttleTimeMs: 0, results };
  },
});
