// Interval join (Flink's IntervalJoinOperator), keyed: a left element at time a joins every right
// element of the same key at time b with a + lowerBound ≤ b ≤ a + upperBound (bounds optionally
// exclusive). Both sides are buffered in keyed state; each arriving element is joined against the
// other side's buffered elements, so every pair is emitted exactly once, when its second element
// arrives, with timestamp max(a, b). An element at or behind the watermark (the minimum of both
// inputs) is late and goes to the late side output as { side, value }. A buffered element is dropped
// once the watermark passes the last time a partner could still arrive: left a at a + upperBound,
// right b at b - lowerBound.
//
// A key's elements of both sides are one keyed-state value (key-buffer.ts), so an element costs one
// state lookup, and a key one row while it holds anything.
// Cleanup runs from onWatermark over the operator's own schedule per side (cleanup-queue.ts), not a
// timer per buffered timestamp; the schedule is never snapshotted but rebuilt from the keyed state,
// so it follows the keys wherever a restore (or a redistribution of keys) puts them.
import { RiffleError } from '../../core/errors.ts'
import { type Key, LATE_TAG, type StreamRecord } from '../model/record.ts'
import type { Operator, OperatorContext } from '../operator/operator.ts'
import { KeyedStateBackend } from '../state/backend.ts'
import type { MapState } from '../state/descriptors.ts'
import { cellAt, liveCells } from '../state/map.ts'
import type { MapData } from '../state/table.ts'
import { CleanupQueue } from './cleanup-queue.ts'
import {
  type KeyBuffer,
  LEFT,
  RIGHT,
  type Side,
  type SideBuffer,
  dropUpTo,
  insert,
  timestampsOf,
} from './key-buffer.ts'
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

/**
 * A key's buffer is the one entry (0) of a map state: writing a value state would read the clock
 * (for its TTL) for every new buffer.
 */
const BUFFERS = { name: 'buffers' }
const ENTRY = 0

/**
 * The operator snapshot: the layout of its keyed state. Earlier layouts cannot be continued: without
 * it, elements were in map states 'left' and 'right' by timestamp, with a timer each; in 2, the
 * buffers were spread over eight map states 'buffers/0'… by a hash of the key (what the state
 * tables now do themselves, state/rows.ts).
 */
const FORMAT = { intervalJoin: 3 }
const OLD_STATES = ['left', 'right', ...Array.from({ length: 8 }, (_, i) => `buffers/${i}`)]

export class IntervalJoinOperator implements Operator {
  private readonly config: IntervalJoinConfig
  private readonly lateTag: string
  /** The keyed state the handles and schedules below belong to (fetched once, not per element). */
  private stateOf: unknown = null
  /** The backend, to rebuild the schedules from (null: some other KeyedState, nothing to rebuild). */
  private backend: KeyedStateBackend | null = null
  private buffers: MapState<number, KeyBuffer> | null = null
  /**
   * Buffers by the timestamps of their elements, per side; a left element at t expires once the
   * watermark reaches t + upperBound, a right one at t - lowerBound (the expressions used when it
   * was buffered, so rounding cannot tell the two apart).
   */
  private readonly leftCleanup = new CleanupQueue<KeyBuffer>()
  private readonly rightCleanup = new CleanupQueue<KeyBuffer>()
  /** Restored from a snapshot of an earlier FORMAT: refused if it holds buffered elements. */
  private oldLayout = false

  constructor(config: IntervalJoinConfig) {
    if (!(config.lowerBound <= config.upperBound))
      throw new RiffleError('INVALID_ARGUMENT', 'interval join: lowerBound must not exceed upperBound')
    this.config = config
    this.lateTag = config.lateTag ?? LATE_TAG
  }

  private bind(ctx: OperatorContext): void {
    if (this.stateOf === ctx.state) return
    const state = ctx.state
    this.backend = state instanceof KeyedStateBackend ? state : null
    this.buffers = state.map<number, KeyBuffer>(BUFFERS)
    this.rebuild()
    // Only once rebuilt: refused state stays refused on every later call.
    this.stateOf = state
  }

  /** The cleanup schedules of whatever the keyed state holds (nothing, or what was restored). */
  private rebuild(): void {
    this.leftCleanup.clear()
    this.rightCleanup.clear()
    const state = this.backend
    if (state === null) return
    if (this.oldLayout)
      for (const name of OLD_STATES)
        for (const _ of state.dataOf(name))
          throw new RiffleError(
            'INVALID_ARGUMENT',
            "this checkpoint holds interval join state in the layout of an earlier Riffle version, which this one cannot continue; delete the pipeline's checkpoints to start over",
          )
    this.oldLayout = false
    for (const stored of state.dataOf(BUFFERS.name)) {
      const buffer = cellAt(stored as MapData<number, KeyBuffer>, ENTRY)!.v
      for (const t of timestampsOf(buffer[LEFT])) this.leftCleanup.add(t, buffer)
      for (const t of timestampsOf(buffer[RIGHT])) this.rightCleanup.add(t, buffer)
    }
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
    const isLeft = ctx.input === 0
    const own: Side = isLeft ? LEFT : RIGHT
    const cleanupQueue = isLeft ? this.leftCleanup : this.rightCleanup
    // Event time does not advance within a batch.
    const watermark = ctx.watermark
    const { upperBound, lowerBound } = this.config
    for (const r of batch) {
      ctx.setCurrentKey(r.key)
      const t = r.timestamp
      if (t <= watermark) {
        const late: StreamRecord<Tagged> = {
          value: { side: sideOf(ctx.input), value: r.value },
          timestamp: t,
        }
        if (r.key !== undefined) late.key = r.key
        ctx.output(this.lateTag, late)
        continue
      }
      const buffers = this.buffers!
      const data = liveCells(buffers)
      const buffer = data === undefined ? undefined : cellAt(data, ENTRY)?.v
      if (buffer !== undefined) {
        const other = buffer[isLeft ? RIGHT : LEFT]
        if (other !== null) this.joinSide(r, isLeft, other, ctx)
      }
      // Buffered only while a future partner (timestamp > watermark) could still match it.
      const cleanup = isLeft ? t + upperBound : t - lowerBound
      if (!(cleanup > watermark)) continue
      if (buffer === undefined) {
        const created: KeyBuffer = isLeft ? [r.key, [t, r.value], null] : [r.key, null, [t, r.value]]
        buffers.put(ENTRY, created)
        cleanupQueue.add(t, created)
      } else {
        const side = buffer[own]
        if (side === null) buffer[own] = [t, r.value]
        // Elements at t are buffered already, so their expiry is scheduled.
        else if (insert(side, t, r.value)) continue
        cleanupQueue.add(t, buffer)
      }
    }
  }

