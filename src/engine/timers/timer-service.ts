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
  id: string
  seq: number
  dead: boolean
}

const before = (a: Entry, b: Entry) =>
  a.timer.timestamp < b.timer.timestamp || (a.timer.timestamp === b.timer.timestamp && a.seq < b.seq)

function timerId(domain: TimeDomain, key: Key | undefined, namespace: string, timestamp: number): string {
  return `${domain === 'event' ? 'e' : 'p'}${timestamp}|${namespace.length}:${namespace}${keyId(key)}`
}

export class TimerQueues {
  private readonly queues = { event: new Heap<Entry>(before), processing: new Heap<Entry>(before) }
  private readonly live = new Map<string, Entry>()
  private seq = 0

  register(domain: TimeDomain, key: Key | undefined, namespace: string, timestamp: number): void {
    const id = timerId(domain, key, namespace, timestamp)
    if (this.live.has(id)) return
    const entry: Entry = { timer: { domain, key, namespace, timestamp }, id, seq: this.seq++, dead: false }
    this.live.set(id, entry)
    this.queues[domain].push(entry)
  }

  delete(domain: TimeDomain, key: Key | undefined, namespace: string, timestamp: number): void {
    const id = timerId(domain, key, namespace, timestamp)
    const entry = this.live.get(id)
    if (entry === undefined) return
    entry.dead = true
    this.live.delete(id)
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
      this.live.delete(top.id)
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
    return this.live.size
  }

  /** Live timers in firing order per domain (event first), as plain data. */
  snapshot(): Plain {
    const entries = [...this.live.values()].sort((a, b) =>
      a.timer.domain !== b.timer.domain ? (a.timer.domain === 'event' ? -1 : 1) : before(a, b) ? -1 : 1,
    )
    return toPlain(entries.map((e) => [e.timer.domain, e.timer.key, e.timer.namespace, e.timer.timestamp]))
  }

  restore(snapshot: Plain): void {
    this.live.clear()
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
