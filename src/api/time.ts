// Time as users write it: durations are '250ms', '10s', '5m', '1h', '7d' or milliseconds. These wrap
// the engine's plain-data specs (watermark strategies, window assigners, triggers, evictors) so that
// pipelines read like the sketch: tumbling('1m'), boundedOutOfOrderness('5s').
import { RiffleError } from '../core/errors.ts'
import { parseDuration } from '../core/time.ts'
import * as engine from '../engine/index.ts'
import type {
  AssignerSpec,
  Evictor,
  EvictorSpec,
  TimeDomain,
  Trigger,
  TriggerSpec,
  WatermarkGenerator,
  WatermarkStrategy,
} from '../engine/index.ts'

/** A length of time: '250ms', '10s', '5m', '1h', '7d', or a number of milliseconds. */
export type Duration = string | number

/** Milliseconds of a duration. */
export function ms(d: Duration): number {
  return parseDuration(d)
}

/** A duration that may be negative ('-5s'), for interval-join bounds. */
export function signedMs(d: Duration): number {
  if (typeof d === 'number') {
    if (!Number.isFinite(d)) throw new RiffleError('INVALID_ARGUMENT', `invalid duration: ${d}`)
    return d
  }
  const t = d.trim()
  return t.startsWith('-') ? -parseDuration(t.slice(1)) : parseDuration(t)
}

// ----- watermarks

/** Event time may run up to `maxOutOfOrderness` behind the largest timestamp seen (per partition). */
export const boundedOutOfOrderness = (maxOutOfOrderness: Duration): WatermarkStrategy =>
  engine.boundedOutOfOrderness(ms(maxOutOfOrderness))
/** Timestamps never decrease (per partition). */
export const monotonous = (): WatermarkStrategy => engine.monotonous()
/** Your own generator, created once per source partition. */
export const customWatermarks = (create: () => WatermarkGenerator): WatermarkStrategy =>
  engine.customWatermarks(create)
export type { WatermarkStrategy, WatermarkGenerator }

// ----- window assigners

export interface AssignerOptions {
  /** Shifts the boundaries: tumbling('1d', { offset: '6h' }) makes days that start at 06:00 UTC. */
  offset?: Duration
  /** 'event' (default) or 'processing' time. */
  time?: TimeDomain
}

/** Fixed, non-overlapping windows [k·size + offset, (k+1)·size + offset). */
export const tumbling = (size: Duration, options: AssignerOptions = {}): AssignerSpec =>
  engine.tumbling(ms(size), ms(options.offset ?? 0), options.time ?? 'event')
/** Windows of `size` starting every `slide`: an element belongs to size/slide of them. */
export const sliding = (size: Duration, slide: Duration, options: AssignerOptions = {}): AssignerSpec =>
  engine.sliding(ms(size), ms(slide), ms(options.offset ?? 0), options.time ?? 'event')
/** Per key, elements less than `gap` apart share a window. */
export const session = (gap: Duration, options: { time?: TimeDomain } = {}): AssignerSpec =>
  engine.session(ms(gap), options.time ?? 'event')
/** One window for everything of a key; give it a trigger, or it fires only at the end of input. */
export const globalWindows = (): AssignerSpec => engine.globalWindows()
export type { AssignerSpec, TimeDomain }

// ----- triggers

export const eventTimeTrigger = (): TriggerSpec => engine.eventTimeTrigger()
export const processingTimeTrigger = (): TriggerSpec => engine.processingTimeTrigger()
/** Fires every `count` elements. */
export const countTrigger = (count: number): TriggerSpec => engine.countTrigger(count)
/** Fires every `interval` of event time while the window is open, and at its end. */
export const continuousEventTimeTrigger = (interval: Duration): TriggerSpec =>
  engine.continuousEventTimeTrigger(ms(interval))
export const continuousProcessingTimeTrigger = (interval: Duration): TriggerSpec =>
  engine.continuousProcessingTimeTrigger(ms(interval))
/** Clears the window's contents whenever `trigger` fires. */
export const purging = (trigger: TriggerSpec): TriggerSpec => engine.purging(trigger)
export const neverTrigger = (): TriggerSpec => engine.neverTrigger()
export const customTrigger = (create: () => Trigger): TriggerSpec => engine.customTrigger(create)
export type { TriggerSpec, Trigger }

// ----- evictors

/** Keeps the last `maxCount` elements (evicting before the window function, or after with `after`). */
export const countEvictor = (maxCount: number, options: { after?: boolean } = {}): EvictorSpec =>
  engine.countEvictor(maxCount, options.after ?? false)
/** Keeps elements within `keep` of the newest one. */
export const timeEvictor = (keep: Duration, options: { after?: boolean } = {}): EvictorSpec =>
  engine.timeEvictor(ms(keep), options.after ?? false)
export const customEvictor = (create: () => Evictor): EvictorSpec => engine.customEvictor(create)
export type { EvictorSpec, Evictor }
