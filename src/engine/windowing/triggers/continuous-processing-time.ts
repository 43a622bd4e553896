// Fires every `interval` of processing time after the window's first element (boundaries aligned to
// multiples of the interval), until the window is disposed of. After Flink's
// ContinuousProcessingTimeTrigger: it does not fire on watermarks.
import { RiffleError } from '../../../core/errors.ts'
import { mod } from '../assigners/assigner.ts'
import { type Window, maxTimestamp } from '../window.ts'
import type { Trigger, TriggerContext, TriggerMergeContext, TriggerResult } from './trigger.ts'

const NEXT = 'next'

export class ContinuousProcessingTimeTrigger implements Trigger {
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
    ctx.registerProcessingTimeTimer(next)
  }

  onElement(_: unknown, window: Window, ctx: TriggerContext): TriggerResult {
    if (ctx.getState<number>(NEXT) === undefined) {
      const now = ctx.processingTime
      this.scheduleAfter(now - mod(now, this.interval), window, ctx)
    }
    return 'continue'
  }

  onEventTime(): TriggerResult {
    return 'continue'
  }

  onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (ctx.getState<number>(NEXT) !== time) return 'continue'
    this.scheduleAfter(time, window, ctx)
    return 'fire'
  }

  onMerge(_: Window, ctx: TriggerMergeContext): void {
    ctx.mergeState<number>(NEXT, Math.min)
    const next = ctx.getState<number>(NEXT)
    if (next !== undefined) ctx.registerProcessingTimeTimer(next)
  }

  clear(_: Window, ctx: TriggerContext): void {
    const next = ctx.getState<number>(NEXT)
    if (next !== undefined) ctx.deleteProcessingTimeTimer(next)
    ctx.clearState(NEXT)
  }
}
