// WindowAssigner: which windows an element belongs to, and nothing else (firing is the trigger's
// business, dropping the evictor's). Merging assigners (sessions) also say how windows combine.
import type { TriggerSpec } from '../triggers/spec.ts'
import type { Window } from '../window.ts'

export interface WindowAssigner {
  /** Event-time assigners are subject to watermarks and allowed lateness; processing-time ones are not. */
  readonly eventTime: boolean
  readonly merging: boolean
  /**
   * For aligned windows of one size (tumbling, sliding): the windows of time t are those starting
   * at t - mod(t - offset, slide), then every `slide` earlier while start > t - size, exactly what
   * assign() returns. The window operator walks them without allocating the array.
   */
  readonly fixed?: { readonly size: number; readonly slide: number; readonly offset: number }
  /** For session windows: each element's window is [t, t + sessionGap). */
  readonly sessionGap?: number
  assign(timestamp: number, processingTime: number): Window[]
  /** Groups of windows that merge (each group listed with its cover); merging assigners only. */
  mergeWindows(windows: readonly Window[]): { result: Window; merged: Window[] }[]
  defaultTrigger(): TriggerSpec
}

/** (x mod m) in [0, m), for negative x too. */
export function mod(x: number, m: number): number {
  return ((x % m) + m) % m
}
