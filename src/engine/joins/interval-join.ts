// Interval join (Flink's IntervalJoinOperator), keyed: a left element at time a joins every right
// element of the same key at time b with a + lowerBound ≤ b ≤ a + upperBound (bounds optionally
// exclusive). Both sides are buffered in keyed state by timestamp; each arriving element is joined
// against the other side's buffer, so every pair is emitted exactly once, when its second element
// arrives, with timestamp max(a, b). An element at or behind the watermark (the minimum of both
// inputs) is late and goes to the late side output as { side, value }. A buffered element is dropped
// once the watermark passes the last time a partner could still arrive: left a at a + upperBound,
// right b at b - lowerBound.
import { RiffleError } from '../../core/errors.ts'
import { type Key, LATE_TAG, type StreamRecord } from '../model/record.ts'
import type { Operator, OperatorContext } from '../operator/operator.ts'
import type { MapState } from '../state/descriptors.ts'
import type { Timer } from '../timers/timer-service.ts'
import { type Tagged, sideOf } from './tagged.ts'

export interface IntervalJoinInfo {
  readonly key: Key | undefined
  readonly leftTimestamp: number
  readonly rightTimestamp: number
}

export interface IntervalJoinConfig<L = unknown, R = unknown, O = unknown> {
  lowerBound: number
  upperBound: number
  lowerExclusive?: boolean
  upperExclusive?: boolean
  /** Default 'late'. */
  lateTag?: string
  join(left: L, right: R, info: IntervalJoinInfo): O
}

const LEFT = { name: 'left' }
const RIGHT = { name: 'right' }

export class IntervalJoinOperator implements Operator {
  private readonly config: IntervalJoinConfig

  constructor(config: IntervalJoinConfig) {
    if (!(config.lowerBound <= config.upperBound))
      throw new RiffleError('INVALID_ARGUMENT', 'interval join: lowerBound must not exceed upperBound')
    this.config = config
  }

  private inRange(a: number, b: number): boolean {
    const d = b - a
    const { lowerBound, upperBound, lowerExclusive, upperExclusive } = this.config
    return (
      (lowerExclusive ? d > lowerBound : d >= lowerBound) &&
      (upperExclusive ? d < upperBound : d <= upperBound)
    )
  }

  processBatch(batch: readonly StreamRecord[], ctx: OperatorContext): void {
    const side = sideOf(ctx.input)
    for (const r of batch) {
      ctx.setCurrentKey(r.key)
      if (r.timestamp <= ctx.watermark) {
        const late: StreamRecord<Tagged> = { value: { side, value: r.value }, timestamp: r.timestamp }
        if (r.key !== undefined) late.key = r.key
        ctx.output(this.config.lateTag ?? LATE_TAG, late)
        continue
      }
      // Buffered only while a future partner (timestamp > watermark) could still match it.
      const cleanup =
        side === 'left' ? r.timestamp + this.config.upperBound : r.timestamp - this.config.lowerBound
      if (cleanup > ctx.watermark) {
        const own = ctx.state.map<number, unknown[]>(side === 'left' ? LEFT : RIGHT)
        const values = own.get(r.timestamp) ?? []
        values.push(r.value)
        own.put(r.timestamp, values)
        ctx.timers.registerEventTimeTimer(cleanup, side)
      }
      this.joinAgainst(r, side, ctx.state.map<number, unknown[]>(side === 'left' ? RIGHT : LEFT), ctx)
    }
  }

  private joinAgainst(
    r: StreamRecord,
    side: 'left' | 'right',
    other: MapState<number, unknown[]>,
    ctx: OperatorContext,
  ): void {
    for (const [t, values] of other.entries()) {
      const [a, b] = side === 'left' ? [r.timestamp, t] : [t, r.timestamp]
      if (!this.inRange(a, b)) continue
      const info: IntervalJoinInfo = { key: r.key, leftTimestamp: a, rightTimestamp: b }
      for (const v of values) {
        const value =
          side === 'left' ? this.config.join(r.value, v, info) : this.config.join(v, r.value, info)
        const out: StreamRecord = { value, timestamp: Math.max(a, b) }
        if (r.key !== undefined) out.key = r.key
        ctx.emit(out)
      }
    }
  }

  onTimer(timer: Timer, ctx: OperatorContext): void {
    if (timer.namespace === 'left') ctx.state.map(LEFT).remove(timer.timestamp - this.config.upperBound)
    else if (timer.namespace === 'right')
      ctx.state.map(RIGHT).remove(timer.timestamp + this.config.lowerBound)
  }
}
