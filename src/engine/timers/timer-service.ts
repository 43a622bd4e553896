// Timers of one operator instance, Flink's InternalTimerService: per key (and an optional namespace,
// which window operators set to the window), in event time and processing time. A timer is
// identified by (domain, key, namespace, timestamp), so registering it twice is one timer. Timers
// come out in timestamp order (ties in registration order) when the runner advances the watermark
// or processing time; a timer registered while firing is due in the same advance if its time has
// passed. Deleting or moving a timer (as a session window does whenever it grows) costs no new entry
// and leaves nothing to pop later: the queue (timers/queue.ts) drops it from its heap at once, or
// skips its old slot in a sorted run when it gets there.
import type { Key, TimeDomain } from '../model/record.ts'
import { type Plain, fromPlain, toPlain } from '../serde/plain.ts'
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

export class TimerQueues {
  private readonly queues = { event: new TimerQueue<Entry>(), processing: new TimerQueue<Entry>() }
  /** Live timers per domain by key slot. */
  private readonly live: Record<TimeDomain, Map<Slot, Bucket>> = { event: new Map(), processing: new Map() }
  private count = 0
  private seq = 0

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
    const entry: Entry = { domain, key, namespace, timestamp, slot, seq: this.seq++, pos: -1, where: -1 }
    if (bucket === undefined) index.set(slot, entry)
    else if (bucket instanceof Map) bucket.set(composite(namespace, timestamp), entry)
    else if (!Array.isArray(bucket)) index.set(slot, [bucket, entry])
    else if (bucket.length < SMALL) bucket.push(entry)
    else {
      const map = new Map<string, Entry>()
      for (const e of bucket) map.set(composite(e.namespace, e.timestamp), e)
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
    this.queues[domain].update(entry)
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
    const queue = this.queues[domain]
    const top = queue.peek()
    if (top === undefined || top.timestamp > upTo) return undefined
    queue.pop(top)
    this.unindex(top)
    return top
  }

  /** Earliest live timestamp of `domain`, or undefined. */
  next(domain: TimeDomain): number | undefined {
    return this.queues[domain].peek()?.timestamp
  }

  get size(): number {
    return this.count
  }

  /** Live timers in firing order per domain (event first), as plain data. */
  snapshot(): Plain {
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
  scoped(scope: { readonly key: Key | undefined; readonly slot: Slot }): TimerService {
    return {
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
