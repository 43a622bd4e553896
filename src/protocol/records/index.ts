// Kafka v2 record batches: the unit of storage and transport everywhere in Riffle.
export * as layout from './layout.ts'
export {
  type BatchHeader,
  type BatchProblem,
  readBatchHeader,
  checkBatch,
  batchProblemError,
  lastOffsetOf,
  endOffsetOf,
  restampCrc,
} from './header.ts'
export {
  type KafkaRecord,
  type RecordHeader,
  type RecordInput,
  type BatchOptions,
  type DecodedBatch,
  encodeRecordBatch,
  decodeRecordBatch,
  decodeRecords,
} from './record.ts'
export { CONTROL_ABORT, CONTROL_COMMIT, type MarkerInput, encodeMarkerBatch, controlType } from './control.ts'
