// Timers of one operator instance, Flink's InternalTimerService: per key (and an optional namespace,
// which window operators set to the window), in event time and processing time. A timer is
// identified by (domain, key, namespace, timestamp), so registering it twice is one timer. Timers
// come out in timestamp order (ties in registration order) when the runner advances the watermark
// or processing time; a timer registered while firing is due in the same advance if its time has
// passed. Deleting or moving a timer (as a session window does whenever it grows) costs no new entry
// and leaves nothing to pop later: the queue (timers/queue.ts) drops a deleted timer from its heap at
// once, or skips its old slot in a sorted run when it gets there, and files a timer moved later again
// only when it comes up. A caller that moves one timer again and again can hold on to it
// (moveHeldEventTimeTimer) instead of having it looked up by key each time, or (HeldTimers) hold it,
// move it many times in books of its own and tell the timer service only the last move: the timer
// service has such books settled before it polls event-time timers or takes a snapshot, and drops
// them when it is restored.
import type { Key, TimeDomain } from '../model/record.ts'
import { type Plain, fromPlain, toPlain } from '../serde/plain.ts'
import { SlotMap } from '../state/rows.ts'
import { type Slot, slotOf } from '../state/slot.ts'
import { TimerQueue } from './queue.ts'

export interface Timer {
  readonly domain: TimeDomain
  readonly key: Key | undefined
  /** '' unless the operator scopes timers further (window operators use the window id). */
  readonly namespace: string
  readonly timestamp: number
}

/** What operators see as `ctx.timers`: timers of the current key. */
export interface TimerService {
  registerEventTimeTimer(timestamp: number, namespace?: string): void
  registerProcessingTimeTimer(timestamp: number, namespace?: string): void
  deleteEventTimeTimer(timestamp: number, namespace?: string): void
  deleteProcessingTimeTimer(timestamp: number, namespace?: string): void
  /** Deletes the timer at `from` (if any) and registers one at `to`, in one step. */
  moveEventTimeTimer(from: number, to: number, namespace?: string): void
  moveProcessingTimeTimer(from: number, to: number, namespace?: string): void
}

/** A queued timer is its own heap entry (one allocation per timer). */
interface Entry extends Timer {
  /** Changed only by move(), while the entry has not been handed out. */
  timestamp: number
  /** slotOf(key), the first level of the index. */
  readonly slot: Slot
  seq: number
  pos: number
  where: number
  queuedAt: number
  queuedSeq: number
  /** Filed in a Map bucket (under namespace and timestamp): moving it must re-file it there. */
  mapped: boolean
  /** The id of the TimerQueues it is in (or was: see moveHeld). */
  readonly owner: number
}

/** Where moveHeld keeps a holder's timer: a symbol, so not part of the holder's data (snapshots). */
const HELD = Symbol('timer')

type Holder = { [HELD]?: Entry }

/** What scoped() adds to a TimerService for moveHeldEventTimeTimer. */
const MOVE_HELD = Symbol('moveHeld')

export type MoveHeld = (holder: object, from: number, to: number, namespace: string) => void

/**
 * ctx.timers.moveEventTimeTimer(from, to, namespace), for a caller that knows the namespace has no
 * other event-time timer (of the current key) and moves its timer again and again (a growing session
 * window): `holder`, an object of the caller's standing for the namespace, keeps the timer from one
 * call to the next, so that it need not be looked up by key each time.
 */
export function moveHeldEventTimeTimer(
  timers: TimerService,
  holder: object,
  from: number,
  to: number,
  namespace: string,
): void {
  const move = (timers as { [MOVE_HELD]?: MoveHeld })[MOVE_HELD]
  if (move !== undefined) move(holder, from, to, namespace)
  else timers.moveEventTimeTimer(from, to, namespace)
}

/**
 * moveHeldEventTimeTimer(timers, …) as a function, for a caller that makes many such calls in a row
 * (a batch of elements growing sessions): looked up once, not per call.
 */
