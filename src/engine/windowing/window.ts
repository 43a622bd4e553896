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
