// Session windows: each element opens [t, t + gap); windows that overlap or touch merge, so a
// session ends once no element follows within `gap` of the previous one. The window operator merges
// state and triggers when windows merge (windowing/window-operator.ts).
import { RiffleError } from '../../../core/errors.ts'
import type { TimeDomain } from '../../model/record.ts'
import type { TriggerSpec } from '../triggers/spec.ts'
import { type Window, cover, intersects } from '../window.ts'
import type { WindowAssigner } from './assigner.ts'

export class SessionAssigner implements WindowAssigner {
  readonly eventTime: boolean
  readonly merging = true
  readonly sessionGap: number
  private readonly gap: number

  constructor(gap: number, time: TimeDomain) {
    if (!(Number.isInteger(gap) && gap > 0))
      throw new RiffleError('INVALID_ARGUMENT', `session gap must be a positive integer, got ${gap}`)
    this.gap = gap
    this.sessionGap = gap
    this.eventTime = time === 'event'
  }

  assign(timestamp: number, processingTime: number): Window[] {
    const t = this.eventTime ? timestamp : processingTime
    return [{ start: t, end: t + this.gap }]
  }

  mergeWindows(windows: readonly Window[]): { result: Window; merged: Window[] }[] {
    const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end)
    const groups: { result: Window; merged: Window[] }[] = []
    for (const w of sorted) {
      const last = groups.at(-1)
      if (last && intersects(last.result, w)) {
        last.result = cover(last.result, w)
        last.merged.push(w)
      } else groups.push({ result: w, merged: [w] })
    }
    return groups
  }

  defaultTrigger(): TriggerSpec {
    return { kind: this.eventTime ? 'eventTime' : 'processingTime' }
  }
}