export function heldEventTimeMover(timers: TimerService): MoveHeld {
  const move = (timers as { [MOVE_HELD]?: MoveHeld })[MOVE_HELD]
  return move ?? ((_holder, from, to, namespace) => timers.moveEventTimeTimer(from, to, namespace))
}

/** A timer held through HeldTimers.hold (opaque to callers). */
export interface HeldTimer {
  readonly __heldTimer: never
}

/**
 * Books a caller keeps of timers it holds (HeldTimers), and perhaps of more that goes with them (a
 * session window's bounds and contents, in keyed state).
 */
export interface TimerBooks {
  /**
   * Writes back to the timer service (moveLater) the moves of the timers that, as the timer service
   * has them, are due by `upTo` (all of them for +∞), and whatever goes with them. Called before
   * event-time timers up to `upTo` are polled, and with +∞ before a snapshot of the timers (and, by
   * the runner, of the keyed state).
   */
  settle(upTo: number): void
  /** Forgets the books: the timers (and the keyed state) were restored from a snapshot. */
  drop(): void
}

/**
 * Event-time timers for a caller that moves one timer many times in a row (a session window growing
 * with every element) and keeps the moves in books of its own meanwhile (TimerBooks): it takes a
 * ticket() at each move, which is what makes a move "now" (its place among ties), and tells the timer
 * service only the last one, moveLater(timer, to, ticket), when it settles its books. The timer
 * service has the books settled before anything depends on the timer (a poll of event-time timers
 * up to the time it has, a snapshot), so the outcome is that of moveEventTimeTimer at each move,
 * provided the caller changes the timer in no other way meanwhile (it settles it first).
 */
export interface HeldTimers {
  /** Has `books` settled and dropped by the timer service from now on (kept once however often). */
  keep(books: TimerBooks): void
  /** The registration number a timer registered or moved now gets (each call takes one). */
  ticket(): number
  /**
   * The current key's event-time timer at `timestamp` in `namespace`, or undefined if there is none.
   * `holder`, an object of the caller's standing for the namespace, keeps it from one call to the
   * next, so that it need not be looked up by key (as moveHeldEventTimeTimer's holder, and the same).
   */
  hold(holder: object, namespace: string, timestamp: number): HeldTimer | undefined
  /**
   * Moves `timer` (from hold(), not fired, deleted or moved otherwise since) to `to`, not earlier
   * than it is, as if moved when `ticket` was taken. No other timer of its namespace may be at `to`.
   * (A timer no longer there, which the caller's books should not hold, is not brought back.)
   */
  moveLater(timer: HeldTimer, to: number, ticket: number): void
}

/** What scoped() adds to a TimerService for heldTimersOf. */
const HELD_TIMERS = Symbol('heldTimers')

/** The HeldTimers of `timers` (a TimerQueues' scoped service), or undefined if it has none. */
export function heldTimersOf(timers: TimerService): HeldTimers | undefined {
  return (timers as { [HELD_TIMERS]?: HeldTimers })[HELD_TIMERS]
}

/**
 * A key's live timers of one domain: most keys have one or a few, so they are kept as the entry
 * itself or a short array searched in place (no Maps per key to allocate, and none to drop when the
 * key's last timer goes); a key with many is switched to a Map by namespace and timestamp.
 */
type Bucket = Entry | Entry[] | Map<string, Entry>

/** Entries a key's array holds before it becomes a Map. */
const SMALL = 16

const composite = (namespace: string, timestamp: number): string => `${timestamp}\u0000${namespace}`

function find(bucket: Bucket, namespace: string, timestamp: number): Entry | undefined {
  if (bucket instanceof Map) return bucket.get(composite(namespace, timestamp))
  if (Array.isArray(bucket)) {
    for (let i = 0; i < bucket.length; i++) {
      const e = bucket[i]!
      if (e.timestamp === timestamp && e.namespace === namespace) return e
    }
    return undefined
  }
  return bucket.timestamp === timestamp && bucket.namespace === namespace ? bucket : undefined
}

