// Never fires: the global window's default, so that a global window without an explicit trigger is
// visibly inert rather than firing at some arbitrary point.
import type { Trigger, TriggerResult } from './trigger.ts'

export class NeverTrigger implements Trigger {
  readonly canMerge = true
  onElement(): TriggerResult {
    return 'continue'
  }
  onEventTime(): TriggerResult {
    return 'continue'
  }
  onProcessingTime(): TriggerResult {
    return 'continue'
  }
  onMerge(): void {}
  clear(): void {}
}
