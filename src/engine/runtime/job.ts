// A job is what the runtime runs: an engine plan plus the I/O it is bound to and the options of the
// pipeline it came from. The plan stays the engine's plain data ({nodes, edges}); sources are the
// plan's source nodes, each bound to a connector spec by node id, and a sink is a terminal
// pass-through node (a one-input union) whose records the runtime hands to a connector. The
// TypeScript API (api/) and later SQL compile to this; nothing here holds I/O state.
import type { Key } from '../model/record.ts'
import type { Plan } from '../plan/plan.ts'

/** How record values travel as bytes: JSON text, UTF-8 text, or the bytes as they are. */
export type Format = 'json' | 'string' | 'bytes'

/**
 * How record keys are written. 'auto': strings, numbers, bigints and booleans as UTF-8 text, bytes as
 * they are, composite (array) keys as JSON.
 */
export type KeyFormat = Format | 'auto'

/** What happens to a record a source cannot decode: stop the pipeline, count and drop it, or keep
 * its raw bytes in a dead-letter topic (with the error and its origin in headers). */
export type BadRecordPolicy = 'fail' | 'skip' | { deadLetter: string }

export type Guarantee = 'exactly-once' | 'at-least-once'

export type Isolation = 'read_committed' | 'read_uncommitted'

export interface TopicSourceSpec {
  kind: 'topic'
  topic: string
  format: Format
  /** Where a pipeline without a checkpoint starts. */
  startFrom: 'earliest' | 'latest'
  /** Stop at the end offsets seen when the run starts (a batch job) instead of following the topic. */
  bounded: boolean
  isolation: Isolation
  /** Partitions of the topic if the pipeline has to create it. */
  partitions?: number
  /** Read only this partition of the topic (one task of a scaled-out pipeline); default: all. */
  partition?: number
  /**
   * Read only these partitions of the topic, in this order: input channel i is partition
   * assigned[i] (positions too). Default: all of them.
   */
  assigned?: number[]
  /**
   * An exchange topic between two stages of a scaled-out pipeline (see plan/stages.ts): records
   * carry their key, event time and writer, and watermark marks from each of `writers` upstream
   * tasks become the input channels' watermarks.
   */
  exchange?: { writers: number }
}

export interface GeneratorSourceSpec {
  kind: 'generator'
  /** The value of the i-th record (i from 0); a pure function of i, so a replay gives the same data. */
  generate(index: number): unknown
  /** The record timestamp of the i-th record. Default: processing time when it is generated. */
  timestamp?(index: number, value: unknown): number
  /** Number of records; unbounded when absent. */
  count?: number
  /** At most this many records per second; as fast as possible when absent. */
  ratePerSecond?: number
}

export interface FileSourceSpec {
  kind: 'file'
  path: string
  /** 'json': one JSON value per line (JSON lines); 'string': each line as a string. */
  format: 'json' | 'string'
  /** Keep reading lines appended later (like tail -f) instead of stopping at the end of the file. */
  follow: boolean
}

export type SourceSpec = TopicSourceSpec | GeneratorSourceSpec | FileSourceSpec

export interface TopicSinkSpec {
  kind: 'topic'
  topic: string
  format: Format
  keyFormat: KeyFormat
  /** Partitions of the topic if the pipeline has to create it. */
  partitions?: number
  /** The Kafka key of a value. Default: the record's key (set by keyBy and kept by keyed operators). */
  key?(value: unknown): Key | undefined
  /**
   * An exchange topic written by task `writer` of a stage: each record goes to the partition keyBy
   * chose for it, with its key and event time, and the task's watermarks go to every partition.
   */
  exchange?: { writer: number }
}

export interface StdoutSinkSpec {
  kind: 'stdout'
  format: 'json' | 'string'
}

export interface FileSinkSpec {
  kind: 'file'
  path: string
  format: 'json' | 'string'
}

export type SinkSpec = TopicSinkSpec | StdoutSinkSpec | FileSinkSpec

export interface JobOptions {
  /** Milliseconds between checkpoints. */
  checkpointEvery: number
  guarantee: Guarantee
  onBadRecord: BadRecordPolicy
  /** Most records one source fetch hands to the graph. */
  maxBatchRecords: number
  /** Complete checkpoints kept on disk (the newest ones). */
  keepCheckpoints: number
}

export interface Job {
  /** Names the pipeline's directory, `<dataDir>/pipelines/<name>`. */
  name: string
  plan: Plan
  /** By source node id. */
  sources: Record<string, SourceSpec>
  /** By sink node id (terminal one-input unions in the plan). */
  sinks: Record<string, SinkSpec>
  options: JobOptions
}

export const DEFAULT_JOB_OPTIONS: JobOptions = {
  checkpointEvery: 10_000,
  guarantee: 'exactly-once',
  onBadRecord: 'fail',
  maxBatchRecords: 1000,
  keepCheckpoints: 3,
}

const PIPELINE_NAME = /^[a-zA-Z0-9._-]{1,200}$/

export function validPipelineName(name: string): boolean {
  return PIPELINE_NAME.test(name) && name !== '.' && name !== '..'
}
