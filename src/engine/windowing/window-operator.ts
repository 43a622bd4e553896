// The window operator, after Flink's WindowOperator: for each element, the assigner gives windows,
// merging assigners (sessions) merge them with the key's existing windows, the element is added to
// each window's contents and the trigger decides whether to fire and/or purge. Timers (namespaced by
// window) drive event- and processing-time triggers and the window's cleanup, which happens at
// maxTimestamp + allowedLateness. Until then the window survives its firing, and late elements
// re-fire it with updated contents; an element whose windows are all past cleanup goes to the late
// side output, never silently away.
//
// Everything per key lives in one MapState (window id → entry holding contents and trigger state),
// so checkpointing, rescaling and merging treat a window as one unit.
import { RiffleError } from '../../core/errors.ts'
import type { AggregateFunction } from '../model/functions.ts'
import { LATE_TAG, type StreamRecord } from '../model/record.ts'
import type { Operator, OperatorContext } from '../operator/operator.ts'
import type { MapState } from '../state/descriptors.ts'
import type { Timer } from '../timers/timer-service.ts'
import type { WindowAssigner } from './assigners/assigner.ts'
import { type AssignerSpec, createAssigner } from './assigners/spec.ts'
import type { Evictor, TimestampedValue } from './evictors/evictor.ts'
import { type EvictorSpec, createEvictor } from './evictors/spec.ts'
import type { WindowContext } from './functions.ts'
import { type TriggerSpec, createTrigger } from './triggers/spec.ts'
import {
  type Trigger,
  type TriggerMergeContext,
  type TriggerResult,
  fires,
  purges,
} from './triggers/trigger.ts'
import { type Window, maxTimestamp, windowId } from './window.ts'

export interface WindowConfig<T = unknown, ACC = unknown, R = unknown> {
  assigner: AssignerSpec
  /** Default: the assigner's (event time, processing time, or never for global windows). */
  trigger?: TriggerSpec
  evictor?: EvictorSpec
  /** Event time (ms) a window is kept after its end for late elements. Default 0. */
  allowedLateness?: number
  /** Side output for elements beyond allowed lateness. Default 'late'. */
  lateTag?: string
  /** Incremental aggregation. Alone, the result is emitted with the window's key and maxTimestamp. */
  aggregate?: AggregateFunction<T, ACC, unknown>
  /** Full-window function: gets all elements, or the aggregate's single result if `aggregate` is set. */
  process?(elements: readonly unknown[], ctx: WindowContext<R>): void
}

interface WindowEntry {
  id: string
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
   * Event-time timers (timestamps) known to be registered in this window's namespace, so that
   * re-registering them per element can be skipped. Kept exact: removed when such a timer fires or
   * is deleted; snapshotted with the entry, consistent with the timers of the same snapshot. Absent
   * (e.g. in older snapshots) only means registering once more, which is idempotent.
   */
  timers?: number[]
}

function knowsTimer(entry: WindowEntry, time: number): boolean {
  const ts = entry.timers
  if (ts === undefined) return false
  for (let i = 0; i < ts.length; i++) if (ts[i] === time) return true
  return false
}

function rememberTimer(entry: WindowEntry, time: number): void {
  if (entry.timers === undefined) entry.timers = [time]
  else entry.timers.push(time)
}

function forgetTimer(entry: WindowEntry, time: number): void {
  const ts = entry.timers
  if (ts === undefined) return
  const i = ts.indexOf(time)
  if (i < 0) return
  if (ts.length === 1) entry.timers = undefined
  else ts.splice(i, 1)
}

const WINDOWS = { name: 'windows' }

class WindowTriggerContext implements TriggerMergeContext {
  private readonly ctx: OperatorContext
  private readonly entry: WindowEntry
  private readonly merged: readonly WindowEntry[]

