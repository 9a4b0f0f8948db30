/**
 * ApiVersions (key 18), v0-3: the API keys and version ranges this broker
 * serves, built from the handler registry, so advertising can never drift
 * from what is implemented; a client listener leaves out the peer APIs
 * (handler.ts peerOnly). Ranges follow CLIENTS.md (librdkafka probes for
 * versions inside them). An unsupported ApiVersions version is answered by
 * the dispatcher in v0 format with UNSUPPORTED_VERSION and this same list.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiVersionsRequest } from '../../protocol/generated/api-versions-request.ts';
import type { ApiVersionsResponse } from '../../protocol/generated/api-versions-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler, type Handler } from './handler.ts';

/** What a listener advertises: a client listener (peer false) leaves out the peer APIs. */
export function supportedApiVersions(handlers: ReadonlyMap<number, Handler>, peer: boolean) {
  return [...handlers.values()]
    .filter((h) => peer || h.peerOnly !== true)
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.advertisedMaxVersion ?? h.maxVersion }));
}

export default defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
  apiKey: ApiKeys.ApiVersions,
  minVersion: 0,
  maxVersion: 3,
  handle(_request, ctx) {
    return {
      errorCode: ErrorCode.NONE,
      apiKeys: supportedApiVersions(ctx.services.handlers, ctx.listener.peer),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
  },
});
