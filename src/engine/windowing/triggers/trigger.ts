// Trigger: decides when a window's contents are evaluated (fire) and/or dropped (purge), from
// elements and timers. Triggers keep their own small per-window state through the context (it lives
// with the window in keyed state, so it is checkpointed and merged with the window), and register
// timers scoped to the window. This is Flink's Trigger, minus the Java class hierarchy.
import type { StreamRecord } from '../../model/record.ts'
import type { Window } from '../window.ts'

export type TriggerResult = 'continue' | 'fire' | 'purge' | 'fireAndPurge'

export interface TriggerContext {
  readonly watermark: number
  readonly processingTime: number
  registerEventTimeTimer(time: number): void
  registerProcessingTimeTimer(time: number): void
  deleteEventTimeTimer(time: number): void
  deleteProcessingTimeTimer(time: number): void
  /** Per-window trigger state (serialisable values). */
  getState<T>(name: string): T | undefined
  setState(name: string, value: unknown): void
  clearState(name: string): void
}

export interface TriggerMergeContext extends TriggerContext {
  /** Sets the merged window's `name` state to the combination of the merged windows' values. */
  mergeState<T>(name: string, combine: (a: T, b: T) => T): void
}

export interface Trigger {
  onElement(record: StreamRecord, window: Window, ctx: TriggerContext): TriggerResult
  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult
  onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult
  /** Whether the trigger supports merging windows (sessions). */
  readonly canMerge: boolean
  /** Windows merged into `window`: carry state over and re-register timers for it. */
  onMerge?(window: Window, ctx: TriggerMergeContext): void
  /** The window is being disposed of: delete its timers and state. */
  clear(window: Window, ctx: TriggerContext): void
}

export function fires(result: TriggerResult): boolean {
  return result === 'fire' || result === 'fireAndPurge'
}

export function purges(result: TriggerResult): boolean {
  return result === 'purge' || result === 'fireAndPurge'
}
