// Where pipelines read and write: topics of the embedded log, a data generator, JSON-lines files,
// stdout. Each returns plain connector specs for the runtime (engine/runtime/job.ts); the type
// parameter is what the pipeline reads from a source or may write to a sink.
import { RiffleError } from '../core/errors.ts'
import type {
  FileSinkSpec,
  FileSourceSpec,
  Format,
  GeneratorSourceSpec,
  Isolation,
  Key,
  KeyFormat,
  SinkSpec,
  SourceSpec,
  TopicSinkSpec,
  TopicSourceSpec,
} from '../engine/index.ts'

export type { Format, KeyFormat, Isolation }

/** Something `pipeline.from()` reads values of type T from. */
export interface Source<T> {
  readonly source: SourceSpec
  /** Phantom, never set: what the source yields. */
  readonly __yields?: () => T
}

/** Something `stream.to()` writes values of type T to. */
export interface Sink<T> {
  readonly sink: SinkSpec
  /** Phantom, never set: what the sink accepts (contravariant, so a Sink<unknown> takes anything). */
  readonly __accepts?: (value: T) => void
}

export interface TopicOptions<T> {
  /** How values are stored: 'json' (default), 'string' (UTF-8) or 'bytes' (Buffers). */
  format?: Format
  /** Partitions when the pipeline creates the topic (it does if the topic does not exist). Default 1. */
  partitions?: number
  /** Reading: where a pipeline without a checkpoint starts. Default 'earliest'. */
  startFrom?: 'earliest' | 'latest'
  /** Reading: stop at the end offsets seen when the run starts (a batch job). Default false. */
  bounded?: boolean
  /** Reading: 'read_committed' (default) skips aborted and not yet committed transactions. */
  isolation?: Isolation
  /** Writing: the Kafka key of a value. Default: the record's key (from keyBy). */
  key?: (value: T) => Key | undefined
  /** Writing: how keys are stored. Default 'auto' (text for strings and numbers, bytes as they are). */
  keyFormat?: KeyFormat
}

/** A topic of the embedded log, to read from and/or write to. */
export function topic<T = unknown>(name: string, options: TopicOptions<T> = {}): Source<T> & Sink<T> {
  const format = options.format ?? 'json'
  const source: TopicSourceSpec = {
    kind: 'topic',
    topic: name,
    format,
    startFrom: options.startFrom ?? 'earliest',
    bounded: options.bounded ?? false,
    isolation: options.isolation ?? 'read_committed',
  }
  const sink: TopicSinkSpec = { kind: 'topic', topic: name, format, keyFormat: options.keyFormat ?? 'auto' }
  if (options.partitions !== undefined) source.partitions = sink.partitions = options.partitions
  if (options.key) sink.key = options.key as (value: unknown) => Key | undefined
  return { source, sink }
}

export interface GeneratorOptions<T> {
  /** Number of records; endless when absent. */
  count?: number
  /** At most this many records per second. */
  ratePerSecond?: number
  /** The record timestamp of record i. Default: the time it is generated. */
  timestamp?: (index: number, value: T) => number
}

/**
 * Generated records: `generate(i)` for i = 0, 1, 2 … A pure function of i, so that after a restore
 * the same records are generated again.
 */
export function generator<T>(generate: (index: number) => T, options: GeneratorOptions<T> = {}): Source<T> {
  if (options.count !== undefined && !(Number.isInteger(options.count) && options.count >= 0))
    throw new RiffleError(
      'INVALID_ARGUMENT',
      `generator count must be a whole number ≥ 0, got ${options.count}`,
    )
  if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0))
    throw new RiffleError('INVALID_ARGUMENT', `ratePerSecond must be positive, got ${options.ratePerSecond}`)
  const source: GeneratorSourceSpec = { kind: 'generator', generate }
  if (options.count !== undefined) source.count = options.count
  if (options.ratePerSecond !== undefined) source.ratePerSecond = options.ratePerSecond
  if (options.timestamp) source.timestamp = options.timestamp as (index: number, value: unknown) => number
  return { source }
}

export interface FileOptions {
  /** 'json' (default): one JSON value per line (JSON lines); 'string': each line as text. */
  format?: 'json' | 'string'
  /** Reading: keep reading lines appended later instead of stopping at the end. Default false. */
  follow?: boolean
}

/** A JSON-lines (or text) file, to read from and/or append to. */
export function file<T = unknown>(path: string, options: FileOptions = {}): Source<T> & Sink<T> {
  const format = options.format ?? 'json'
  const source: FileSourceSpec = { kind: 'file', path, format, follow: options.follow ?? false }
  const sink: FileSinkSpec = { kind: 'file', path, format }
  return { source, sink }
}

/** Prints one line per value: JSON (default) or text. */
export function stdout(options: { format?: 'json' | 'string' } = {}): Sink<unknown> {
  return { sink: { kind: 'stdout', format: options.format ?? 'json' } }
}
