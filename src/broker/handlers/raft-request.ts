/**
 * The handlers of the metadata quorum's own APIs (Vote 52,
 * BeginQuorumEpoch 53, EndQuorumEpoch 54, FetchSnapshot 59; Fetch of the
 * metadata topic goes through the Fetch handler): each hands the request
 * body to the node's MetadataQuorum and answers with what it answers. Only
 * the version raft/wire.ts speaks is served, and only on peer listeners: a
 * client that sends one on a client listener has its connection closed. A
 * request whose sender (candidate, leader, replica) is not the node its
 * connection authenticated as (controller-channel.ts actsAs) closes the
 * connection too.
 */
import { raftApiVersions } from '../../controller/raft/wire.ts';
import type { ApiKey } from '../../protocol/generated/api-keys.ts';
import { SenderRefused } from '../../controller/quorum/raft-errors.ts';
import { actsAs } from '../controller-channel.ts';
import { RequestRejected } from '../server/connection.ts';
import { defineHandler, type Handler, type RequestContext } from './handler.ts';

/** Hands a Raft request to the metadata quorum, closing the connection when it claims a sender its connection is not. */
export async function handleRaftRequest(apiKey: ApiKey, request: unknown, ctx: RequestContext): Promise<unknown> {
  try {
    return await ctx.services.quorum.handle(apiKey, ctx.apiVersion, request, (nodeId) => actsAs(ctx, nodeId, `a Raft request (API ${apiKey})`));
  } catch (err) {
    throw err instanceof SenderRefused ? new RequestRejected(err.message) : err;
  }
}

export function raftHandler(apiKey: ApiKey): Handler {
  const version = raftApiVersions[apiKey];
  return defineHandler({
    apiKey,
    minVersion: version,
    maxVersion: version,
    peerOnly: true,
    handle: (request: unknown, ctx) => handleRaftRequest(apiKey, request, ctx),
  });
}
