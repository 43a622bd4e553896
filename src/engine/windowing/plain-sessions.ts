// The window operator's shortcut for the most common sessions: event time, the default event-time
// trigger, no allowed lateness, an aggregate function (no evictor). In the usual case, a key with one
// open session and an element that touches it, the element just extends the session: the session's
// one timer (end of window, also its cleanup) moves to the new end, and the trigger's and cleanup's
// registrations of that same timer, which the generic path makes per element, would change nothing.
// Anything else (no session yet, several, one the element does not touch) takes the generic merge.
//
// A session of an integer key is grown in the shortcut's own books (PlainSessions and Books below),
// and written back to its entry and timer (settled) only before anything else deals with it. Its
// timer's moves still take their places in the order of ties as they happen (a ticket each, see
// HeldTimers), so the settled session and timer are exactly those of growing them per element.
//
// plain-paths.test.ts checks that this yields exactly the outputs, timers and state of the generic
// path.
import type { AggregateFunction } from '../model/functions.ts'
import type { StreamRecord } from '../model/record.ts'
import type { OperatorContext } from '../operator/operator.ts'
import type { MapState } from '../state/descriptors.ts'
import { liveCells } from '../state/map.ts'
import type { MapData } from '../state/table.ts'
import {
  type HeldTimer,
  type HeldTimers,
  type MoveHeld,
  type TimerBooks,
  heldEventTimeMover,
  heldTimersOf,
  moveHeldEventTimeTimer,
} from '../timers/timer-service.ts'
import { type WindowEntry, forgetTimer, knowsTimer, rememberTimer } from './window-entry.ts'

/**
 * Extends `entry`'s session to [start, end) and moves its end-of-window timer there: what the
 * generic merge does for the event-time trigger without lateness when one session grows.
 */
export function growSession(entry: WindowEntry, start: number, end: number, ctx: OperatorContext): void {
  // Changed in place, not replaced: such a session's window is seen by no one before it fires (when
  // it is also cleaned up), and one object less per element.
  const w = entry.window as { start: number; end: number }
  const from = w.end - 1
  const to = end - 1
  w.start = start
  w.end = end
  const timers = entry.timers
  // Moved even to the same time: that counts as registered now, as in the generic merge.
  if (timers !== undefined && timers.length === 1 && timers[0] === from) {
    // The usual case, that timer alone: forgetTimer(from) and rememberTimer(to) in one, and the
    // timer service may keep the timer with the entry.
    timers[0] = to
    moveHeldEventTimeTimer(ctx.timers, entry, from, to, entry.id)
    return
  }
  if (knowsTimer(entry, from)) {
    forgetTimer(entry, from)
    ctx.timers.moveEventTimeTimer(from, to, entry.id)
  } else ctx.timers.registerEventTimeTimer(to, entry.id)
  rememberTimer(entry, to)
}

export interface PlainSessionsSpec {
  gap: number
  lateTag: string
  aggregate: AggregateFunction
  /** The generic path (WindowOperator.processMerging) for element `r` at time `t`; false if late. */
  merge(r: StreamRecord, t: number, ctx: OperatorContext, state: MapState<number, WindowEntry>): boolean
}

/**
 * Keys kept in the books: integers 0 ≤ key < BOOKED, which are their own index (as they are their
 * own slot in the state, state/rows.ts). Others take the per-element path.
 */
const BOOKED = 16_384

/** The numbers of a key in the books: nums[key * NUMS + START] and so on. */
const NUMS = 5
const START = 0
const END = 1
const COUNT = 2
/** The ticket of the timer's last move in the books (valid while END differs from FILED). */
const TICKET = 3
/** The session's end as its entry and timer have it: the timer is at FILED - 1 until settled. */
const FILED = 4

/**
 * The sessions of the keys in the books: each one's entry and held timer, its bounds, contents
 * (accumulator and count) and the ticket of its timer's last move. The numbers of a key side by side
 * in one typed array, so that an element touches a few cache lines that stay hot instead of its
 * key's state cell, entry, window, boxed bounds, timer list and timer; those are written when the
 * books are settled. A key is in the books while entries[key] is set; its start is NaN while it is
 * not, so that the test of an element against its session fails.
 */
class Books {
  /** Keys the arrays have room for: grown to the largest key booked. */
  size = 0
  entries: (WindowEntry | undefined)[] = []
  timers: (HeldTimer | undefined)[] = []
  accs: unknown[] = []
  nums = new Float64Array(0)
  /** The keys in the books (and some settled since: see PlainSessions.settle). */
  keys: number[] = []
  /** Whether a key is listed in `keys`. */
  listed = new Uint8Array(0)
  /** A bound on the earliest timer (FILED - 1) of the keys listed: none is due before it. */
  due = Number.POSITIVE_INFINITY
  /** The timer service of the sessions in the books. */
  held: HeldTimers | undefined = undefined

