// A window is a half-open interval of event (or processing) time, [start, end), whose last
// timestamp is end - 1. The global window is (-∞, +∞) with maxTimestamp +∞: it never ends by time.
// Windows are plain data so they can live in state and snapshots as they are.
export interface Window {
  readonly start: number
  readonly end: number
}

export const GLOBAL_WINDOW: Window = { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY }

export function maxTimestamp(w: Window): number {
  return w.end - 1
}

/**
 * `x` as a small integer (a Smi to V8) when it is one. Window bounds may be held as heap numbers (V8
 * picks a field's representation from the first value stored), and one emitted record with a heap
 * number as timestamp makes the timestamp field of every record shape a double: every record a
 * source made from then on was migrated to the new shape when first read, which slowed whole
 * pipelines in bench/engine threefold. For timestamps emitted from window bounds (never -0).
 */
export function smallInteger(x: number): number {
  const i = x | 0
  return i === x ? i : x
}

/** Stable identity of a window: the namespace of its state and timers. */
export function windowId(w: Window): string {
  return `${w.start}:${w.end}`
}

/** Overlapping or touching windows ([0, 5) and [5, 9) merge, as in Flink). */
export function intersects(a: Window, b: Window): boolean {
  return a.start <= b.end && a.end >= b.start
}

export function cover(a: Window, b: Window): Window {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) }
}
