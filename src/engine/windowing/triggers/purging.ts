// Wraps a trigger so that every firing also purges: each evaluation sees only what arrived since the
// previous one.
import type { StreamRecord } from '../../model/record.ts'
import type { Window } from '../window.ts'
import type { Trigger, TriggerContext, TriggerMergeContext, TriggerResult } from './trigger.ts'

const purging = (r: TriggerResult): TriggerResult => (r === 'fire' ? 'fireAndPurge' : r)

export class PurgingTrigger implements Trigger {
  private readonly inner: Trigger

  constructor(inner: Trigger) {
    this.inner = inner
  }

  get canMerge(): boolean {
    return this.inner.canMerge
  }

  onElement(record: StreamRecord, window: Window, ctx: TriggerContext): TriggerResult {
    return purging(this.inner.onElement(record, window, ctx))
  }

  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    return purging(this.inner.onEventTime(time, window, ctx))
  }

  onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    return purging(this.inner.onProcessingTime(time, window, ctx))
  }

  onMerge(window: Window, ctx: TriggerMergeContext): void {
    this.inner.onMerge?.(window, ctx)
  }

  clear(window: Window, ctx: TriggerContext): void {
    this.inner.clear(window, ctx)
  }
}
