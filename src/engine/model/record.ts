// The data model every operator shares. Records travel in batches (arrays) so that the cost of a
// call, a postMessage or a checkpoint barrier is paid per batch, while every operator still handles
// the records of a batch one at a time, in order, so per-record semantics stay exact.

/**
 * A key: what keyed state, timers and windows are scoped to and what keyBy hashes. Restricted to
 * values with an unambiguous canonical form (see serde/key.ts); composite keys are arrays.
 */
export type Key = string | number | bigint | boolean | Uint8Array | readonly Key[]

export interface StreamRecord<T = unknown> {
  value: T
  /** Event time in milliseconds. */
  timestamp: number
  /** Set by keyBy (or by a keyed operator's output); absent on non-keyed streams. */
  key?: Key
  /** Set by keyBy: the downstream task (0 ≤ partition < partitions) an exchange must route to. */
  partition?: number
}

export type Batch<T = unknown> = readonly StreamRecord<T>[]

/**
 * A batch of plain records (a value and its timestamp each; no key, no bad records) that makes
 * record i on demand: the source operator calls value(i), then timestamp(i, value), for i from 0
 * to length - 1, in order, once each. Nothing holds the batch as objects, so a value the pipeline
 * only reads need not be allocated at all once the compiler inlines the reader into the source
 * loop. Valid until the reader's next poll (io/io.ts SourceReader.pollValues).
 */
export interface ValueBatch {
  readonly partition: number
  readonly length: number
  value(i: number): unknown
  timestamp(i: number, value: unknown): number
}

/** The two notions of time: event time (driven by watermarks) and processing time (a clock). */
export type TimeDomain = 'event' | 'processing'

/** Before any watermark: every element is on time. */
export const MIN_WATERMARK = Number.NEGATIVE_INFINITY
/** End of input: fires every event-time timer and window. */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY

/** A named side output. The type parameter only documents what the tag carries. */
export interface OutputTag<T = unknown> {
  readonly id: string
  /** Phantom field, never set: keeps OutputTag<A> and OutputTag<B> distinct for the compiler. */
  readonly __type?: T
}

export function outputTag<T = unknown>(id: string): OutputTag<T> {
  return { id }
}

/** The side output window operators and joins send elements to that are beyond allowed lateness. */
export const LATE_TAG = 'late'

export function tagId(tag: string | OutputTag): string {
  return typeof tag === 'string' ? tag : tag.id
}
