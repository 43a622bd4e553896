// The log layer: durable, partitioned, append-only storage of Kafka v2 record batches.
export { LogStore, validateTopicName, type Topic, type TopicMeta, type LogStoreOptions } from './store.ts'
export { PartitionLog, type AppendResult, type ReadResult } from './partition-log.ts'
export { compactPartition, type CompactionStats } from './compaction.ts'
export {
  applyConfig,
  describeConfig,
  parseFsync,
  DEFAULT_LOG_CONFIG,
  CONFIG_KEYS,
  type LogConfig,
  type FsyncPolicy,
  type ConfigKey,
} from './config.ts'
export { lockDataDir, type DirLock } from './lock.ts'
export { forEachBatch } from './replay.ts'
