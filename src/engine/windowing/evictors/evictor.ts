// Evictor: removes elements from a window's buffer just before and/or just after the window function
// runs on a firing. Removal is permanent (later firings of the same window see the rest), as in
// Flink. A window with an evictor keeps its elements even under an aggregate function, since an
// accumulator cannot un-add.
import type { Window } from '../window.ts'

export interface TimestampedValue<T = unknown> {
  value: T
  timestamp: number
}

export interface Evictor {
  /** Elements to keep for evaluation (in order). */
  evictBefore(elements: TimestampedValue[], window: Window): TimestampedValue[]
  /** Elements to keep after evaluation. */
  evictAfter(elements: TimestampedValue[], window: Window): TimestampedValue[]
}
