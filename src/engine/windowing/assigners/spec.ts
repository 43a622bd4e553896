// Window assigners as plain data for plans, the constructors users call, and the one function that
// builds the runtime assigner (an exhaustive switch: a new kind does not compile until handled).
import { RiffleError } from '../../../core/errors.ts'
import type { TimeDomain } from '../../model/record.ts'
import type { WindowAssigner } from './assigner.ts'
import { GlobalAssigner } from './global.ts'
import { SessionAssigner } from './session.ts'
import { SlidingAssigner } from './sliding.ts'
import { TumblingAssigner } from './tumbling.ts'

export type AssignerSpec =
  | { kind: 'tumbling'; size: number; offset?: number; time?: TimeDomain }
  | { kind: 'sliding'; size: number; slide: number; offset?: number; time?: TimeDomain }
  | { kind: 'session'; gap: number; time?: TimeDomain }
  | { kind: 'global' }

export const tumbling = (size: number, offset = 0, time: TimeDomain = 'event'): AssignerSpec => ({
  kind: 'tumbling',
  size,
  offset,
  time,
})
export const sliding = (
  size: number,
  slide: number,
  offset = 0,
  time: TimeDomain = 'event',
): AssignerSpec => ({
  kind: 'sliding',
  size,
  slide,
  offset,
  time,
})
export const session = (gap: number, time: TimeDomain = 'event'): AssignerSpec => ({
  kind: 'session',
  gap,
  time,
})
export const globalWindows = (): AssignerSpec => ({ kind: 'global' })

export function createAssigner(spec: AssignerSpec): WindowAssigner {
  switch (spec.kind) {
    case 'tumbling':
      return new TumblingAssigner(spec.size, spec.offset ?? 0, spec.time ?? 'event')
    case 'sliding':
      return new SlidingAssigner(spec.size, spec.slide, spec.offset ?? 0, spec.time ?? 'event')
    case 'session':
      return new SessionAssigner(spec.gap, spec.time ?? 'event')
    case 'global':
      return new GlobalAssigner()
    default: {
      const unknown: never = spec
      throw new RiffleError('INVALID_ARGUMENT', `unknown window assigner ${JSON.stringify(unknown)}`)
    }
  }
}
