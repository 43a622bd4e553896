// Which of the window operator's shortcuts (plain-fixed.ts, plain-sessions.ts) a configuration
// allows: both need event time, the built-in event-time trigger and an aggregate function without
// an evictor (contents are an accumulator); sessions also need an allowed lateness of 0 (their one
// timer is then both the end-of-window and the cleanup timer).
import type { AggregateFunction } from '../model/functions.ts'
import type { StreamRecord } from '../model/record.ts'
import type { OperatorContext } from '../operator/operator.ts'
import { KeyedStateBackend } from '../state/backend.ts'
import type { MapState } from '../state/descriptors.ts'
import type { MapData } from '../state/table.ts'
import type { WindowAssigner } from './assigners/assigner.ts'
import { PlainFixedWindows } from './plain-fixed.ts'
import { PlainSessions } from './plain-sessions.ts'
import { EventTimeTrigger } from './triggers/event-time.ts'
import type { Trigger } from './triggers/trigger.ts'
import { type WindowEntry, knowsTimer } from './window-entry.ts'

export interface Shortcut {
  processBatch(
    batch: readonly StreamRecord[],
    ctx: OperatorContext,
    state: MapState<number, WindowEntry>,
    watermark: number,
  ): void
}

export interface ShortcutOptions {
  assigner: WindowAssigner
  trigger: Trigger
  lateness: number
  lateTag: string
  /** Undefined, or the contents are buffered (evictor, process function alone): no shortcut. */
  aggregate: AggregateFunction | undefined
  /** WindowOperator.evaluate. */
  fire(entry: WindowEntry, ctx: OperatorContext): void
  /** WindowOperator.processMerging for [t, t + gap). */
  merge(r: StreamRecord, t: number, ctx: OperatorContext, state: MapState<number, WindowEntry>): boolean
}

export function shortcutFor(o: ShortcutOptions): Shortcut | undefined {
  const { assigner, aggregate } = o
  if (!assigner.eventTime || !(o.trigger instanceof EventTimeTrigger) || aggregate === undefined)
    return undefined
  const fixed = assigner.fixed
  if (fixed !== undefined)
    return new PlainFixedWindows({
      ...fixed,
      lateness: o.lateness,
      lateTag: o.lateTag,
      aggregate,
      fire: o.fire,
    })
  const gap = assigner.sessionGap
  if (gap !== undefined && o.lateness === 0)
    return new PlainSessions({ gap, lateTag: o.lateTag, aggregate, merge: o.merge })
  return undefined
}

/**
 * Whether restored window state allows the shortcuts: they take a window's end-of-window timer as
 * registered until the watermark passes it, which holds for windows the operator made with the
 * event-time trigger, but not necessarily for windows of a checkpoint taken with another trigger
 * (and an allowed lateness, or the cleanup timer would be that timer). Such state goes the generic
 * way.
 */
export function shortcutHolds(state: unknown, name: string, watermark: number): boolean {
  if (!(state instanceof KeyedStateBackend)) return true
  for (const stored of state.dataOf(name)) {
    const data = stored as MapData<number, WindowEntry>
    for (const c of data instanceof Map ? data.values() : [data]) {
      const last = c.v.window.end - 1
      if (last > watermark && !knowsTimer(c.v, last)) return false
    }
  }
  return true
}