  grow(key: number): void {
    if (key < this.size) return
    const size = Math.min(BOOKED, Math.max(key + 1, this.size * 2, 64))
    for (let i = this.size; i < size; i++) {
      this.entries.push(undefined)
      this.timers.push(undefined)
      this.accs.push(undefined)
    }
    const nums = new Float64Array(size * NUMS)
    nums.set(this.nums)
    for (let i = this.size; i < size; i++) nums[i * NUMS + START] = Number.NaN
    this.nums = nums
    const listed = new Uint8Array(size)
    listed.set(this.listed)
    this.listed = listed
    this.size = size
  }
}

/**
 * The shortcut. Sessions of integer keys are grown in the books (Books) from one batch to the next,
 * and written back to their entries and timers (settled) before anything else deals with them: an
 * element that does not just extend its key's session, and the timer service (these are its
 * TimerBooks): before it polls event-time timers up to a session's timer as it has it (settle(upTo),
 * so that the timer comes due exactly when it would have, had it moved with every element), and
 * before a snapshot of the timers or the keyed state (settle(+∞)). Nothing else reads the sessions:
 * the state is read between batches only by timers firing and by snapshots. A restore of the timers
 * (and the state) drops the books.
 */
export class PlainSessions implements TimerBooks {
  private readonly gap: number
  private readonly lateTag: string
  private readonly agg: AggregateFunction
  private readonly merge: PlainSessionsSpec['merge']
  private readonly books = new Books()

  constructor(spec: PlainSessionsSpec) {
    this.gap = spec.gap
    this.lateTag = spec.lateTag
    this.agg = spec.aggregate
    this.merge = spec.merge
  }

