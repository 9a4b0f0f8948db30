/**
 * SaslAuthenticate (key 36), v0-2: one message of the SASL exchange the
 * connection's SaslHandshake chose (server/sasl-session.ts), answered with
 * the mechanism's reply; a failure is SASL_AUTHENTICATION_FAILED (or
 * ILLEGAL_SASL_STATE out of turn) and the connection closes once the
 * answer is written. The answer to a login carries the session's lifetime
 * (v1+: `connections.max.reauth.ms` on a SASL listener, else 0); after it
 * the client re-authenticates with a new SaslHandshake (KIP-368).
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { SaslAuthenticateRequest } from '../../protocol/generated/sasl-authenticate-request.ts';
import type { SaslAuthenticateResponse } from '../../protocol/generated/sasl-authenticate-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  apiKey: ApiKeys.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    if (ctx.sasl === null) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    return ctx.sasl.authenticate(request.authBytes);
  },
});
