// A window as the window operator keeps it in the key's MapState: contents, trigger state, and the
// event-time timers registered in its namespace, so that repeated registrations and deletions of
// the same timer cost no call to the timer service (see WindowEntry.timers).
import type { OperatorContext } from '../operator/operator.ts'
import type { TimestampedValue } from './evictors/evictor.ts'
import type { Window } from './window.ts'

export interface WindowEntry {
  /** The timer namespace: String(slot). */
  id: string
  /** The entry's key in the key's MapState (see the top of this file). */
  slot: number
  window: Window
  /** Elements added since the last purge (0: no contents). */
  count: number
  /** Accumulator (aggregate without evictor). */
  acc?: unknown
  /** Buffered elements (process function or evictor), in arrival order. */
  elements?: TimestampedValue[]
  /** Trigger state by name. */
  trigger: Record<string, unknown>
  /**
   * The event-time timers (timestamps) registered in this window's namespace, so that registering
   * them again per element, or deleting one that is not there, costs no call to the timer service.
   * Kept exact: every event-time timer of the namespace goes through registerEventTimer and
   * deleteEventTimer, and is forgotten when it fires; snapshotted with the entry, consistent with
   * the timers of the same snapshot.
   */
  timers?: number[]
}

export function knowsTimer(entry: WindowEntry, time: number): boolean {
  const ts = entry.timers
  if (ts === undefined) return false
  for (let i = 0; i < ts.length; i++) if (ts[i] === time) return true
  return false
}

export function rememberTimer(entry: WindowEntry, time: number): void {
  if (entry.timers === undefined) entry.timers = [time]
  else entry.timers.push(time)
}

export function forgetTimer(entry: WindowEntry, time: number): void {
  const ts = entry.timers
  if (ts === undefined) return
  const i = ts.indexOf(time)
  if (i < 0) return
  // Order does not matter: move the last one into the gap (and keep the array for the next timer).
  const last = ts.pop()!
  if (i < ts.length) ts[i] = last
}

export function registerEventTimer(ctx: OperatorContext, entry: WindowEntry, time: number): void {
  if (knowsTimer(entry, time)) return
  ctx.timers.registerEventTimeTimer(time, entry.id)
  rememberTimer(entry, time)
}

export function deleteEventTimer(ctx: OperatorContext, entry: WindowEntry, time: number): void {
  // Every event-time timer of the entry's namespace is in entry.timers (see there).
  if (!knowsTimer(entry, time)) return
  ctx.timers.deleteEventTimeTimer(time, entry.id)
  forgetTimer(entry, time)
}

/** `id` may be given when the caller has String(slot) at hand (the conversion is not free). */
export function newEntry(slot: number, window: Window, id = String(slot)): WindowEntry {
  return { id, slot, window, count: 0, trigger: {} }
}
