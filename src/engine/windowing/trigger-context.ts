// The context the window operator's triggers see (WindowTriggerContext), and the timer operations
// it holds back while windows merge (HeldTimers).
import { MIN_WATERMARK } from '../model/record.ts'
import type { OperatorContext } from '../operator/operator.ts'
import type { TriggerMergeContext } from './triggers/trigger.ts'
import {
  type WindowEntry,
  deleteEventTimer,
  forgetTimer,
  knowsTimer,
  registerEventTimer,
} from './window-entry.ts'

/**
 * Timer operations held back while windows merge: (event time or not, time) pairs, in order. Taken
 * ones are marked, not spliced out, and the arrays are reused: merges happen per element.
 */
class HeldTimers {
  private readonly event: boolean[] = []
  private readonly time: number[] = []
  private readonly live: boolean[] = []
  n = 0

  add(event: boolean, time: number): void {
    const i = this.n++
    this.event[i] = event
    this.time[i] = time
    this.live[i] = true
  }
  isEvent(i: number): boolean {
    return this.event[i]!
  }
  isLive(i: number): boolean {
    return this.live[i]!
  }
  /** Marks entry i taken and returns its time. */
  take(i: number): number {
    this.live[i] = false
    return this.time[i]!
  }
  /** A live entry of the domain at `time`; else (unless `exact`) the first live one of the domain; else -1. */
  find(event: boolean, time: number, exact: boolean): number {
    let first = -1
    for (let i = 0; i < this.n; i++) {
      if (!this.live[i] || this.event[i] !== event) continue
      if (this.time[i] === time) return i
      if (first < 0) first = i
    }
    return exact ? -1 : first
  }
}

/**
 * The context triggers see, one per operator, pointed at the entry at hand before each call (no
 * allocation per element). While windows merge, the trigger's onMerge works on fresh state and its
 * timer registrations are held back until the merged windows' timers are deleted: the target keeps
 * its namespace, so an old timer at the same time as a new one must go first.
 */
export class WindowTriggerContext implements TriggerMergeContext {
  private readonly ctx: OperatorContext
  entry: WindowEntry = undefined!
  /**
   * Trigger state read and written: the entry's, or the merge result's while merging (null until
   * onMerge writes any: most merges of most triggers carry no state over).
   */
  state: Record<string, unknown> | null = {}
  merged: readonly WindowEntry[] = []
  /** Registrations held back during a merge (onMerge), and whether they are being held. */
  readonly deferred = new HeldTimers()
  deferring = false
  /** Deletions held back while the merge target's old timers are cleared, and whether they are. */
  readonly withheld = new HeldTimers()
  withholding = false
  /** The operator's event time, read once per batch or timer (it does not move in between). */
  watermark = MIN_WATERMARK

  constructor(ctx: OperatorContext) {
    this.ctx = ctx
  }
  at(entry: WindowEntry): this {
    this.entry = entry
    this.state = entry.trigger
    return this
  }
  get processingTime(): number {
    return this.ctx.processingTime
  }
  registerEventTimeTimer(time: number): void {
    if (this.deferring) this.deferred.add(true, time)
    else registerEventTimer(this.ctx, this.entry, time)
  }
  registerProcessingTimeTimer(time: number): void {
    if (this.deferring) this.deferred.add(false, time)
    else this.ctx.timers.registerProcessingTimeTimer(time, this.entry.id)
  }
  deleteEventTimeTimer(time: number): void {
    if (this.deferring) this.undefer(true, time)
    else if (!this.withholding) deleteEventTimer(this.ctx, this.entry, time)
    else if (knowsTimer(this.entry, time)) {
      forgetTimer(this.entry, time)
      this.withheld.add(true, time)
    }
  }
  deleteProcessingTimeTimer(time: number): void {
    if (this.deferring) this.undefer(false, time)
    else if (this.withholding) this.withheld.add(false, time)
    else this.ctx.timers.deleteProcessingTimeTimer(time, this.entry.id)
  }
  private undefer(event: boolean, time: number): void {
    const i = this.deferred.find(event, time, true)
    if (i >= 0) this.deferred.take(i)
  }
  getState<T>(name: string): T | undefined {
    return this.state?.[name] as T | undefined
  }
  setState(name: string, value: unknown): void {
    ;(this.state ??= {})[name] = value
  }
  clearState(name: string): void {
    if (this.state !== null) delete this.state[name]
  }
  mergeState<T>(name: string, combine: (a: T, b: T) => T): void {
    let acc: T | undefined
    for (const m of this.merged) {
      const v = m.trigger[name] as T | undefined
      if (v !== undefined) acc = acc === undefined ? v : combine(acc, v)
    }
    if (acc === undefined) this.clearState(name)
    else this.setState(name, acc)
  }
}
