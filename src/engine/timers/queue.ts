// The order timers fire in: by (timestamp, seq), earliest first. Most timers are registered in
// timestamp order, or in a few interleaved orders (an interval join's two sides, a window per
// element), so a timer whose time is at or after the last one of a sorted run is appended to that
// run (O(1)), and only the others go into a heap (O(log n) with a cache miss per level). The next
// timer is the least of the heap's top and the runs' heads. A removed timer leaves a dead slot in
// its run, skipped when the head reaches it.
//
// An item that moves later (a growing session's timer moves with every element) stays where it is,
// filed under its old place (queuedAt, queuedSeq), until it comes up as the least: only then is it
// filed again under its current (timestamp, seq). Items are never filed later than they are, so the
// least item filed where it is, is the least of all.
import { Heap } from './heap.ts'

export interface QueueItem {
  timestamp: number
  /** Tie-breaker: registration order. */
  seq: number
  /** (timestamp, seq) when the item was filed: where it sits in its run or the heap. Set by the queue. */
  queuedAt: number
  queuedSeq: number
  /** Index in its container, maintained by the queue. */
  pos: number
  /** Its container: -1 none, 0 the heap, r + 1 run r. */
  where: number
}

/** Sorted runs kept at most (each costs one comparison per poll). */
const RUNS = 4

class Run<T extends QueueItem> {
  items: T[] = []
  head = 0
  /** (queuedAt, queuedSeq) of the last item appended (live or not): the run is sorted up to it. */
  last = Number.NEGATIVE_INFINITY
  lastSeq = Number.NEGATIVE_INFINITY
  readonly id: number

  constructor(id: number) {
    this.id = id
  }

  /** The first live item, dropping dead slots before it. */
  peek(): T | undefined {
    const items = this.items
    while (this.head < items.length) {
      const item = items[this.head]!
      if (item.where === this.id && item.pos === this.head) return item
      this.head++
    }
    if (this.head > 0) this.reset()
    return undefined
  }

  push(item: T): void {
    item.where = this.id
    item.pos = this.items.length
    this.items.push(item)
    this.last = item.queuedAt
    this.lastSeq = item.queuedSeq
  }

  /** Whether `item` (filed at its current time) may be appended without breaking the order. */
  takes(item: QueueItem): boolean {
    return this.last < item.timestamp || (this.last === item.timestamp && this.lastSeq < item.seq)
  }

  /** Whether this run's last item comes after `other`'s. */
  endsAfter(other: Run<T>): boolean {
    return this.last > other.last || (this.last === other.last && this.lastSeq > other.lastSeq)
  }

  /** Takes the head (which peek() just returned). */
  shift(): void {
    this.items[this.head]!.where = -1
    this.head++
    if (this.head === this.items.length) this.reset()
    else if (this.head >= 1024 && this.head * 2 >= this.items.length) this.compact()
  }

  private reset(): void {
    this.items = []
    this.head = 0
  }

  /** Drops the consumed prefix, renumbering the live items. */
  private compact(): void {
    const rest = this.items.slice(this.head)
    for (let i = 0; i < rest.length; i++) {
      const item = rest[i]!
      if (item.where === this.id && item.pos === this.head + i) item.pos = i
    }
    this.items = rest
    this.head = 0
  }
}

/** Order of filing (see the top of this file). */
const before = (a: QueueItem, b: QueueItem): boolean =>
  a.queuedAt < b.queuedAt || (a.queuedAt === b.queuedAt && a.queuedSeq < b.queuedSeq)

export class TimerQueue<T extends QueueItem> {
  private readonly heap = new Heap<T>(before)
  private readonly runs: Run<T>[] = []

  push(item: T): void {
    item.queuedAt = item.timestamp
    item.queuedSeq = item.seq
    // The run that fits best: the latest last item not after this one.
    let best: Run<T> | undefined
    for (const run of this.runs)
      if (run.takes(item) && (best === undefined || run.endsAfter(best))) best = run
    if (best === undefined && this.runs.length < RUNS)
      this.runs.push((best = new Run<T>(this.runs.length + 1)))
    if (best !== undefined) best.push(item)
    else {
      item.where = 0
      this.heap.push(item)
    }
  }

  /**
   * The least item; or, when that is after `upTo`, possibly another item after `upTo` (items filed
   * after `upTo` are not filed again to find out which is least: nothing is due by then anyway).
   */
  peek(upTo = Number.POSITIVE_INFINITY): T | undefined {
    for (;;) {
      let min = this.heap.peek()
      for (const run of this.runs) {
        const head = run.peek()
        if (head !== undefined && (min === undefined || before(head, min))) min = head
      }
      if (min === undefined || min.queuedAt > upTo) return min
      if (min.queuedAt === min.timestamp && min.queuedSeq === min.seq) return min
      // Moved later since it was filed: file it where it is now.
      this.pop(min)
      this.push(min)
    }
  }

  /** Removes the item peek() returned. */
  pop(item: T): void {
    if (item.where === 0) {
      this.heap.pop()
      item.where = -1
    } else this.runs[item.where - 1]!.shift()
  }

  remove(item: T): void {
    if (item.where === 0) this.heap.remove(item)
    // In a run the slot goes dead by itself: the item no longer says it is there.
    item.where = -1
  }

  /** Re-files `item` after its timestamp or seq changed. */
  update(item: T): void {
    if (item.where === 0) {
      item.queuedAt = item.timestamp
      item.queuedSeq = item.seq
      this.heap.update(item)
    } else {
      this.remove(item)
      this.push(item)
    }
  }

  /**
   * `item`'s (timestamp, seq) changed to a later one: it is left where it is, to be filed again
   * when it comes up (see the top of this file).
   */
  delay(item: T): void {
    if (item.where < 0) this.push(item)
  }
}
