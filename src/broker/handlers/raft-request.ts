/**
 * The handlers of the metadata quorum's own APIs (Vote 52,
 * BeginQuorumEpoch 53, EndQuorumEpoch 54, FetchSnapshot 59; Fetch of the
 * metadata topic goes through the Fetch handler): each hands the request
 * body to the node's MetadataQuorum and answers with what it answers. Only
 * the version raft/wire.ts speaks is served, and only on peer listeners: a
 * client that sends one on a client listener has its connection closed.
 */
import { raftApiVersions } from '../../controller/raft/wire.ts';
import type { ApiKey } from '../../protocol/generated/api-keys.ts';
import { defineHandler, type Handler } from './handler.ts';

export function raftHandler(apiKey: ApiKey): Handler {
  const version = raftApiVersions[apiKey];
  return defineHandler({
    apiKey,
    minVersion: version,
    maxVersion: version,
    peerOnly: true,
    handle: (request: unknown, ctx) => ctx.services.quorum.handle(apiKey, ctx.apiVersion, request),
  });
}
