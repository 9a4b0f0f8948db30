/**
 * Listener options for server tests: loopback on a free port, 1 KiB frames,
 * four queued frames, no byte budgets, ten connections (per IP too), and a
 * fresh RequestMemory; `overrides` changes any of them.
 */
import type { ListenerOptions } from '../../../src/broker/server/listener.ts';
import { RequestMemory } from '../../../src/broker/server/request-memory.ts';

export function listenerOptions(overrides: Partial<ListenerOptions> = {}): ListenerOptions {
  return {
    host: '127.0.0.1',
    port: 0,
    maxFrameBytes: 1024,
    firstFrameBytesMax: 1024,
    servesApi: () => true,
    maxQueuedFrames: 4,
    queuedMaxRequestBytes: -1,
    idleTimeoutMs: 60_000,
    responseMemory: new RequestMemory(-1),
    maxConnections: 10,
    maxConnectionsPerIp: 10,
    maxConnectionsPerIpOverrides: '',
    maxConnectionCreationRate: 1000,
    ...overrides,
  };
}