  /** Whether the other side's timestamp u comes before the range `r` (at t) joins with. */
  private before(t: number, u: number, isLeft: boolean): boolean {
    const { lowerBound, upperBound, lowerExclusive, upperExclusive } = this.config
    // d = b - a grows with u for a left r (b = u) and shrinks with u for a right one (a = u).
    if (isLeft) return lowerExclusive ? u - t <= lowerBound : u - t < lowerBound
    return upperExclusive ? t - u >= upperBound : t - u > upperBound
  }

  /** Joins `r` with the other side's elements in range (emitting does not touch the state). */
  private joinSide(r: StreamRecord, isLeft: boolean, other: SideBuffer, ctx: OperatorContext): void {
    const t = r.timestamp
    // The range is contiguous in the sorted side: its start by binary search, then up to the first
    // element out of range.
    let lo = 0
    let hi = other.length >> 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.before(t, other[2 * mid] as number, isLeft)) lo = mid + 1
      else hi = mid
    }
    for (let i = 2 * lo; i < other.length; i += 2) {
      const u = other[i] as number
      const a = isLeft ? t : u
      const b = isLeft ? u : t
      if (!this.inRange(a, b)) break
      const info: IntervalJoinInfo = { key: r.key, leftTimestamp: a, rightTimestamp: b }
      const v = other[i + 1]
      const value = isLeft ? this.config.join(r.value, v, info) : this.config.join(v, r.value, info)
      const out: StreamRecord = { value, timestamp: a > b ? a : b }
      if (r.key !== undefined) out.key = r.key
      ctx.emit(out)
    }
  }

  /** Drops what can no longer match (as timers would, before the watermark goes on). */
  onWatermark(watermark: number, ctx: OperatorContext): void {
    this.bind(ctx)
    const { upperBound, lowerBound } = this.config
    const left = this.leftCleanup
    for (let t = left.peek(); t !== undefined && t + upperBound <= watermark; t = left.peek())
      this.expire(left.pop(), LEFT, t, ctx)
    const right = this.rightCleanup
    for (let t = right.peek(); t !== undefined && t - lowerBound <= watermark; t = right.peek())
      this.expire(right.pop(), RIGHT, t, ctx)
    ctx.setCurrentKey(undefined)
    ctx.emitWatermark(watermark)
  }

  /**
   * Drops `side`'s elements at `t` from each of `buffers`, and the buffers left empty. Earlier ones
   * went when their own time came, so they are each side's front.
   */
  private expire(buffers: KeyBuffer[], side: Side, t: number, ctx: OperatorContext): void {
    for (let i = 0; i < buffers.length; i++) {
      const buffer = buffers[i]!
      if (!dropUpTo(buffer[side]!, t)) continue
      buffer[side] = null
      if (buffer[side === LEFT ? RIGHT : LEFT] === null) {
        ctx.setCurrentKey(buffer[0])
        this.buffers!.clear()
      }
    }
    // Emptied, as the group may have lived long enough to be promoted: a dead old array still
    // pointing at buffers makes every scavenge keep them, and what they held, until a full GC
    // (measured in bench/engine (e): ~10 MB kept per scavenge, and twice the time).
    buffers.length = 0
  }

  snapshot(): unknown {
    return FORMAT
  }

  restore(state: unknown): void {
    this.oldLayout = (state as typeof FORMAT | null)?.intervalJoin !== FORMAT.intervalJoin
    // The schedules are rebuilt from the restored keyed state on next use.
    this.stateOf = null
  }
}

/** Every buffered element as [side, key, timestamp, value], and the number of keys holding any. */
export function bufferedElements(state: KeyedStateBackend): {
  elements: ['left' | 'right', Key | undefined, number, unknown][]
  keys: number
} {
  const elements: ['left' | 'right', Key | undefined, number, unknown][] = []
  let keys = 0
  for (const stored of state.dataOf(BUFFERS.name)) {
    const buffer = cellAt(stored as MapData<number, KeyBuffer>, ENTRY)!.v
    for (const side of [LEFT, RIGHT] as const) {
      const s = buffer[side] ?? []
      for (let i = 0; i < s.length; i += 2)
        elements.push([side === LEFT ? 'left' : 'right', buffer[0], s[i] as number, s[i + 1]])
    }
    keys++
  }
  return { elements, keys }
}
