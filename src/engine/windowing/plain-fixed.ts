// The window operator's shortcut for the most common windows: tumbling or sliding event-time
// windows with the default event-time trigger and an aggregate function (no evictor). What the
// generic path (WindowOperator.processFixed) does per element then reduces to adding to the
// accumulator: the trigger's end-of-window timer and the cleanup timer are registered once, when
// the window's entry is created, and registering them again for a later element would change
// nothing (such an entry keeps its end-of-window timer until the watermark passes it, and its
// cleanup timer until the entry goes). An element in a window whose end the watermark has passed
// (late, within the allowed lateness) fires the window at once, as the trigger does.
// plain-paths.test.ts checks that this yields exactly the outputs, timers and state of the generic
// path.
import type { AggregateFunction } from '../model/functions.ts'
import type { StreamRecord } from '../model/record.ts'
import type { OperatorContext } from '../operator/operator.ts'
import type { MapState } from '../state/descriptors.ts'
import { cellAt, liveCells } from '../state/map.ts'
import { mod } from './assigners/assigner.ts'
import { type WindowEntry, newEntry, registerEventTimer } from './window-entry.ts'

export interface PlainFixedSpec {
  size: number
  slide: number
  offset: number
  lateness: number
  lateTag: string
  aggregate: AggregateFunction
  /** Evaluates the entry's window and emits the result (WindowOperator.evaluate). */
  fire(entry: WindowEntry, ctx: OperatorContext): void
}

export class PlainFixedWindows {
  private readonly size: number
  private readonly slide: number
  private readonly offset: number
  private readonly lateness: number
  private readonly lateTag: string
  private readonly agg: AggregateFunction
  private readonly fire: (entry: WindowEntry, ctx: OperatorContext) => void
  /** The latest window start of the last element (see processBatch). */
  private latest = Number.NaN
  /** The id (String(start)) of the last window created, and its start. */
  private id = ''
  private idOf = Number.NaN

  constructor(spec: PlainFixedSpec) {
    this.size = spec.size
    this.slide = spec.slide
    this.offset = spec.offset
    this.lateness = spec.lateness
    this.lateTag = spec.lateTag
    this.agg = spec.aggregate
    this.fire = spec.fire
  }

  processBatch(
    batch: readonly StreamRecord[],
    ctx: OperatorContext,
    state: MapState<number, WindowEntry>,
    watermark: number,
  ): void {
    const { size, slide, offset, lateness, agg } = this
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!
      ctx.setCurrentKey(r.key)
      const t = r.timestamp
      // The latest window start at or before t. Times mostly go up, so usually the last one's:
      // no modulo (a division) per element.
      let latest = this.latest
      if (!(t >= latest && t < latest + slide)) this.latest = latest = t - mod(t - offset, slide)
      let accepted = false
      // The key's windows, looked up once for all of the element's windows.
      let cells = liveCells(state)
      for (let start = latest; start > t - size; start -= slide) {
        const last = start + size - 1
        // Late: the window's cleanup time has passed.
        if (last + lateness <= watermark) continue
        accepted = true
        const entry = cells === undefined ? undefined : cellAt(cells, start)?.v
        if (entry === undefined) {
          this.create(r, start, ctx, state, watermark)
          cells ??= liveCells(state)
          continue
        }
        entry.acc = agg.add(r.value, entry.count > 0 ? entry.acc : agg.createAccumulator())
        entry.count++
        // The trigger fires a window at once for an element after its end.
        if (last <= watermark) this.fire(entry, ctx)
      }
      // Late only if it had windows (with slide > size some times fall between windows).
      if (!accepted && latest > t - size) ctx.output(this.lateTag, r)
    }
  }

  /** A new window for `r`: the same steps and timer registrations as the generic path, in order. */
  private create(
    r: StreamRecord,
    start: number,
    ctx: OperatorContext,
    state: MapState<number, WindowEntry>,
    watermark: number,
  ): void {
    const last = start + this.size - 1
    // Every key's window of a time has the same id: converted once.
    if (start !== this.idOf) {
      this.idOf = start
      this.id = String(start)
    }
    const entry = newEntry(start, { start, end: start + this.size }, this.id)
    entry.acc = this.agg.add(r.value, this.agg.createAccumulator())
    entry.count = 1
    if (last <= watermark) this.fire(entry, ctx)
    else registerEventTimer(ctx, entry, last)
    state.put(start, entry)
    const cleanup = last + this.lateness
    if (Number.isFinite(cleanup)) registerEventTimer(ctx, entry, cleanup)
  }
}
