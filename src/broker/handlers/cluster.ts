// Cluster-level answers of a single-node broker: it is every partition's leader, the controller and
// every coordinator, so these responses describe node `nodeId` at its advertised address.
import type { ApiVersionsResponse } from '../../protocol/messages/api-versions.ts'
import type {
  DescribeClusterRequest,
  DescribeClusterResponse,
} from '../../protocol/messages/describe-cluster.ts'
import type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
} from '../../protocol/messages/find-coordinator.ts'
import type { BrokerContext } from '../context.ts'
import { SUPPORTED_VERSIONS } from '../versions.ts'

/** Kafka's "authorized operations not requested" sentinel. */
export const OPS_OMITTED = -2147483648

export function apiVersions(errorCode = 0): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: [...SUPPORTED_VERSIONS].map(([apiKey, r]) => ({ apiKey, minVersion: r.min, maxVersion: r.max })),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  }
}

export function describeCluster(b: BrokerContext, _req: DescribeClusterRequest): DescribeClusterResponse {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    endpointType: 1,
    clusterId: b.clusterId,
    controllerId: b.nodeId,
    brokers: [{ brokerId: b.nodeId, host: b.advertised.host, port: b.advertised.port, rack: null }],
    clusterAuthorizedOperations: OPS_OMITTED,
  }
}

export function findCoordinator(
  b: BrokerContext,
  req: FindCoordinatorRequest,
  version: number,
): FindCoordinatorResponse {
  const { host, port } = b.advertised
  const keys = version >= 4 ? req.coordinatorKeys : [req.key]
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    nodeId: b.nodeId,
    host,
    port,
    coordinators: keys.map((key) => ({
      key,
      nodeId: b.nodeId,
      host,
      port,
      errorCode: 0,
      errorMessage: null,
    })),
  }
}
