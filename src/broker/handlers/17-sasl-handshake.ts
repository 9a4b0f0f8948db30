/**
 * SaslHandshake (key 17), v0-1: picks the SASL mechanism of the
 * connection's session among those its listener offers
 * (server/sasl-session.ts), answering with the list offered. After v1,
 * SaslAuthenticate requests follow; after v0, the mechanism's messages as
 * bare frames (kafka-python 2.0 sends those; server/connection.ts).
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { SaslHandshakeRequest } from '../../protocol/generated/sasl-handshake-request.ts';
import type { SaslHandshakeResponse } from '../../protocol/generated/sasl-handshake-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';

export default defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: ApiKeys.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    if (ctx.sasl === null) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    return { errorCode: ctx.sasl.handshake(request.mechanism, ctx.apiVersion), mechanisms: ctx.sasl.mechanisms };
  },
});