const before = (a: Entry, b: Entry) =>
  a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.seq < b.seq)

let instances = 0

export class TimerQueues {
  /** Tells its timers from those of other instances (see moveHeld). */
  private readonly id = ++instances
  private readonly queues = { event: new TimerQueue<Entry>(), processing: new TimerQueue<Entry>() }
  /** Live timers per domain by key slot (SlotMaps: many keys' timers come and go, state/rows.ts). */
  private readonly live: Record<TimeDomain, SlotMap<Bucket>> = {
    event: new SlotMap(),
    processing: new SlotMap(),
  }
  private count = 0
  private seq = 0
  /** The books of held timers to settle and drop (HeldTimers.keep). */
  private books: TimerBooks[] = []

  register(
    domain: TimeDomain,
    key: Key | undefined,
    namespace: string,
    timestamp: number,
    slot: Slot = slotOf(key),
  ): void {
    const index = this.live[domain]
    const bucket = index.get(slot)
    if (bucket !== undefined && find(bucket, namespace, timestamp) !== undefined) return
    const seq = this.seq++
    const entry: Entry = {
      domain,
      key,
      namespace,
      timestamp,
      slot,
      seq,
      pos: -1,
      where: -1,
      queuedAt: timestamp,
      queuedSeq: seq,
      mapped: false,
      owner: this.id,
    }
    if (bucket === undefined) index.set(slot, entry)
    else if (bucket instanceof Map) {
      entry.mapped = true
      bucket.set(composite(namespace, timestamp), entry)
    } else if (!Array.isArray(bucket)) index.set(slot, [bucket, entry])
    else if (bucket.length < SMALL) bucket.push(entry)
    else {
      const map = new Map<string, Entry>()
      for (const e of bucket) {
        e.mapped = true
        map.set(composite(e.namespace, e.timestamp), e)
      }
      entry.mapped = true
      map.set(composite(namespace, timestamp), entry)
      index.set(slot, map)
    }
    this.count++
    this.queues[domain].push(entry)
  }

  delete(
    domain: TimeDomain,
    key: Key | undefined,
    namespace: string,
    timestamp: number,
    slot: Slot = slotOf(key),
  ): void {
    const bucket = this.live[domain].get(slot)
    const entry = bucket && find(bucket, namespace, timestamp)
    if (entry === undefined) return
    this.queues[domain].remove(entry)
    this.unindex(entry)
  }

  /**
   * delete(from) then register(to), with the same outcome (the timer counts as registered now, for
   * the order of ties), but reusing the entry: no allocation, and one reordering of the heap.
   */
  move(
    domain: TimeDomain,
    key: Key | undefined,
    namespace: string,
    from: number,
    to: number,
    slot: Slot = slotOf(key),
  ): void {
    const bucket = this.live[domain].get(slot)
    const entry = bucket && find(bucket, namespace, from)
    if (entry === undefined) {
      this.register(domain, key, namespace, to, slot)
      return
    }
    if (from !== to && find(bucket!, namespace, to) !== undefined) {
      // A timer at `to` exists: registering it again would change nothing.
      this.queues[domain].remove(entry)
      this.unindex(entry)
      return
    }
    if (bucket instanceof Map) {
      bucket.delete(composite(namespace, from))
      bucket.set(composite(namespace, to), entry)
    }
    entry.timestamp = to
    entry.seq = this.seq++
    // Later (as a growing session's timer always is): filed again only when it comes up.
    if (to >= from) this.queues[domain].delay(entry)
    else this.queues[domain].update(entry)
  }

