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
import { liveCells } from '../state/map.ts'
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
  private readonly lateTag: string
  /** The two buffers' handles in the runner this operator last ran in (fetched once, not per element). */
  private stateOf: unknown = null
  private left: MapState<number, unknown[]> = undefined!
  private right: MapState<number, unknown[]> = undefined!

  constructor(config: IntervalJoinConfig) {
    if (!(config.lowerBound <= config.upperBound))
      throw new RiffleError('INVALID_ARGUMENT', 'interval join: lowerBound must not exceed upperBound')
    this.config = config
    this.lateTag = config.lateTag ?? LATE_TAG
  }

  private bind(ctx: OperatorContext): void {
    if (this.stateOf === ctx.state) return
    this.stateOf = ctx.state
    this.left = ctx.state.map<number, unknown[]>(LEFT)
    this.right = ctx.state.map<number, unknown[]>(RIGHT)
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
    this.bind(ctx)
    const side = sideOf(ctx.input)
    const isLeft = side === 'left'
    const own = isLeft ? this.left : this.right
    const other = isLeft ? this.right : this.left
    // Event time does not advance within a batch.
    const watermark = ctx.watermark
    const { upperBound, lowerBound } = this.config
    for (const r of batch) {
      ctx.setCurrentKey(r.key)
      if (r.timestamp <= watermark) {
        const late: StreamRecord<Tagged> = { value: { side, value: r.value }, timestamp: r.timestamp }
        if (r.key !== undefined) late.key = r.key
        ctx.output(this.lateTag, late)
        continue
      }
      // Buffered only while a future partner (timestamp > watermark) could still match it.
      const cleanup = isLeft ? r.timestamp + upperBound : r.timestamp - lowerBound
      if (cleanup > watermark) {
        const values = own.get(r.timestamp)
        // An element at this timestamp is buffered already, so its cleanup timer is registered.
        if (values !== undefined) values.push(r.value)
        else {
          own.put(r.timestamp, [r.value])
          ctx.timers.registerEventTimeTimer(cleanup, side)
        }
      }
      this.joinAgainst(r, isLeft, other, ctx)
    }
  }

  private joinAgainst(
    r: StreamRecord,
    isLeft: boolean,
    other: MapState<number, unknown[]>,
    ctx: OperatorContext,
  ): void {
    // Emitting does not touch the state, so the buffer is read in place.
    const cells = liveCells(other)
    if (cells instanceof Map) for (const cell of cells.values()) this.joinCell(r, isLeft, cell.k, cell.v, ctx)
    else if (cells !== undefined) this.joinCell(r, isLeft, cells.k, cells.v, ctx)
  }

  /** Joins `r` with the other side's elements at time `t`. */
  private joinCell(
    r: StreamRecord,
    isLeft: boolean,
    t: number,
    values: readonly unknown[],
    ctx: OperatorContext,
  ): void {
    const a = isLeft ? r.timestamp : t
    const b = isLeft ? t : r.timestamp
    if (!this.inRange(a, b)) return
    const info: IntervalJoinInfo = { key: r.key, leftTimestamp: a, rightTimestamp: b }
    const timestamp = a > b ? a : b
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      const value = isLeft ? this.config.join(r.value, v, info) : this.config.join(v, r.value, info)
      const out: StreamRecord = { value, timestamp }
      if (r.key !== undefined) out.key = r.key
      ctx.emit(out)
    }
  }

  onTimer(timer: Timer, ctx: OperatorContext): void {
    this.bind(ctx)
    if (timer.namespace === 'left') this.left.remove(timer.timestamp - this.config.upperBound)
    else if (timer.namespace === 'right') this.right.remove(timer.timestamp + this.config.lowerBound)
  }
}
