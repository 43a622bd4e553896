// Fires when the processing-time clock passes the window's last timestamp.
import type { Window } from '../window.ts'
import { maxTimestamp } from '../window.ts'
import type { Trigger, TriggerContext, TriggerResult } from './trigger.ts'

export class ProcessingTimeTrigger implements Trigger {
  readonly canMerge = true

  onElement(_: unknown, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(maxTimestamp(window))
    return 'continue'
  }

  onEventTime(): TriggerResult {
    return 'continue'
  }

  onProcessingTime(time: number, window: Window): TriggerResult {
    return time === maxTimestamp(window) ? 'fire' : 'continue'
  }

  onMerge(window: Window, ctx: TriggerContext): void {
    if (maxTimestamp(window) > ctx.processingTime) ctx.registerProcessingTimeTimer(maxTimestamp(window))
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(maxTimestamp(window))
  }
}