  processBatch(
    batch: readonly StreamRecord[],
    ctx: OperatorContext,
    state: MapState<number, WindowEntry>,
    watermark: number,
  ): void {
    const held = heldTimersOf(ctx.timers)
    const move = heldEventTimeMover(ctx.timers)
    const books = this.books
    if (books.held !== held) {
      // Books kept for another runner's timers (the operator moved) are settled there first.
      this.settle(Number.POSITIVE_INFINITY)
      books.held = held
      held?.keep(this)
    }
    if (held === undefined) {
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!
        ctx.setCurrentKey(r.key)
        this.one(r, liveCells(state), ctx, state, watermark, move)
      }
      return
    }
    const { gap, agg } = this
    let { accs, nums } = books
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!
      const key = r.key
      const t = r.timestamp
      if (typeof key === 'number' && key >>> 0 === key && key < BOOKED) {
        const k = key * NUMS
        // The books' session (if the key has one there) is [start, end0); the element's window
        // [t, t + gap) touches it without moving its start (NaN, no books: it does not).
        const room = key < books.size
        let start = room ? nums[k + START]! : Number.NaN
        let end0 = room ? nums[k + END]! : Number.NaN
        const end = t + gap
        if (!(start <= end && start <= t && end0 >= t)) {
          // Booked, but the element goes the long way: the books are written back first.
          if (!Number.isNaN(start)) this.settleKey(key, held)
          ctx.setCurrentKey(key)
          const cells = liveCells(state)
          if (!this.book(key, cells, t, end, held)) {
            this.one(r, cells, ctx, state, watermark, move)
            continue
          }
          ;({ accs, nums } = books)
          start = nums[k + START]!
          end0 = nums[k + END]!
        }
        const merged = end0 > end ? end0 : end
        // Late: the merged window's end-of-window (and cleanup) time has passed.
        if (merged - 1 <= watermark) ctx.output(this.lateTag, r)
        else {
          if (merged !== end0) {
            // The timer moves (in the books): it counts as registered now.
            nums[k + END] = merged
            nums[k + TICKET] = held.ticket()
          }
          const n = nums[k + COUNT]!
          accs[key] = agg.add(r.value, n > 0 ? accs[key] : agg.createAccumulator())
          nums[k + COUNT] = n + 1
        }
        continue
      }
      ctx.setCurrentKey(key)
      this.one(r, liveCells(state), ctx, state, watermark, move)
    }
  }

  /** TimerBooks.settle: the books of the sessions whose timers, as filed, are due by `upTo`. */
  settle(upTo: number): void {
    const books = this.books
    if (!(upTo >= books.due)) return
    const { keys, listed, nums, held } = books
    let due = Number.POSITIVE_INFINITY
    let n = 0
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      const k = key * NUMS
      if (Number.isNaN(nums[k + START]!)) listed[key] = 0
      else if (nums[k + FILED]! - 1 <= upTo) {
        this.settleKey(key, held!)
        listed[key] = 0
      } else {
        if (nums[k + FILED]! - 1 < due) due = nums[k + FILED]! - 1
        keys[n++] = key
      }
    }
    keys.length = n
    books.due = due
  }

  /** TimerBooks.drop: the state and timers the books were kept for were restored. */
  drop(): void {
    const books = this.books
    const { keys, listed, nums } = books
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      listed[key] = 0
      nums[key * NUMS + START] = Number.NaN
      books.entries[key] = undefined
      books.timers[key] = undefined
      books.accs[key] = undefined
    }
    keys.length = 0
    books.due = Number.POSITIVE_INFINITY
    books.held = undefined
  }

  /**
   * Opens the books for `key` (the current key, whose live cells are `cells`) if it has one session
   * that element window [t, end) extends without moving its start, and whose only event-time timer
   * is its end-of-window timer, held for moving later; false if not.
   */
  private book(
    key: number,
    cells: MapData<number, WindowEntry> | undefined,
    t: number,
    end: number,
    held: HeldTimers,
  ): boolean {
    if (cells === undefined || cells instanceof Map) return false
    const entry = cells.v
    const w = entry.window
    if (!(w.start <= end && w.start <= t && w.end >= t)) return false
    const timers = entry.timers
    const last = w.end - 1
    if (timers === undefined || timers.length !== 1 || timers[0] !== last) return false
    const timer = held.hold(entry, entry.id, last)
    if (timer === undefined) return false
    const books = this.books
    books.grow(key)
    books.entries[key] = entry
    books.timers[key] = timer
    books.accs[key] = entry.acc
    const nums = books.nums
    const k = key * NUMS
    nums[k + START] = w.start
    nums[k + END] = w.end
    nums[k + COUNT] = entry.count
    nums[k + FILED] = w.end
    if (books.listed[key] === 0) {
      books.listed[key] = 1
      books.keys.push(key)
    }
    if (last < books.due) books.due = last
    return true
  }

  /** Writes `key`'s books back to its session's entry and timer, and closes them. */
  private settleKey(key: number, held: HeldTimers): void {
    const books = this.books
    const entry = books.entries[key]!
    const timer = books.timers[key]!
    const nums = books.nums
    const k = key * NUMS
    books.entries[key] = undefined
    books.timers[key] = undefined
    nums[k + START] = Number.NaN
    const count = nums[k + COUNT]!
    // Changed only by an element added (an entry without contents has no accumulator to write).
    if (count !== entry.count) {
      entry.acc = books.accs[key]
      entry.count = count
    }
    books.accs[key] = undefined
    const end = nums[k + END]!
    if (end !== nums[k + FILED]!) {
      // (Mutable: see growSession.)
      const w = entry.window as { start: number; end: number }
      w.end = end
      // The entry's one timer (see book).
      entry.timers![0] = end - 1
      held.moveLater(timer, end - 1, nums[k + TICKET]!)
    }
  }

  /** Element `r` of the current key, whose live cells are `cells`, without the books. */
  private one(
    r: StreamRecord,
    cells: MapData<number, WindowEntry> | undefined,
    ctx: OperatorContext,
    state: MapState<number, WindowEntry>,
    watermark: number,
    move: MoveHeld,
  ): void {
    const t = r.timestamp
    if (cells !== undefined && !(cells instanceof Map)) {
      const entry = cells.v
      // (Mutable: see growSession.)
      const w = entry.window as { start: number; end: number }
      const end = t + this.gap
      // The element's window [t, t + gap) touches the key's one session: they merge.
      if (w.start <= end && w.end >= t) {
        const start = w.start < t ? w.start : t
        const merged = w.end > end ? w.end : end
        // Late: the merged window's end-of-window (and cleanup) time has passed.
        if (merged - 1 <= watermark) ctx.output(this.lateTag, r)
        else {
          if (merged !== w.end) {
            const timers = entry.timers
            const from = w.end - 1
            // growSession's usual case inline (the session only grows later, its one timer
            // follows): no call, and the timer service's mover looked up once per batch.
            if (start === w.start && timers !== undefined && timers.length === 1 && timers[0] === from) {
              w.end = merged
              timers[0] = merged - 1
              move(entry, from, merged - 1, entry.id)
            } else growSession(entry, start, merged, ctx)
          } else if (start !== w.start) growSession(entry, start, merged, ctx)
          const agg = this.agg
          entry.acc = agg.add(r.value, entry.count > 0 ? entry.acc : agg.createAccumulator())
          entry.count++
        }
        return
      }
    }
    if (!this.merge(r, t, ctx, state)) ctx.output(this.lateTag, r)
  }
}
