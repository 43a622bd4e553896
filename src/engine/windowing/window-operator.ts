// The window operator, after Flink's WindowOperator: for each element, the assigner gives windows,
// merging assigners (sessions) merge them with the key's existing windows, the element is added to
// each window's contents and the trigger decides whether to fire and/or purge. Timers (namespaced by
// window) drive event- and processing-time triggers and the window's cleanup, which happens at
// maxTimestamp + allowedLateness. Until then the window survives its firing, and late elements
// re-fire it with updated contents; an element whose windows are all past cleanup goes to the late
// side output, never silently away.
//
// Everything per key lives in one MapState (window slot → entry holding contents and trigger state),
// so checkpointing, rescaling and merging treat a window as one unit. The slot is a number: the
// window's start for fixed windows, and for sessions the start of the session's first window, kept
// while the session grows (Flink's MergingWindowSet keeps such a stable state window too). Timers
// are namespaced by the slot as a string (WindowEntry.id), so a growing session moves one timer and
// nothing else. Entries are mutated in place: an element added to an existing window writes nothing
// back to the state.
import { RiffleError } from '../../core/errors.ts'
import type { AggregateFunction } from '../model/functions.ts'
import { LATE_TAG, type StreamRecord } from '../model/record.ts'
import type { Operator, OperatorContext } from '../operator/operator.ts'
import { KeyedStateBackend } from '../state/backend.ts'
import type { MapState } from '../state/descriptors.ts'
import { cellAt, liveCells } from '../state/map.ts'
import type { MapData } from '../state/table.ts'
import type { Timer } from '../timers/timer-service.ts'
import { type WindowAssigner, mod } from './assigners/assigner.ts'
import { type AssignerSpec, createAssigner } from './assigners/spec.ts'
import type { Evictor } from './evictors/evictor.ts'
import { type EvictorSpec, createEvictor } from './evictors/spec.ts'
import type { WindowContext } from './functions.ts'
import { growSession } from './plain-sessions.ts'
import { type Shortcut, shortcutFor, shortcutHolds } from './shortcuts.ts'
import { WindowTriggerContext } from './trigger-context.ts'
import { EventTimeTrigger } from './triggers/event-time.ts'
import { type TriggerSpec, createTrigger } from './triggers/spec.ts'
import { type Trigger, type TriggerResult, fires, purges } from './triggers/trigger.ts'
import {
  type WindowEntry,
  forgetTimer,
  knowsTimer,
  newEntry,
  registerEventTimer,
  rememberTimer,
} from './window-entry.ts'
import { type Window, maxTimestamp, smallInteger } from './window.ts'

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

const WINDOWS = { name: 'windows' }

/**
 * The operator's snapshot: the layout of its window state. Before it, entries were filed under
 * window-id strings ('start:end') and so were their timers; such state cannot be continued.
 */
const FORMAT = { windows: 2 }

