// The broker layer: Kafka semantics over the log, without sockets.
export {
  Broker,
  type BrokerOptions,
  type GroupApi,
  type RequestContext,
  type TransactionApi,
} from './broker.ts'
export { SUPPORTED_VERSIONS, isSupported, type VersionRange } from './versions.ts'
export { apiVersions } from './handlers/cluster.ts'
