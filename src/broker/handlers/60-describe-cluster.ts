/**
 * DescribeCluster (key 60), v0-1: cluster id, controller and live brokers.
 * Only broker endpoints are served (endpoint type 1); asking for controller
 * endpoints (type 2) gets UNSUPPORTED_ENDPOINT_TYPE. Each broker is given
 * at its endpoint on the listener the request came in on; a broker without
 * that listener is left out.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeClusterRequest } from '../../protocol/generated/describe-cluster-request.ts';
import type { DescribeClusterResponse } from '../../protocol/generated/describe-cluster-response.ts';
import { ApiKeys } from '../../protocol/generated/api-keys.ts';
import { defineHandler } from './handler.ts';
import { brokersOn } from '../../metadata/records.ts';

const brokerEndpoints = 1;

export default defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  apiKey: ApiKeys.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    const { node, image } = ctx.services;
    const endpointType = ctx.apiVersion >= 1 ? request.endpointType : brokerEndpoints;
    const base = { throttleTimeMs: 0, endpointType, clusterId: image.clusterId ?? '', clusterAuthorizedOperations: -2147483648 };
    if (endpointType !== brokerEndpoints) {
      return { ...base, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'only broker endpoints are served', controllerId: -1, brokers: [] };
    }
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      controllerId: node.controllerId(),
      brokers: brokersOn(node.liveBrokers(), ctx.listener.name).map(({ broker, endpoint }) => ({ brokerId: broker.nodeId, host: endpoint.host, port: endpoint.port, rack: broker.rack })),
    };
  },
});
