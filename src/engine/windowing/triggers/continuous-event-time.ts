// Fires every `interval` of event time while the window is open (at interval boundaries, aligned to
// multiples of the interval), and at the window's end; late elements re-fire at once, as with the
// event-time trigger. After Flink's ContinuousEventTimeTrigger.
import { RiffleError } from '../../../core/errors.ts'
import type { StreamRecord } from '../../model/record.ts'
import { mod } from '../assigners/assigner.ts'
import { type Window, maxTimestamp } from '../window.ts'
import type { Trigger, TriggerContext, TriggerMergeContext, TriggerResult } from './trigger.ts'

const NEXT = 'next'

export class ContinuousEventTimeTrigger implements Trigger {
  readonly canMerge = true
  private readonly interval: number

  constructor(interval: number) {
    if (!(interval > 0))
      throw new RiffleError('INVALID_ARGUMENT', `interval must be positive, got ${interval}`)
    this.interval = interval
  }

  private scheduleAfter(time: number, window: Window, ctx: TriggerContext): void {
    const next = Math.min(time + this.interval, maxTimestamp(window))
    ctx.setState(NEXT, next)
    ctx.registerEventTimeTimer(next)
  }

  onElement(record: StreamRecord, window: Window, ctx: TriggerContext): TriggerResult {
    if (maxTimestamp(window) <= ctx.watermark) return 'fire'
    ctx.registerEventTimeTimer(maxTimestamp(window))
    if (ctx.getState<number>(NEXT) === undefined)
      this.scheduleAfter(record.timestamp - mod(record.timestamp, this.interval), window, ctx)
    return 'continue'
  }

  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === maxTimestamp(window)) return 'fire'
    if (ctx.getState<number>(NEXT) === time) {
      this.scheduleAfter(time, window, ctx)
      return 'fire'
    }
    return 'continue'
  }

  onProcessingTime(): TriggerResult {
    return 'continue'
  }

  onMerge(_: Window, ctx: TriggerMergeContext): void {
    ctx.mergeState<number>(NEXT, Math.min)
    const next = ctx.getState<number>(NEXT)
    if (next !== undefined) ctx.registerEventTimeTimer(next)
  }

  clear(_: Window, ctx: TriggerContext): void {
    const next = ctx.getState<number>(NEXT)
    if (next !== undefined) ctx.deleteEventTimeTimer(next)
    ctx.clearState(NEXT)
  }
}
