// Tumbling windows: fixed size, no overlap, aligned to offset (+ multiples of size).
import { RiffleError } from '../../../core/errors.ts'
import type { TimeDomain } from '../../model/record.ts'
import type { TriggerSpec } from '../triggers/spec.ts'
import type { Window } from '../window.ts'
import { type WindowAssigner, mod } from './assigner.ts'

export class TumblingAssigner implements WindowAssigner {
  readonly eventTime: boolean
  readonly merging = false
  readonly fixed: { size: number; slide: number; offset: number }
  private readonly size: number
  private readonly offset: number

  constructor(size: number, offset: number, time: TimeDomain) {
    if (!(Number.isInteger(size) && size > 0))
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `tumbling window size must be a positive integer, got ${size}`,
      )
    this.size = size
    this.offset = mod(offset, size)
    this.eventTime = time === 'event'
    this.fixed = { size: this.size, slide: this.size, offset: this.offset }
  }

  assign(timestamp: number, processingTime: number): Window[] {
    const t = this.eventTime ? timestamp : processingTime
    const start = t - mod(t - this.offset, this.size)
    return [{ start, end: start + this.size }]
  }

  mergeWindows(): { result: Window; merged: Window[] }[] {
    return []
  }

  defaultTrigger(): TriggerSpec {
    return { kind: this.eventTime ? 'eventTime' : 'processingTime' }
  }
}
