// A binary min-heap whose items know their position, so that any item can be removed or re-keyed in
// O(log n): timers must come out in timestamp order however they went in, and deleted timers (a
// session window moving its end with every element) must not pile up in the heap until their time
// comes.
export interface HeapItem {
  /** Index in the heap's array while queued, -1 otherwise. Maintained by the heap. */
  pos: number
}

export class Heap<T extends HeapItem> {
  private readonly items: T[] = []
  private readonly less: (a: T, b: T) => boolean

  constructor(less: (a: T, b: T) => boolean) {
    this.less = less
  }

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    item.pos = this.items.length
    this.items.push(item)
    this.up(item.pos)
  }

  pop(): T | undefined {
    const top = this.items[0]
    if (top !== undefined) this.removeAt(0)
    return top
  }

  /** Restores the order after `item`'s sort key changed in place. */
  update(item: T): void {
    const i = item.pos
    if (i > 0 && this.less(item, this.items[(i - 1) >> 1]!)) this.up(i)
    else this.down(i)
  }

  /** Removes `item` if it is queued here. */
  remove(item: T): void {
    const i = item.pos
    if (i >= 0 && this.items[i] === item) this.removeAt(i)
  }

  private removeAt(i: number): void {
    const items = this.items
    const item = items[i]!
    const last = items.pop()!
    item.pos = -1
    if (i === items.length) return
    items[i] = last
    last.pos = i
    // The moved item may belong above or below its new place.
    if (i > 0 && this.less(last, items[(i - 1) >> 1]!)) this.up(i)
    else this.down(i)
  }

  private up(i: number): void {
    const items = this.items
    const item = items[i]!
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = items[parent]!
      if (!this.less(item, p)) break
      items[i] = p
      p.pos = i
      i = parent
    }
    items[i] = item
    item.pos = i
  }

  private down(i: number): void {
    const items = this.items
    const n = items.length
    const item = items[i]!
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const m = r < n && this.less(items[r]!, items[l]!) ? r : l
      const child = items[m]!
      if (!this.less(child, item)) break
      items[i] = child
      child.pos = i
      i = m
    }
    items[i] = item
    item.pos = i
  }
}
