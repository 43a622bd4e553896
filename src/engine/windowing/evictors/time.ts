// Keeps elements whose timestamp is within `keep` ms of the newest element in the window (drops
// t ≤ max - keep), before or after evaluation. After Flink's TimeEvictor.
import { RiffleError } from '../../../core/errors.ts'
import type { Evictor, TimestampedValue } from './evictor.ts'

export class TimeEvictor implements Evictor {
  private readonly keep: number
  private readonly after: boolean

  constructor(keep: number, after: boolean) {
    if (!(keep >= 0)) throw new RiffleError('INVALID_ARGUMENT', `time evictor needs a span ≥ 0, got ${keep}`)
    this.keep = keep
    this.after = after
  }

  private evict(elements: TimestampedValue[]): TimestampedValue[] {
    if (elements.length === 0) return elements
    let newest = Number.NEGATIVE_INFINITY
    for (const e of elements) newest = Math.max(newest, e.timestamp)
    const cutoff = newest - this.keep
    return elements.filter((e) => e.timestamp > cutoff)
  }

  evictBefore(elements: TimestampedValue[]): TimestampedValue[] {
    return this.after ? elements : this.evict(elements)
  }

  evictAfter(elements: TimestampedValue[]): TimestampedValue[] {
    return this.after ? this.evict(elements) : elements
  }
}
