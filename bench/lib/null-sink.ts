/**
 * The load generator's ceiling: a process that speaks just enough Kafka for
 * a producer (ApiVersions, Metadata naming itself as the leader of every
 * requested topic's one partition, Produce) and acknowledges every batch
 * without checking or storing it. What kcat reaches against it is the most
 * any broker could get from kcat on this machine; kb's ingest is read
 * against it. It reads, frames and decodes requests the way kb's broker
 * does (read-buffer-server.ts, frame-assembler.ts, src/protocol's codecs)
 * and stops there. Run as `node null-sink.ts`: listens on a free 127.0.0.1
 * port, prints it as the first stdout line, serves until killed.
 */
import type net from 'node:net';
import { createReadBufferServer } from '../../src/broker/server/read-buffer-server.ts';
import { FrameAssembler } from '../../src/protocol/frame-assembler.ts';
import { decodeRequestBody, decodeRequestHeader, encodeResponse } from '../../src/protocol/frames.ts';
import { offsets } from '../../src/protocol/records/batch-header.ts';
import type { ProduceRequest } from '../../src/protocol/generated/produce-request.ts';
import type { MetadataRequest } from '../../src/protocol/generated/metadata-request.ts';

const apiVersionsKey = 18;
const metadataKey = 3;
const produceKey = 0;
const served = [
  { apiKey: produceKey, minVersion: 3, maxVersion: 8 },
  { apiKey: metadataKey, minVersion: 1, maxVersion: 9 },
  { apiKey: apiVersionsKey, minVersion: 0, maxVersion: 3 },
];
const noTopicId = Buffer.alloc(16);

function answer(payload: Buffer, port: number, nextOffset: Map<string, bigint>): Buffer | null {
  const header = decodeRequestHeader(payload);
  const body = decodeRequestBody(header.apiKey, header.apiVersion, payload, header.bodyOffset);
  const respond = (response: unknown) => encodeResponse(header.apiKey, header.apiVersion, header.correlationId, response);
  switch (header.apiKey) {
    case apiVersionsKey:
      return respond({ errorCode: 0, apiKeys: served, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false });
    case metadataKey: {
      const names = ((body as MetadataRequest).topics ?? []).flatMap((t) => (t.name === null ? [] : [t.name]));
      const partition = { errorCode: 0, partitionIndex: 0, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] };
      const topics = names.map((name) => ({ errorCode: 0, name, topicId: noTopicId, isInternal: false, partitions: [partition], topicAuthorizedOperations: -2147483648 }));
      return respond({ throttleTimeMs: 0, brokers: [{ nodeId: 0, host: '127.0.0.1', port, rack: null }], clusterId: 'null-sink', controllerId: 0, topics, clusterAuthorizedOperations: -2147483648 });
    }
    case produceKey: {
      const request = body as ProduceRequest;
      if (request.acks === 0) return null;
      const responses = request.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => {
          const key = `${t.name}/${p.index}`;
          const baseOffset = nextOffset.get(key) ?? 0n;
          nextOffset.set(key, baseOffset + BigInt(p.records === null ? 0 : p.records.readInt32BE(offsets.recordCount)));
          return { index: p.index, errorCode: 0, baseOffset, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } };
        }),
      }));
      return respond({ responses, throttleTimeMs: 0, nodeEndpoints: [] });
    }
    default:
      throw new Error(`the null sink does not serve API ${header.apiKey}`);
  }
}

const readBuffer = Buffer.allocUnsafe(128 * 1024);
const server = createReadBufferServer(readBuffer, (socket) => {
  socket.setNoDelay(true);
  const nextOffset = new Map<string, bigint>();
  const sink = {
    allocate: (size: number) => Buffer.allocUnsafe(size),
    deliver: (payload: Buffer) => {
      const response = answer(payload, (server.address() as net.AddressInfo).port, nextOffset);
      if (response) socket.write(response);
    },
    refuse: () => socket.destroy(),
  };
  const frames = new FrameAssembler({ peekBytes: 0, minPayloadBytes: 0, maxPayloadBytes: 0x7fffffff }, sink);
  socket.on('error', () => socket.destroy());
  return (bytes) => frames.push(bytes);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
