// Evictors as plain data for plans, their constructors, and the exhaustive switch that builds them.
import { RiffleError } from '../../../core/errors.ts'
import { CountEvictor } from './count.ts'
import type { Evictor } from './evictor.ts'
import { TimeEvictor } from './time.ts'

export type EvictorSpec =
  | { kind: 'count'; maxCount: number; after?: boolean }
  | { kind: 'time'; keep: number; after?: boolean }
  | { kind: 'custom'; create(): Evictor }

export const countEvictor = (maxCount: number, after = false): EvictorSpec => ({
  kind: 'count',
  maxCount,
  after,
})
export const timeEvictor = (keep: number, after = false): EvictorSpec => ({ kind: 'time', keep, after })
export const customEvictor = (create: () => Evictor): EvictorSpec => ({ kind: 'custom', create })

export function createEvictor(spec: EvictorSpec): Evictor {
  switch (spec.kind) {
    case 'count':
      return new CountEvictor(spec.maxCount, spec.after ?? false)
    case 'time':
      return new TimeEvictor(spec.keep, spec.after ?? false)
    case 'custom':
      return spec.create()
    default: {
      const unknown: never = spec
      throw new RiffleError('INVALID_ARGUMENT', `unknown evictor ${JSON.stringify(unknown)}`)
    }
  }
}
