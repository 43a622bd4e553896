// Fires when the watermark passes the window's last timestamp; an element arriving after that (late,
// but within allowed lateness) fires the window again at once with its updated contents.
import type { Window } from '../window.ts'
import { maxTimestamp } from '../window.ts'
import type { Trigger, TriggerContext, TriggerResult } from './trigger.ts'

export class EventTimeTrigger implements Trigger {
  readonly canMerge = true

  onElement(_: unknown, window: Window, ctx: TriggerContext): TriggerResult {
    if (maxTimestamp(window) <= ctx.watermark) return 'fire'
    ctx.registerEventTimeTimer(maxTimestamp(window))
    return 'continue'
  }

  onEventTime(time: number, window: Window): TriggerResult {
    return time === maxTimestamp(window) ? 'fire' : 'continue'
  }

  onProcessingTime(): TriggerResult {
    return 'continue'
  }

  onMerge(window: Window, ctx: TriggerContext): void {
    if (maxTimestamp(window) > ctx.watermark) ctx.registerEventTimeTimer(maxTimestamp(window))
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(maxTimestamp(window))
  }
}
