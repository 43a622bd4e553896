// Triggers as plain data for plans, their constructors, and the one exhaustive switch that builds
// them. `custom` is the escape hatch for a user-written Trigger.
import { RiffleError } from '../../../core/errors.ts'
import { ContinuousEventTimeTrigger } from './continuous-event-time.ts'
import { ContinuousProcessingTimeTrigger } from './continuous-processing-time.ts'
import { CountTrigger } from './count.ts'
import { EventTimeTrigger } from './event-time.ts'
import { NeverTrigger } from './never.ts'
import { ProcessingTimeTrigger } from './processing-time.ts'
import { PurgingTrigger } from './purging.ts'
import type { Trigger } from './trigger.ts'

export type TriggerSpec =
  | { kind: 'eventTime' }
  | { kind: 'processingTime' }
  | { kind: 'count'; count: number }
  | { kind: 'continuousEventTime'; interval: number }
  | { kind: 'continuousProcessingTime'; interval: number }
  | { kind: 'purging'; trigger: TriggerSpec }
  | { kind: 'never' }
  | { kind: 'custom'; create(): Trigger }

export const eventTimeTrigger = (): TriggerSpec => ({ kind: 'eventTime' })
export const processingTimeTrigger = (): TriggerSpec => ({ kind: 'processingTime' })
export const countTrigger = (count: number): TriggerSpec => ({ kind: 'count', count })
export const continuousEventTimeTrigger = (interval: number): TriggerSpec => ({
  kind: 'continuousEventTime',
  interval,
})
export const continuousProcessingTimeTrigger = (interval: number): TriggerSpec => ({
  kind: 'continuousProcessingTime',
  interval,
})
export const purging = (trigger: TriggerSpec): TriggerSpec => ({ kind: 'purging', trigger })
export const neverTrigger = (): TriggerSpec => ({ kind: 'never' })
export const customTrigger = (create: () => Trigger): TriggerSpec => ({ kind: 'custom', create })

export function createTrigger(spec: TriggerSpec): Trigger {
  switch (spec.kind) {
    case 'eventTime':
      return new EventTimeTrigger()
    case 'processingTime':
      return new ProcessingTimeTrigger()
    case 'count':
      return new CountTrigger(spec.count)
    case 'continuousEventTime':
      return new ContinuousEventTimeTrigger(spec.interval)
    case 'continuousProcessingTime':
      return new ContinuousProcessingTimeTrigger(spec.interval)
    case 'purging':
      return new PurgingTrigger(createTrigger(spec.trigger))
    case 'never':
      return new NeverTrigger()
    case 'custom':
      return spec.create()
    default: {
      const unknown: never = spec
      throw new RiffleError('INVALID_ARGUMENT', `unknown trigger ${JSON.stringify(unknown)}`)
    }
  }
}
