// The interval join's cleanup schedule for one side: which keys' buffers hold elements at which
// timestamp, earliest first. It replaces a timer per buffered timestamp (an entry object, a per-key
// index and a heap entry each): buffers are grouped by timestamp, so there is one heap entry per
// distinct timestamp, and a run of entries at the same timestamp (the common case, as timestamps
// advance in steps) costs an array push each. It is not snapshotted: the operator rebuilds it from
// its keyed state on restore, so it splits by key exactly as that state does.
export class CleanupQueue<T> {
  /** Distinct timestamps, a binary min-heap. */
  private readonly times: number[] = []
  private readonly groups = new Map<number, T[]>()
  /** The group the last add went to (elements arrive mostly in timestamp order). */
  private lastTime = Number.NaN
  private lastGroup: T[] = []

  get size(): number {
    return this.times.length
  }

  /** Adds `item` at `time`; an item is added once per time (the caller knows whether it is new). */
  add(time: number, item: T): void {
    if (time === this.lastTime) {
      this.lastGroup.push(item)
      return
    }
    let group = this.groups.get(time)
    if (group === undefined) {
      group = []
      this.groups.set(time, group)
      this.push(time)
    }
    group.push(item)
    this.lastTime = time
    this.lastGroup = group
  }

  /** The earliest timestamp, or undefined. */
  peek(): number | undefined {
    return this.times[0]
  }

  /** Removes the earliest timestamp and returns its items. */
  pop(): T[] {
    const times = this.times
    const top = times[0]!
    const last = times.pop()!
    if (times.length > 0) this.down(last)
    if (top === this.lastTime) this.lastTime = Number.NaN
    const group = this.groups.get(top)!
    this.groups.delete(top)
    return group
  }

  clear(): void {
    this.times.length = 0
    this.groups.clear()
    this.lastTime = Number.NaN
  }

  private push(time: number): void {
    const times = this.times
    let i = times.length
    times.push(time)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = times[parent]!
      if (p <= time) break
      times[i] = p
      i = parent
    }
    times[i] = time
  }

  /** Puts `time` in place of the root and sifts it down. */
  private down(time: number): void {
    const times = this.times
    const n = times.length
    let i = 0
    for (;;) {
      let child = 2 * i + 1
      if (child >= n) break
      if (child + 1 < n && times[child + 1]! < times[child]!) child++
      const c = times[child]!
      if (time <= c) break
      times[i] = c
      i = child
    }
    times[i] = time
  }
}
