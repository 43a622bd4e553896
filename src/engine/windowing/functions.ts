// What a full-window process function sees besides the elements (WindowConfig.process). Three
// shapes of window function exist, as in Flink: an incremental AggregateFunction (state is one
// accumulator per window), a process function (state is every element; it sees them all plus the
// window), or both (the process function receives the single aggregate result, to add the key and
// window to it).
import type { Key, OutputTag } from '../model/record.ts'
import type { Window } from './window.ts'

export interface WindowContext<R = unknown> {
  readonly key: Key | undefined
  readonly window: Window
  readonly watermark: number
  readonly processingTime: number
  /** Emits with the window's key; timestamp defaults to the window's maxTimestamp. */
  emit(value: R, timestamp?: number): void
  output(tag: string | OutputTag, value: unknown, timestamp?: number): void
}
