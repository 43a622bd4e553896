// Fires every `count` elements of a window (the counter restarts after each firing).
import { RiffleError } from '../../../core/errors.ts'
import type { Trigger, TriggerContext, TriggerMergeContext, TriggerResult } from './trigger.ts'

const COUNT = 'count'

export class CountTrigger implements Trigger {
  readonly canMerge = true
  private readonly count: number

  constructor(count: number) {
    if (!(Number.isInteger(count) && count > 0))
      throw new RiffleError('INVALID_ARGUMENT', `count trigger needs a positive integer, got ${count}`)
    this.count = count
  }

  onElement(_: unknown, __: unknown, ctx: TriggerContext): TriggerResult {
    const seen = (ctx.getState<number>(COUNT) ?? 0) + 1
    if (seen >= this.count) {
      ctx.clearState(COUNT)
      return 'fire'
    }
    ctx.setState(COUNT, seen)
    return 'continue'
  }

  onEventTime(): TriggerResult {
    return 'continue'
  }

  onProcessingTime(): TriggerResult {
    return 'continue'
  }

  onMerge(_: unknown, ctx: TriggerMergeContext): void {
    ctx.mergeState<number>(COUNT, (a, b) => a + b)
  }

  clear(_: unknown, ctx: TriggerContext): void {
    ctx.clearState(COUNT)
  }
}