  /**
   * move(from, to) for the namespace's only timer, found through `holder` (see
   * moveHeldEventTimeTimer) while it is still that timer: queued, at `from`, of this key and
   * namespace. No other timer of the namespace can be at `to`, so nothing else changes.
   */
  private moveHeld(
    domain: TimeDomain,
    key: Key | undefined,
    namespace: string,
    from: number,
    to: number,
    slot: Slot,
    holder: Holder,
  ): void {
    const e = holder[HELD]
    if (
      e !== undefined &&
      e.owner === this.id &&
      e.where >= 0 &&
      !e.mapped &&
      e.timestamp === from &&
      e.slot === slot &&
      e.namespace === namespace &&
      e.domain === domain
    ) {
      e.timestamp = to
      e.seq = this.seq++
      if (to >= from) this.queues[domain].delay(e)
      else this.queues[domain].update(e)
      return
    }
    this.move(domain, key, namespace, from, to, slot)
    const bucket = this.live[domain].get(slot)
    holder[HELD] = bucket && find(bucket, namespace, to)
  }

  /** HeldTimers.keep (for ScopedHeldTimers). */
  keep(books: TimerBooks): void {
    if (!this.books.includes(books)) this.books.push(books)
  }

  /**
   * Settles the books of held timers (TimerBooks.settle) for event-time timers up to `upTo`: done
   * here before they are polled, and for all of them before a snapshot; the runner calls it before
   * it snapshots the keyed state too, which the books may also keep part of.
   */
  settle(upTo = Number.POSITIVE_INFINITY): void {
    const books = this.books
    for (let i = 0; i < books.length; i++) books[i]!.settle(upTo)
  }

  /** HeldTimers.ticket (for ScopedHeldTimers). */
  ticket(): number {
    return this.seq++
  }

  /** HeldTimers.hold for the key of `slot` (for ScopedHeldTimers). */
  holdEvent(holder: object, slot: Slot, namespace: string, timestamp: number): HeldTimer | undefined {
    const h = holder as Holder
    let e = h[HELD]
    if (
      e === undefined ||
      e.owner !== this.id ||
      e.where < 0 ||
      e.timestamp !== timestamp ||
      e.slot !== slot ||
      e.namespace !== namespace ||
      e.domain !== 'event'
    ) {
      const bucket = this.live.event.get(slot)
      e = bucket && find(bucket, namespace, timestamp)
      if (e === undefined) return undefined
      h[HELD] = e
    }
    return e as unknown as HeldTimer
  }

  /** HeldTimers.moveLater (for ScopedHeldTimers). */
  moveHeldLater(timer: HeldTimer, to: number, ticket: number): void {
    const e = timer as unknown as Entry
    if (e.where < 0 || e.owner !== this.id) return
    if (e.mapped) {
      // Filed in its key's Map under its time: filed again (the bucket stays a Map while it is in it).
      const bucket = this.live.event.get(e.slot) as Map<string, Entry>
      bucket.delete(composite(e.namespace, e.timestamp))
      bucket.set(composite(e.namespace, to), e)
    }
    e.timestamp = to
    e.seq = ticket
    // Later: filed again only when it comes up (see move()).
    this.queues.event.delay(e)
  }

  private unindex(entry: Entry): void {
    const index = this.live[entry.domain]
    const bucket = index.get(entry.slot)!
    this.count--
    if (bucket instanceof Map) {
      bucket.delete(composite(entry.namespace, entry.timestamp))
      if (bucket.size === 0) index.delete(entry.slot)
    } else if (Array.isArray(bucket)) {
      const i = bucket.indexOf(entry)
      const last = bucket.pop()!
      if (i < bucket.length) bucket[i] = last
      if (bucket.length === 1) index.set(entry.slot, bucket[0]!)
    } else index.delete(entry.slot)
  }

  /** Removes and returns the earliest live timer of `domain` with timestamp ≤ `upTo`. */
  pollDue(domain: TimeDomain, upTo: number): Timer | undefined {
    if (domain === 'event' && this.books.length > 0) this.settle(upTo)
    const queue = this.queues[domain]
    const top = queue.peek(upTo)
    if (top === undefined || top.timestamp > upTo) return undefined
    queue.pop(top)
    this.unindex(top)
    return top
  }

