// Timers of one operator instance, Flink's InternalTimerService: per key (and an optional namespace,
// which window operators set to the window), in event time and processing time. A timer is
// identified by (domain, key, namespace, timestamp), so registering it twice is one timer. Timers
// come out in timestamp order (ties in registration order) when the runner advances the watermark
// or processing time; a timer registered while firing is due in the same advance if its time has
// passed. Deletion is lazy: the entry is marked dead and skipped when it reaches the top.
import type { Key, TimeDomain } from '../model/record.ts'
import { keyId } from '../serde/key.ts'
import { type Plain, fromPlain, toPlain } from '../serde/plain.ts'
import { Heap } from './heap.ts'

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
}

interface Entry {
  timer: Timer
  /** keyId(timer.key), the first level of the index. */
  kid: string
  seq: number
  dead: boolean
}

/** Live timers of one domain by key id, namespace and timestamp: no composite string per lookup. */
type Index = Map<string, Map<string, Map<number, Entry>>>

const before = (a: Entry, b: Entry) =>
  a.timer.timestamp < b.timer.timestamp || (a.timer.timestamp === b.timer.timestamp && a.seq < b.seq)

export class TimerQueues {
  private readonly queues = { event: new Heap<Entry>(before), processing: new Heap<Entry>(before) }
  private readonly live: Record<TimeDomain, Index> = { event: new Map(), processing: new Map() }
  private count = 0
  private seq = 0

  register(domain: TimeDomain, key: Key | undefined, namespace: string, timestamp: number): void {
    const kid = keyId(key)
    const index = this.live[domain]
    let byNs = index.get(kid)
    if (byNs === undefined) index.set(kid, (byNs = new Map()))
    let byTs = byNs.get(namespace)
    if (byTs === undefined) byNs.set(namespace, (byTs = new Map()))
    else if (byTs.has(timestamp)) return
    const entry: Entry = { timer: { domain, key, namespace, timestamp }, kid, seq: this.seq++, dead: false }
    byTs.set(timestamp, entry)
    this.count++
    this.queues[domain].push(entry)
  }

  delete(domain: TimeDomain, key: Key | undefined, namespace: string, timestamp: number): void {
    const entry = this.live[domain].get(keyId(key))?.get(namespace)?.get(timestamp)
    if (entry === undefined) return
    entry.dead = true
    this.unindex(entry)
  }

  private unindex(entry: Entry): void {
    const { domain, namespace, timestamp } = entry.timer
    const index = this.live[domain]
    const byNs = index.get(entry.kid)!
    const byTs = byNs.get(namespace)!
    byTs.delete(timestamp)
    this.count--
    if (byTs.size > 0) return
    byNs.delete(namespace)
    if (byNs.size === 0) index.delete(entry.kid)
  }

  /** Removes and returns the earliest live timer of `domain` with timestamp ≤ `upTo`. */
  pollDue(domain: TimeDomain, upTo: number): Timer | undefined {
    const queue = this.queues[domain]
    for (let top = queue.peek(); top !== undefined; top = queue.peek()) {
      if (top.dead) {
        queue.pop()
        continue
      }
      if (top.timer.timestamp > upTo) return undefined
      queue.pop()
      this.unindex(top)
      return top.timer
    }
    return undefined
  }

  /** Earliest live timestamp of `domain`, or undefined. */
  next(domain: TimeDomain): number | undefined {
    const queue = this.queues[domain]
    while (queue.peek()?.dead) queue.pop()
    return queue.peek()?.timer.timestamp
  }

  get size(): number {
    return this.count
  }

  /** Live timers in firing order per domain (event first), as plain data. */
  snapshot(): Plain {
    const entries: Entry[] = []
    for (const index of [this.live.event, this.live.processing])
      for (const byNs of index.values()) for (const byTs of byNs.values()) entries.push(...byTs.values())
    entries.sort((a, b) =>
      a.timer.domain !== b.timer.domain ? (a.timer.domain === 'event' ? -1 : 1) : before(a, b) ? -1 : 1,
    )
    return toPlain(entries.map((e) => [e.timer.domain, e.timer.key, e.timer.namespace, e.timer.timestamp]))
  }

  restore(snapshot: Plain): void {
    this.live.event.clear()
    this.live.processing.clear()
    this.count = 0
    this.queues.event = new Heap<Entry>(before)
    this.queues.processing = new Heap<Entry>(before)
    for (const [domain, key, namespace, ts] of fromPlain(snapshot) as [TimeDomain, Key, string, number][])
      this.register(domain, key, namespace, ts)
  }

  /** A TimerService bound to whatever key `currentKey` returns at call time. */
  scoped(currentKey: () => Key | undefined): TimerService {
    return {
      registerEventTimeTimer: (ts, ns = '') => this.register('event', currentKey(), ns, ts),
      registerProcessingTimeTimer: (ts, ns = '') => this.register('processing', currentKey(), ns, ts),
      deleteEventTimeTimer: (ts, ns = '') => this.delete('event', currentKey(), ns, ts),
      deleteProcessingTimeTimer: (ts, ns = '') => this.delete('processing', currentKey(), ns, ts),
    }
  }
}