/** Refuses window state written by a version that filed windows by id string (see FORMAT). */
function refuseOldLayout(state: unknown): void {
  if (!(state instanceof KeyedStateBackend)) return
  for (const stored of state.dataOf(WINDOWS.name)) {
    const data = stored as MapData
    const cells = data instanceof Map ? [...data.values()] : [data]
    if (cells.some((c) => typeof c.s !== 'number'))
      throw new RiffleError(
        'INVALID_ARGUMENT',
        "this checkpoint holds window state in the layout of an earlier Riffle version, which this one cannot continue; delete the pipeline's checkpoints to start over",
      )
  }
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false
  return true
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
  /** Event-time sessions with the default trigger and no lateness: growing one takes a shortcut. */
  private readonly plainSessions: boolean
  /** The per-element path for the commonest configurations (shortcuts.ts), if this is one. */
  private shortcut: Shortcut | undefined
  /** Restored: whether the restored windows allow the shortcut is checked on first use. */
  private recheck = false
  /** The windows handle and trigger context of the runner this operator last ran in. */
  private stateOf: unknown = null
  private handle: MapState<number, WindowEntry> = undefined!
  private tctx: WindowTriggerContext = undefined!
  /** Restored from a snapshot without FORMAT: the window state is checked on first use. */
  private restored = false
  /** Set by mergeInto when it returns an entry that is not in the state yet. */
  private fresh = false
  /** mergeInto's scan (see touches): the windows the new one touches and their cover. */
  private first: WindowEntry | undefined = undefined
  private more: WindowEntry[] | undefined = undefined
  private start = 0
  private end = 0

  constructor(config: WindowConfig<T>) {
    this.config = config
    this.assigner = createAssigner(config.assigner)
    this.trigger = createTrigger(config.trigger ?? this.assigner.defaultTrigger())
    this.evictor = config.evictor && createEvictor(config.evictor)
    this.lateness = config.allowedLateness ?? 0
    this.lateTag = config.lateTag ?? LATE_TAG
    this.buffers = this.evictor !== undefined || config.aggregate === undefined
    this.plainSessions =
      this.assigner.merging &&
      this.assigner.eventTime &&
      this.lateness === 0 &&
      this.trigger instanceof EventTimeTrigger
    this.shortcut = shortcutFor({
      assigner: this.assigner,
      trigger: this.trigger,
      lateness: this.lateness,
      lateTag: this.lateTag,
      aggregate: this.buffers ? undefined : (config.aggregate as AggregateFunction),
      fire: (entry, ctx) => this.evaluate(entry, ctx),
      merge: (r, t, ctx, state) =>
        this.processMerging(r as StreamRecord<T>, t, t + this.assigner.sessionGap!, ctx, state),
    })
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

  private windows(ctx: OperatorContext): MapState<number, WindowEntry> {
    if (this.stateOf !== ctx.state) {
      if (this.restored) refuseOldLayout(ctx.state)
      this.restored = false
      this.stateOf = ctx.state
      this.handle = ctx.state.map<number, WindowEntry>(WINDOWS)
      this.tctx = new WindowTriggerContext(ctx)
    }
    return this.handle
  }

  private cleanupTime(w: Window): number {
    return this.assigner.eventTime ? maxTimestamp(w) + this.lateness : maxTimestamp(w)
  }

  private isLate(w: Window): boolean {
    return this.assigner.eventTime && this.cleanupTime(w) <= this.tctx.watermark
  }

  processBatch(batch: readonly StreamRecord<T>[], ctx: OperatorContext): void {
    const state = this.windows(ctx)
    // Event time does not advance within a batch: read the watermark once.
    const watermark = ctx.watermark
    this.tctx.watermark = watermark
    const fixed = this.assigner.fixed
    const gap = this.assigner.sessionGap
    if (this.recheck) {
      this.recheck = false
      if (!shortcutHolds(ctx.state, WINDOWS.name, watermark)) this.shortcut = undefined
    }
    if (this.shortcut !== undefined) this.shortcut.processBatch(batch, ctx, state, watermark)
    else if (fixed !== undefined)
      for (const r of batch) {
        ctx.setCurrentKey(r.key)
        this.processFixed(r, ctx, state, fixed.size, fixed.slide, fixed.offset, watermark)
      }
    else if (gap !== undefined)
      for (const r of batch) {
        ctx.setCurrentKey(r.key)
        const t = this.assigner.eventTime ? r.timestamp : ctx.processingTime
        if (!this.processMerging(r, t, t + gap, ctx, state)) ctx.output(this.lateTag, r)
      }
    else
      for (const r of batch) {
        ctx.setCurrentKey(r.key)
        this.processElement(r, ctx, state)
      }
  }

  /** processElement for aligned windows of one size: no window array, a Window only per new entry. */
  private processFixed(
    r: StreamRecord<T>,
    ctx: OperatorContext,
    state: MapState<number, WindowEntry>,
    size: number,
    slide: number,
    offset: number,
    watermark: number,
  ): void {
    const eventTime = this.assigner.eventTime
    const t = eventTime ? r.timestamp : ctx.processingTime
    let accepted = false
    const latest = t - mod(t - offset, slide)
    // The key's windows, looked up once for all of the element's windows (a number is its own slot).
    let cells = liveCells(state)
    for (let start = latest; start > t - size; start -= slide) {
      // Late: the window's cleanup time (maxTimestamp + allowedLateness) has passed.
      if (eventTime && start + size - 1 + this.lateness <= watermark) continue
      let entry = cells === undefined ? undefined : cellAt(cells, start)?.v
      const created = entry === undefined
      if (entry === undefined) entry = newEntry(start, { start, end: start + size })
      accepted = true
      this.add(entry, r)
      const result = this.trigger.onElement(r, entry.window, this.tctx.at(entry))
      this.apply(result, entry, ctx)
      if (created) {
        state.put(start, entry)
        cells ??= liveCells(state)
      }
      this.registerCleanup(entry, ctx)
    }
    // Late only if it had windows (with slide > size some times fall between windows).
    if (!accepted && latest > t - size) ctx.output(this.lateTag, r)
  }

  private processElement(
    r: StreamRecord<T>,
    ctx: OperatorContext,
    state: MapState<number, WindowEntry>,
  ): void {
    // Event-time assigners ignore the processing time: read the clock only for the others.
    const assigned = this.assigner.assign(r.timestamp, this.assigner.eventTime ? 0 : ctx.processingTime)
    let accepted = false
    for (const w of assigned) {
      if (this.assigner.merging) {
        accepted = this.processMerging(r, w.start, w.end, ctx, state) || accepted
        continue
      }
      if (this.isLate(w)) continue
      let entry = state.get(w.start)
      const created = entry === undefined
      if (entry === undefined) entry = newEntry(w.start, w)
      accepted = true
      this.add(entry, r)
      const result = this.trigger.onElement(r, entry.window, this.tctx.at(entry))
      this.apply(result, entry, ctx)
      // An entry found in the state was updated in place.
      if (created) state.put(entry.slot, entry)
      this.registerCleanup(entry, ctx)
    }
    if (!accepted && assigned.length > 0) ctx.output(this.lateTag, r)
  }

  /** Adds `r` in window [start, end) of a merging assigner; false if that is late. */
  private processMerging(
    r: StreamRecord<T>,
    start: number,
    end: number,
    ctx: OperatorContext,
    state: MapState<number, WindowEntry>,
  ): boolean {
    this.fresh = false
    const entry = this.mergeInto(start, end, state, ctx)
    if (entry === undefined) return false
    const created = this.fresh
    this.add(entry, r)
    const result = this.trigger.onElement(r, entry.window, this.tctx.at(entry))
    this.apply(result, entry, ctx)
    if (created) state.put(entry.slot, entry)
    this.registerCleanup(entry, ctx)
    return true
  }

  /** Notes `e` for mergeInto if its window touches [wStart, wEnd) (overlapping or adjacent). */
  private touches(e: WindowEntry, wStart: number, wEnd: number): void {
    const ew = e.window
    if (!(ew.start <= wEnd && ew.end >= wStart)) return
    if (this.first === undefined) this.first = e
    else (this.more ??= [this.first]).push(e)
    if (ew.start < this.start) this.start = ew.start
    if (ew.end > this.end) this.end = ew.end
  }

  /**
   * Merges window [wStart, wEnd) with the key's windows; returns the entry the element belongs to
   * (not yet in the state if it is new: then `fresh` is set), or undefined if the merged window is
   * late. The key's windows never touch one another (they would have merged), so the new window
   * merges exactly with those it touches (`intersects`); usually one open session, which is then
   * found without sorting or arrays.
   */
  private mergeInto(
    wStart: number,
    wEnd: number,
    state: MapState<number, WindowEntry>,
    ctx: OperatorContext,
  ): WindowEntry | undefined {
    this.first = undefined
    this.more = undefined
    this.start = wStart
    this.end = wEnd
    const cells = liveCells(state)
    if (cells instanceof Map) for (const c of cells.values()) this.touches(c.v, wStart, wEnd)
    else if (cells !== undefined) this.touches(cells.v, wStart, wEnd)
    // (Casts: the compiler keeps the fields narrowed to their reset values across touches().)
    const first = this.first as WindowEntry | undefined
    const more = this.more as WindowEntry[] | undefined
    const { start, end } = this
    this.first = undefined
    this.more = undefined
    // Late: the merged window's cleanup time has passed.
    if (this.assigner.eventTime && end - 1 + this.lateness <= this.tctx.watermark) return undefined
    if (first === undefined) {
      this.fresh = true
      return newEntry(wStart, { start: wStart, end: wEnd })
    }
    if (more === undefined && start === first.window.start && end === first.window.end) return first
    if (more === undefined && this.plainSessions) {
      // One session grows. What the generic merge below does for the event-time trigger without
      // lateness, in short: its end-of-window timer (also the cleanup timer) moves to the new end.
      growSession(first, start, end, ctx)
      return first
    }
    const result: Window = { start, end }
    // The earliest session is the target: its slot stays, and its contents come first, as they would
    // if all were folded into an empty window in start order.
    const merged = more ?? [first]
    if (more !== undefined) merged.sort((a, b) => a.window.start - b.window.start)
    const target = merged[0]!
    const tctx = this.tctx
    const deferred = tctx.deferred
    deferred.n = 0
    tctx.at(target)
    tctx.state = null
    tctx.merged = merged
    tctx.deferring = true
    try {
      this.trigger.onMerge?.(result, tctx)
    } finally {
      tctx.merged = []
      tctx.deferring = false
    }
    const mergedState = tctx.state
    // The target's old timers are withheld, to be moved where onMerge registered the new ones.
    const withheld = tctx.withheld
    withheld.n = 0
    for (const m of merged) {
      tctx.withholding = m === target
      try {
        this.trigger.clear(m.window, tctx.at(m))
        this.deleteCleanup(m)
      } finally {
        tctx.withholding = false
      }
    }
    for (let i = 1; i < merged.length; i++) {
      const m = merged[i]!
      this.absorb(target, m)
      state.remove(m.slot)
    }
    target.window = result
    // The merged trigger state; the target's own object again if onMerge wrote none and clear()
    // left it empty.
    target.trigger = mergedState ?? (isEmpty(target.trigger) ? target.trigger : {})
    const timers = ctx.timers
    for (let i = 0; i < deferred.n; i++) {
      if (!deferred.isLive(i)) continue
      const event = deferred.isEvent(i)
      const time = deferred.take(i)
      // Move a withheld timer of the same domain here: the one at this very time if there is one
      // (it must not be deleted afterwards), else the first.
      const pick = withheld.find(event, time, false)
      const from = pick < 0 ? undefined : withheld.take(pick)
      if (!event) {
        if (from === undefined) timers.registerProcessingTimeTimer(time, target.id)
        else timers.moveProcessingTimeTimer(from, time, target.id)
      } else if (knowsTimer(target, time)) {
        // Registered twice by onMerge: the first registration stands.
        if (from !== undefined) timers.deleteEventTimeTimer(from, target.id)
      } else {
        if (from === undefined) timers.registerEventTimeTimer(time, target.id)
        else timers.moveEventTimeTimer(from, time, target.id)
        rememberTimer(target, time)
      }
    }
    for (let j = 0; j < withheld.n; j++) {
      if (!withheld.isLive(j)) continue
      if (withheld.isEvent(j)) timers.deleteEventTimeTimer(withheld.take(j), target.id)
      else timers.deleteProcessingTimeTimer(withheld.take(j), target.id)
    }
    return target
  }

  private absorb(target: WindowEntry, m: WindowEntry): void {
    if (m.count === 0) return
    if (this.buffers)
      target.elements = target.count === 0 ? [...m.elements!] : [...target.elements!, ...m.elements!]
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
    const record = (value: unknown, timestamp = smallInteger(maxTimestamp(w))): StreamRecord => {
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
    // Usually the trigger's end-of-window timer (allowedLateness 0), registered already.
    if (this.assigner.eventTime) registerEventTimer(ctx, entry, t)
    else ctx.timers.registerProcessingTimeTimer(t, entry.id)
  }

  /** Through the trigger context, which may be withholding the entry's deletions (mergeInto). */
  private deleteCleanup(entry: WindowEntry): void {
    const t = this.cleanupTime(entry.window)
    const tctx = this.tctx.at(entry)
    if (this.assigner.eventTime) tctx.deleteEventTimeTimer(t)
    else tctx.deleteProcessingTimeTimer(t)
  }

  snapshot(): unknown {
    return FORMAT
  }

  restore(state: unknown): void {
    this.restored = (state as typeof FORMAT | null)?.windows !== FORMAT.windows
    this.recheck = this.shortcut !== undefined
  }

  onTimer(timer: Timer, ctx: OperatorContext): void {
    const state = this.windows(ctx)
    const slot = Number(timer.namespace)
    const entry = Number.isNaN(slot) ? undefined : state.get(slot)
    if (entry === undefined || entry.id !== timer.namespace) return
    // The timer has fired, so it is no longer registered.
    if (timer.domain === 'event') forgetTimer(entry, timer.timestamp)
    const w = entry.window
    const tctx = this.tctx.at(entry)
    tctx.watermark = ctx.watermark
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
      state.remove(entry.slot)
    }
  }
}
