// Sliding windows: size `size`, a new one every `slide`; an element is in ceil(size/slide) windows
// (returned latest first, as Flink does).
import { RiffleError } from '../../../core/errors.ts'
import type { TimeDomain } from '../../model/record.ts'
import type { TriggerSpec } from '../triggers/spec.ts'
import type { Window } from '../window.ts'
import { type WindowAssigner, mod } from './assigner.ts'

export class SlidingAssigner implements WindowAssigner {
  readonly eventTime: boolean
  readonly merging = false
  readonly fixed: { size: number; slide: number; offset: number }
  private readonly size: number
  private readonly slide: number
  private readonly offset: number

  constructor(size: number, slide: number, offset: number, time: TimeDomain) {
    if (!(Number.isInteger(size) && size > 0 && Number.isInteger(slide) && slide > 0))
      throw new RiffleError('INVALID_ARGUMENT', 'sliding window size and slide must be positive integers')
    this.size = size
    this.slide = slide
    this.offset = mod(offset, slide)
    this.eventTime = time === 'event'
    this.fixed = { size: this.size, slide: this.slide, offset: this.offset }
  }

  assign(timestamp: number, processingTime: number): Window[] {
    const t = this.eventTime ? timestamp : processingTime
    const windows: Window[] = []
    for (let start = t - mod(t - this.offset, this.slide); start > t - this.size; start -= this.slide)
      windows.push({ start, end: start + this.size })
    return windows
  }

  mergeWindows(): { result: Window; merged: Window[] }[] {
    return []
  }

  defaultTrigger(): TriggerSpec {
    return { kind: this.eventTime ? 'eventTime' : 'processingTime' }
  }
}