  constructor(ctx: OperatorContext, entry: WindowEntry, merged: readonly WindowEntry[] = []) {
    this.ctx = ctx
    this.entry = entry
    this.merged = merged
  }
  get watermark(): number {
    return this.ctx.watermark
  }
  get processingTime(): number {
    return this.ctx.processingTime
  }
  registerEventTimeTimer(time: number): void {
    if (knowsTimer(this.entry, time)) return
    this.ctx.timers.registerEventTimeTimer(time, this.entry.id)
    rememberTimer(this.entry, time)
  }
  registerProcessingTimeTimer(time: number): void {
    this.ctx.timers.registerProcessingTimeTimer(time, this.entry.id)
  }
  deleteEventTimeTimer(time: number): void {
    this.ctx.timers.deleteEventTimeTimer(time, this.entry.id)
    forgetTimer(this.entry, time)
  }
  deleteProcessingTimeTimer(time: number): void {
    this.ctx.timers.deleteProcessingTimeTimer(time, this.entry.id)
  }
  getState<T>(name: string): T | undefined {
    return this.entry.trigger[name] as T | undefined
  }
  setState(name: string, value: unknown): void {
    this.entry.trigger[name] = value
  }
  clearState(name: string): void {
    delete this.entry.trigger[name]
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

export class WindowOperator<T = unknown> implements Operator<T, unknown> {
  private readonly config: WindowConfig<T>
  private readonly assigner: WindowAssigner
  private readonly trigger: Trigger
  private readonly evictor: Evictor | undefined
  private readonly lateness: number
  private readonly lateTag: string
  /** Contents are element lists (not accumulators). */
  private readonly buffers: boolean

  constructor(config: WindowConfig<T>) {
    this.config = config
    this.assigner = createAssigner(config.assigner)
    this.trigger = createTrigger(config.trigger ?? this.assigner.defaultTrigger())
    this.evictor = config.evictor && createEvictor(config.evictor)
    this.lateness = config.allowedLateness ?? 0
    this.lateTag = config.lateTag ?? LATE_TAG
    this.buffers = this.evictor !== undefined || config.aggregate === undefined
    if (!config.aggregate && !config.process)
      throw new RiffleError(
        'INVALID_ARGUMENT',
        'a window needs an aggregate function, a process function or both',
      )
    if (!(this.lateness >= 0))
      throw new RiffleError('INVALID_ARGUMENT', `allowedLateness must be ≥ 0, got ${this.lateness}`)
    if (this.assigner.merging && !this.trigger.canMerge)
      throw new RiffleError('INVALID_ARGUMENT', 'merging windows (sessions) need a trigger that can merge')
  }

  private windows(ctx: OperatorContext): MapState<string, WindowEntry> {
    return ctx.state.map<string, WindowEntry>(WINDOWS)
  }

  private cleanupTime(w: Window): number {
    return this.assigner.eventTime ? maxTimestamp(w) + this.lateness : maxTimestamp(w)
  }

  private isLate(w: Window, ctx: OperatorContext): boolean {
    return this.assigner.eventTime && this.cleanupTime(w) <= ctx.watermark
  }

  processBatch(batch: readonly StreamRecord<T>[], ctx: OperatorContext): void {
    for (const r of batch) {
      ctx.setCurrentKey(r.key)
      this.processElement(r, ctx)
    }
  }

  private processElement(r: StreamRecord<T>, ctx: OperatorContext): void {
    const state = this.windows(ctx)
    // Event-time assigners ignore the processing time: read the clock only for the others.
    const assigned = this.assigner.assign(r.timestamp, this.assigner.eventTime ? 0 : ctx.processingTime)
    let accepted = false
    for (const w of assigned) {
      const entry = this.assigner.merging ? this.mergeInto(w, state, ctx) : this.entryFor(w, state, ctx)
      if (entry === undefined) continue
      accepted = true
      this.add(entry, r)
      const result = this.trigger.onElement(r, entry.window, new WindowTriggerContext(ctx, entry))
      this.apply(result, entry, ctx)
      state.put(entry.id, entry)
      this.registerCleanup(entry, ctx)
    }
    if (!accepted && assigned.length > 0) ctx.output(this.lateTag, r)
  }

  private entryFor(
    w: Window,
    state: MapState<string, WindowEntry>,
    ctx: OperatorContext,
  ): WindowEntry | undefined {
    if (this.isLate(w, ctx)) return undefined
    const id = windowId(w)
    return state.get(id) ?? { id, window: w, count: 0, trigger: {} }
  }

  /** Merges `w` with the key's windows; returns the window the element belongs to, or undefined if late. */
  private mergeInto(
    w: Window,
    state: MapState<string, WindowEntry>,
    ctx: OperatorContext,
  ): WindowEntry | undefined {
    const existing = state.values()
    const group = this.assigner
      .mergeWindows([...existing.map((e) => e.window), w])
      .find((g) => g.merged.includes(w))!
    if (this.isLate(group.result, ctx)) return undefined
    const byWindow = new Map(existing.map((e) => [e.window, e]))
    const merged = group.merged.flatMap((m) => byWindow.get(m) ?? [])
    const id = windowId(group.result)
    if (merged.length === 0) return { id, window: group.result, count: 0, trigger: {} }
    if (merged.length === 1 && merged[0]!.id === id) return merged[0]
    const target: WindowEntry = { id, window: group.result, count: 0, trigger: {} }
    this.trigger.onMerge?.(target.window, new WindowTriggerContext(ctx, target, merged))
    for (const m of merged) {
      this.trigger.clear(m.window, new WindowTriggerContext(ctx, m))
      this.deleteCleanup(m, ctx)
      // Same namespace as the target: its timers may just have been deleted, so forget them all.
      if (m.id === id) target.timers = undefined
      this.absorb(target, m)
      state.remove(m.id)
    }
    state.put(id, target)
    return target
  }

  private absorb(target: WindowEntry, m: WindowEntry): void {
    if (m.count === 0) return
    if (this.buffers) target.elements = [...(target.elements ?? []), ...m.elements!]
    else target.acc = target.count === 0 ? m.acc : this.config.aggregate!.merge(target.acc, m.acc)
    target.count += m.count
  }

  private add(entry: WindowEntry, r: StreamRecord<T>): void {
    if (this.buffers) (entry.elements ??= []).push({ value: r.value, timestamp: r.timestamp })
    else {
      const agg = this.config.aggregate!
      entry.acc = agg.add(r.value, entry.count > 0 ? entry.acc : agg.createAccumulator())
    }
    entry.count++
  }

  private apply(result: TriggerResult, entry: WindowEntry, ctx: OperatorContext): void {
    if (fires(result) && entry.count > 0) this.evaluate(entry, ctx)
    if (purges(result)) {
      entry.count = 0
      entry.acc = undefined
      entry.elements = undefined
    }
  }

  private evaluate(entry: WindowEntry, ctx: OperatorContext): void {
    const agg = this.config.aggregate
    const w = entry.window
    let values: unknown[]
    if (this.evictor) {
      const kept = this.evictor.evictBefore(entry.elements ?? [], w)
      if (agg) {
        let acc = agg.createAccumulator()
        for (const e of kept) acc = agg.add(e.value as T, acc)
        values = [agg.getResult(acc)]
      } else values = kept.map((e) => e.value)
      entry.elements = this.evictor.evictAfter(kept, w)
      entry.count = entry.elements.length
    } else if (agg) values = [agg.getResult(entry.acc)]
    else values = entry.elements!.map((e) => e.value)

    const key = ctx.currentKey
    const record = (value: unknown, timestamp = maxTimestamp(w)): StreamRecord => {
      const r: StreamRecord = { value, timestamp }
      if (key !== undefined) r.key = key
      return r
    }
    if (!this.config.process) {
      ctx.emit(record(values[0]))
      return
    }
    const wctx: WindowContext = {
      key,
      window: w,
      watermark: ctx.watermark,
      processingTime: ctx.processingTime,
      emit: (value, timestamp) => ctx.emit(record(value, timestamp)),
      output: (tag, value, timestamp) => ctx.output(tag, record(value, timestamp)),
    }
    this.config.process(values, wctx)
  }

  private registerCleanup(entry: WindowEntry, ctx: OperatorContext): void {
    const t = this.cleanupTime(entry.window)
    if (!Number.isFinite(t)) return
    if (this.assigner.eventTime) {
      // Usually the trigger's end-of-window timer (allowedLateness 0), registered already.
      if (knowsTimer(entry, t)) return
      ctx.timers.registerEventTimeTimer(t, entry.id)
      rememberTimer(entry, t)
    } else ctx.timers.registerProcessingTimeTimer(t, entry.id)
  }

  private deleteCleanup(entry: WindowEntry, ctx: OperatorContext): void {
    const t = this.cleanupTime(entry.window)
    if (this.assigner.eventTime) {
      ctx.timers.deleteEventTimeTimer(t, entry.id)
      forgetTimer(entry, t)
    } else ctx.timers.deleteProcessingTimeTimer(t, entry.id)
  }

  onTimer(timer: Timer, ctx: OperatorContext): void {
    const state = this.windows(ctx)
    const entry = state.get(timer.namespace)
    if (entry === undefined) return
    // The timer has fired, so it is no longer registered.
    if (timer.domain === 'event') forgetTimer(entry, timer.timestamp)
    const w = entry.window
    const tctx = new WindowTriggerContext(ctx, entry)
    const result =
      timer.domain === 'event'
        ? this.trigger.onEventTime(timer.timestamp, w, tctx)
        : this.trigger.onProcessingTime(timer.timestamp, w, tctx)
    this.apply(result, entry, ctx)
    const cleanup =
      timer.domain === (this.assigner.eventTime ? 'event' : 'processing') &&
      timer.timestamp === this.cleanupTime(w)
    if (cleanup) {
      this.trigger.clear(w, tctx)
      state.remove(entry.id)
    } else state.put(entry.id, entry)
  }
}
