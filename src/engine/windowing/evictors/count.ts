// Keeps the last `maxCount` elements (by arrival order), before or after evaluation.
import { RiffleError } from '../../../core/errors.ts'
import type { Evictor, TimestampedValue } from './evictor.ts'

export class CountEvictor implements Evictor {
  private readonly maxCount: number
  private readonly after: boolean

  constructor(maxCount: number, after: boolean) {
    if (!(Number.isInteger(maxCount) && maxCount >= 0))
      throw new RiffleError('INVALID_ARGUMENT', `count evictor needs an integer ≥ 0, got ${maxCount}`)
    this.maxCount = maxCount
    this.after = after
  }

  private evict(elements: TimestampedValue[]): TimestampedValue[] {
    return elements.length > this.maxCount ? elements.slice(elements.length - this.maxCount) : elements
  }

  evictBefore(elements: TimestampedValue[]): TimestampedValue[] {
    return this.after ? elements : this.evict(elements)
  }

  evictAfter(elements: TimestampedValue[]): TimestampedValue[] {
    return this.after ? this.evict(elements) : elements
  }
}
