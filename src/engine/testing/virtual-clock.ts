// Processing time under the test's control: operators read it through the Clock interface, so
// timers, TTLs and idleness behave in tests exactly as they would in production, minus the waiting.
import { RiffleError } from '../../core/errors.ts'
import type { Clock } from '../../core/time.ts'

export class VirtualClock implements Clock {
  private time: number

  constructor(start = 0) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  /** Moves to `time`; processing time never goes backwards. */
  set(time: number): void {
    if (time < this.time)
      throw new RiffleError('INVALID_ARGUMENT', `processing time cannot go back from ${this.time} to ${time}`)
    this.time = time
  }

  advance(ms: number): void {
    this.set(this.time + ms)
  }
}