  /** Earliest live timestamp of `domain`, or undefined. */
  next(domain: TimeDomain): number | undefined {
    if (domain === 'event') this.settle()
    return this.queues[domain].peek()?.timestamp
  }

  get size(): number {
    return this.count
  }

  /** Live timers in firing order per domain (event first), as plain data. */
  snapshot(): Plain {
    this.settle()
    const entries: Entry[] = []
    for (const index of [this.live.event, this.live.processing])
      for (const bucket of index.values())
        if (bucket instanceof Map) entries.push(...bucket.values())
        else if (Array.isArray(bucket)) entries.push(...bucket)
        else entries.push(bucket)
    entries.sort((a, b) => (a.domain !== b.domain ? (a.domain === 'event' ? -1 : 1) : before(a, b) ? -1 : 1))
    return toPlain(entries.map((e) => [e.domain, e.key, e.namespace, e.timestamp]))
  }

  restore(snapshot: Plain): void {
    // Books of held timers are of timers that are gone.
    for (const b of this.books) b.drop()
    this.books = []
    // Timers held by holders (moveHeld) are no longer queued.
    for (const index of [this.live.event, this.live.processing])
      for (const bucket of index.values())
        if (bucket instanceof Map) for (const e of bucket.values()) e.where = -1
        else if (Array.isArray(bucket)) for (const e of bucket) e.where = -1
        else bucket.where = -1
    this.live.event.clear()
    this.live.processing.clear()
    this.count = 0
    this.queues.event = new TimerQueue<Entry>()
    this.queues.processing = new TimerQueue<Entry>()
    for (const [domain, key, namespace, ts] of fromPlain(snapshot) as [TimeDomain, Key, string, number][])
      this.register(domain, key, namespace, ts)
  }

  /**
   * A TimerService bound to whatever key `scope` holds at call time (the keyed state backend, which
   * also holds the key's slot).
   */
  scoped(scope: KeyScope): TimerService & {
    [MOVE_HELD]: MoveHeld
    [HELD_TIMERS]: HeldTimers
  } {
    const moveHeld: MoveHeld = (holder, from, to, ns) =>
      this.moveHeld('event', scope.key, ns, from, to, scope.slot, holder)
    return {
      [MOVE_HELD]: moveHeld,
      [HELD_TIMERS]: new ScopedHeldTimers(this, scope),
      registerEventTimeTimer: (ts, ns = '') => this.register('event', scope.key, ns, ts, scope.slot),
      registerProcessingTimeTimer: (ts, ns = '') =>
        this.register('processing', scope.key, ns, ts, scope.slot),
      deleteEventTimeTimer: (ts, ns = '') => this.delete('event', scope.key, ns, ts, scope.slot),
      deleteProcessingTimeTimer: (ts, ns = '') => this.delete('processing', scope.key, ns, ts, scope.slot),
      moveEventTimeTimer: (from, to, ns = '') => this.move('event', scope.key, ns, from, to, scope.slot),
      moveProcessingTimeTimer: (from, to, ns = '') =>
        this.move('processing', scope.key, ns, from, to, scope.slot),
    }
  }
}

/** The key a scoped TimerService files timers under (the keyed state backend holds it). */
type KeyScope = { readonly key: Key | undefined; readonly slot: Slot }

/** HeldTimers of one TimerQueues for the current key of `scope`. A class: calls to it inline. */
class ScopedHeldTimers implements HeldTimers {
  private readonly queues: TimerQueues
  private readonly scope: KeyScope

  constructor(queues: TimerQueues, scope: KeyScope) {
    this.queues = queues
    this.scope = scope
  }

  keep(books: TimerBooks): void {
    this.queues.keep(books)
  }

  ticket(): number {
    return this.queues.ticket()
  }

  hold(holder: object, namespace: string, timestamp: number): HeldTimer | undefined {
    return this.queues.holdEvent(holder, this.scope.slot, namespace, timestamp)
  }

  moveLater(timer: HeldTimer, to: number, ticket: number): void {
    this.queues.moveHeldLater(timer, to, ticket)
  }
}
