// The window operator's shortcut for the most common sessions: event time, the default event-time
// trigger, no allowed lateness, an aggregate function (no evictor). In the usual case, a key with one
// open session and an element that touches it, the element just extends the session: the session's
// one timer (end of window, also its cleanup) moves to the new end, and the trigger's and cleanup's
// registrations of that same timer, which the generic path makes per element, would change nothing.
// Anything else (no session yet, several, one the element does not touch) takes the generic merge.
// plain-paths.test.ts checks that this yields exactly the outputs, timers and state of the generic
// path.
import type { AggregateFunction } from '../model/functions.ts'
import type { StreamRecord } from '../model/record.ts'
import type { OperatorContext } from '../operator/operator.ts'
import type { MapState } from '../state/descriptors.ts'
import { liveCells } from '../state/map.ts'
import { heldEventTimeMover, moveHeldEventTimeTimer } from '../timers/timer-service.ts'
import { type WindowEntry, forgetTimer, knowsTimer, rememberTimer } from './window-entry.ts'

/**
 * Extends `entry`'s session to [start, end) and moves its end-of-window timer there: what the
 * generic merge does for the event-time trigger without lateness when one session grows.
 */
export function growSession(entry: WindowEntry, start: number, end: number, ctx: OperatorContext): void {
  // Changed in place, not replaced: such a session's window is seen by no one before it fires (when
  // it is also cleaned up), and one object less per element.
  const w = entry.window as { start: number; end: number }
  const from = w.end - 1
  const to = end - 1
  w.start = start
  w.end = end
  const timers = entry.timers
  // Moved even to the same time: that counts as registered now, as in the generic merge.
  if (timers !== undefined && timers.length === 1 && timers[0] === from) {
    // The usual case, that timer alone: forgetTimer(from) and rememberTimer(to) in one, and the
    // timer service may keep the timer with the entry.
    timers[0] = to
    moveHeldEventTimeTimer(ctx.timers, entry, from, to, entry.id)
    return
  }
  if (knowsTimer(entry, from)) {
    forgetTimer(entry, from)
    ctx.timers.moveEventTimeTimer(from, to, entry.id)
  } else ctx.timers.registerEventTimeTimer(to, entry.id)
  rememberTimer(entry, to)
}

export interface PlainSessionsSpec {
  gap: number
  lateTag: string
  aggregate: AggregateFunction
  /** The generic path (WindowOperator.processMerging) for element `r` at time `t`; false if late. */
  merge(r: StreamRecord, t: number, ctx: OperatorContext, state: MapState<number, WindowEntry>): boolean
}

export class PlainSessions {
  private readonly gap: number
  private readonly lateTag: string
  private readonly agg: AggregateFunction
  private readonly merge: PlainSessionsSpec['merge']

  constructor(spec: PlainSessionsSpec) {
    this.gap = spec.gap
    this.lateTag = spec.lateTag
    this.agg = spec.aggregate
    this.merge = spec.merge
  }

  processBatch(
    batch: readonly StreamRecord[],
    ctx: OperatorContext,
    state: MapState<number, WindowEntry>,
    watermark: number,
  ): void {
    const { gap, agg } = this
    const move = heldEventTimeMover(ctx.timers)
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!
      ctx.setCurrentKey(r.key)
      const t = r.timestamp
      const cells = liveCells(state)
      if (cells !== undefined && !(cells instanceof Map)) {
        const entry = cells.v
        // (Mutable: see growSession.)
        const w = entry.window as { start: number; end: number }
        const end = t + gap
        // The element's window [t, t + gap) touches the key's one session: they merge.
        if (w.start <= end && w.end >= t) {
          const start = w.start < t ? w.start : t
          const merged = w.end > end ? w.end : end
          // Late: the merged window's end-of-window (and cleanup) time has passed.
          if (merged - 1 <= watermark) ctx.output(this.lateTag, r)
          else {
            if (merged !== w.end) {
              const timers = entry.timers
              const from = w.end - 1
              // growSession's usual case inline (the session only grows later, its one timer
              // follows): no call, and the timer service's mover looked up once per batch.
              if (start === w.start && timers !== undefined && timers.length === 1 && timers[0] === from) {
                w.end = merged
                timers[0] = merged - 1
                move(entry, from, merged - 1, entry.id)
              } else growSession(entry, start, merged, ctx)
            } else if (start !== w.start) growSession(entry, start, merged, ctx)
            entry.acc = agg.add(r.value, entry.count > 0 ? entry.acc : agg.createAccumulator())
            entry.count++
          }
          continue
        }
      }
      if (!this.merge(r, t, ctx, state)) ctx.output(this.lateTag, r)
    }
  }
}
