// The API versions Riffle advertises in ApiVersions: exactly those it implements fully. Fetch starts
// at v4 because older versions carry pre-v2 message sets, which Riffle does not store. Produce is
// advertised from v0 as Kafka 3.x does, because librdkafka before 2.11.1 (Debian's 2.0.2 among them)
// compresses gzip, snappy and lz4 only for brokers whose Produce range includes v0; a v0-v2 request
// itself (an old message set) is answered with UNSUPPORTED_FOR_MESSAGE_FORMAT per partition.
import { ApiKey } from '../protocol/messages/index.ts'

export interface VersionRange {
  min: number
  max: number
}

export const SUPPORTED_VERSIONS: ReadonlyMap<number, VersionRange> = new Map([
  [ApiKey.Produce, { min: 0, max: 9 }],
  [ApiKey.Fetch, { min: 4, max: 12 }],
  [ApiKey.ListOffsets, { min: 1, max: 7 }],
  [ApiKey.Metadata, { min: 0, max: 12 }],
  [ApiKey.OffsetCommit, { min: 0, max: 8 }],
  [ApiKey.OffsetFetch, { min: 0, max: 8 }],
  [ApiKey.FindCoordinator, { min: 0, max: 4 }],
  [ApiKey.JoinGroup, { min: 0, max: 9 }],
  [ApiKey.Heartbeat, { min: 0, max: 4 }],
  [ApiKey.LeaveGroup, { min: 0, max: 5 }],
  [ApiKey.SyncGroup, { min: 0, max: 5 }],
  [ApiKey.DescribeGroups, { min: 0, max: 5 }],
  [ApiKey.ListGroups, { min: 0, max: 4 }],
  [ApiKey.ApiVersions, { min: 0, max: 3 }],
  [ApiKey.CreateTopics, { min: 0, max: 7 }],
  [ApiKey.DeleteTopics, { min: 0, max: 6 }],
  [ApiKey.DeleteRecords, { min: 0, max: 2 }],
  [ApiKey.DescribeConfigs, { min: 0, max: 4 }],
  [ApiKey.AlterConfigs, { min: 0, max: 2 }],
  [ApiKey.CreatePartitions, { min: 0, max: 3 }],
  [ApiKey.DeleteGroups, { min: 0, max: 2 }],
  [ApiKey.IncrementalAlterConfigs, { min: 0, max: 1 }],
  [ApiKey.OffsetDelete, { min: 0, max: 0 }],
  [ApiKey.DescribeCluster, { min: 0, max: 1 }],
  // Idempotent and transactional producers (KIP-98; PRODUCER_FENCED from KIP-588). AddPartitionsToTxn
  // v4+ is the broker-to-broker form (KIP-890) and WriteTxnMarkers is inter-broker: neither is served.
  [ApiKey.InitProducerId, { min: 0, max: 4 }],
  [ApiKey.AddPartitionsToTxn, { min: 0, max: 3 }],
  [ApiKey.AddOffsetsToTxn, { min: 0, max: 3 }],
  [ApiKey.EndTxn, { min: 0, max: 3 }],
  [ApiKey.TxnOffsetCommit, { min: 0, max: 3 }],
  [ApiKey.DescribeTransactions, { min: 0, max: 0 }],
  [ApiKey.ListTransactions, { min: 0, max: 1 }],
])

export function isSupported(apiKey: number, version: number): boolean {
  const r = SUPPORTED_VERSIONS.get(apiKey)
  return r !== undefined && version >= r.min && version <= r.max
}
