// The engine layer: the semantic core of stream processing, without I/O. Operators process record
// batches under event time (watermarks, timers, windows, lateness) with keyed state that snapshots
// to plain data; plans are plain data built into operators by one exhaustive switch; LocalGraph runs
// a plan in one task; testing/ is the deterministic harness.

// Data model
export {
  type Key,
  type StreamRecord,
  type Batch,
  type TimeDomain,
  type OutputTag,
  outputTag,
  tagId,
  LATE_TAG,
  MIN_WATERMARK,
  MAX_WATERMARK,
} from './model/record.ts'
export type { AggregateFunction } from './model/functions.ts'
export { type Plain, toPlain, fromPlain, roundTrip } from './serde/plain.ts'
export { keyId } from './serde/key.ts'
export { murmur2 } from './partitioning/murmur2.ts'
export { partitionFor, keyBytes } from './partitioning/partition.ts'

// Operators and their host
export type { Operator, OperatorContext } from './operator/operator.ts'
export { OperatorRunner, type RunnerOutput, type RunnerOptions } from './operator/runner.ts'

// Keyed state and timers
export type {
  KeyedState,
  StateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
  ValueState,
  ListState,
  MapState,
  ReducingState,
  AggregatingState,
} from './state/descriptors.ts'
export { KeyedStateBackend } from './state/backend.ts'
export { TimerQueues, type Timer, type TimerService } from './timers/timer-service.ts'

// Event time
export { WatermarkMerger } from './watermarks/merger.ts'
export {
  type WatermarkGenerator,
  type WatermarkStrategy,
  boundedOutOfOrderness,
  monotonous,
  customWatermarks,
  noWatermarks,
  createGenerator,
} from './watermarks/strategies.ts'

// Operators
export { SourceOperator, type SourceConfig } from './source/source.ts'
export {
  MapOperator,
  FilterOperator,
  FlatMapOperator,
  type MapConfig,
  type FilterConfig,
  type FlatMapConfig,
} from './basic/map.ts'
export { UnionOperator, type UnionConfig } from './basic/union.ts'
export { ProcessOperator, type ProcessConfig, type ProcessContext } from './basic/process.ts'
export { KeyByOperator, type KeyByConfig } from './basic/key-by.ts'
export {
  KeyedProcessOperator,
  type KeyedProcessFunction,
  type KeyedProcessContext,
  type KeyedTimerContext,
} from './keyed-process/keyed-process.ts'

// Windows
export { type Window, GLOBAL_WINDOW, maxTimestamp, windowId } from './windowing/window.ts'
export type { WindowAssigner } from './windowing/assigners/assigner.ts'
export {
  type AssignerSpec,
  tumbling,
  sliding,
  session,
  globalWindows,
  createAssigner,
} from './windowing/assigners/spec.ts'
export type {
  Trigger,
  TriggerContext,
  TriggerMergeContext,
  TriggerResult,
} from './windowing/triggers/trigger.ts'
export {
  type TriggerSpec,
  eventTimeTrigger,
  processingTimeTrigger,
  countTrigger,
  continuousEventTimeTrigger,
  continuousProcessingTimeTrigger,
  purging,
  neverTrigger,
  customTrigger,
  createTrigger,
} from './windowing/triggers/spec.ts'
export type { Evictor, TimestampedValue } from './windowing/evictors/evictor.ts'
export {
  type EvictorSpec,
  countEvictor,
  timeEvictor,
  customEvictor,
  createEvictor,
} from './windowing/evictors/spec.ts'
export type { WindowContext } from './windowing/functions.ts'
export { WindowOperator, type WindowConfig } from './windowing/window-operator.ts'

// Joins
export type { JoinSide, Tagged } from './joins/tagged.ts'
export {
  IntervalJoinOperator,
  type IntervalJoinConfig,
  type IntervalJoinInfo,
} from './joins/interval-join.ts'
export { WindowJoinOperator, type WindowJoinConfig, type WindowJoinInfo } from './joins/window-join.ts'

// Plans
export {
  type Plan,
  type PlanNode,
  type PlanEdge,
  type OperatorKind,
  type OperatorConfigs,
  INPUTS,
} from './plan/plan.ts'
export { buildOperator } from './plan/build.ts'
export { LocalGraph, validatePlan, type GraphOutput, type LocalGraphOptions } from './plan/local-graph.ts'

// Test kit
export { VirtualClock } from './testing/virtual-clock.ts'
export { SeededRandom } from './testing/random.ts'
export {
  OperatorHarness,
  record,
  type HarnessEvent,
  type HarnessSnapshot,
  type OperatorHarnessOptions,
} from './testing/operator-harness.ts'
export { PlanHarness, type PlanEvent, type PlanSnapshot } from './testing/plan-harness.ts'

// Runtime: jobs (a plan bound to sources and sinks), the task loop, checkpoints, embedded I/O
export {
  type Job,
  type JobOptions,
  type SourceSpec,
  type SinkSpec,
  type TopicSourceSpec,
  type GeneratorSourceSpec,
  type FileSourceSpec,
  type TopicSinkSpec,
  type StdoutSinkSpec,
  type FileSinkSpec,
  type Format,
  type KeyFormat,
  type Isolation,
  type Guarantee,
  type BadRecordPolicy,
  DEFAULT_JOB_OPTIONS,
  validPipelineName,
} from './runtime/job.ts'
export {
  PipelineTask,
  type PipelineTaskOptions,
  type TaskStats,
  type TaskState,
  DEAD_LETTERS,
} from './runtime/task.ts'
export { CheckpointStore, type Checkpoint, pipelineDir } from './runtime/checkpoints.ts'
export { ParallelRun, type ParallelRunOptions, checkpointParallelism } from './parallel/run.ts'
export type { SourceReader, SinkWriter, SourceBatch, BadRecord } from './io/io.ts'
export { type TaskIO, type EmbeddedIOOptions, embeddedIO, producerIdsFrom } from './io/embedded.ts'
export { RecordFormatError, isRecordFormatError, decodeValue, encodeValue, encodeKey } from './io/formats.ts'
export { TopicSourceReader, visibleRecords } from './io/topic-source.ts'
export { TopicSinkWriter, MAX_TXN_EPOCH } from './io/topic-sink.ts'
