// ListState: an append-mostly list per key; with a TTL every element carries its own write time.
import type { ListState } from './descriptors.ts'
import type { Cell, StateTable } from './table.ts'

export class ListStateHandle<T> implements ListState<T> {
  private readonly table: StateTable

  constructor(table: StateTable) {
    this.table = table
  }

  private live(): Cell<T>[] | undefined {
    const cells = this.table.get<Cell<T>[]>()
    if (cells === undefined || this.table.ttl === undefined) return cells
    const now = this.table.now()
    const live = cells.filter((c) => !this.table.expired(c.t, now))
    if (live.length === cells.length) return cells
    if (live.length === 0) {
      this.table.delete()
      return undefined
    }
    this.table.set(live)
    return live
  }

  get(): T[] {
    return this.live()?.map((c) => c.v) ?? []
  }

  add(value: T): void {
    this.addAll([value])
  }

  addAll(values: Iterable<T>): void {
    const t = this.table.now()
    const added = Array.from(values, (v) => ({ v, t }))
    if (added.length === 0) return
    const cells = this.live()
    if (cells) cells.push(...added)
    else this.table.set(added)
  }

  update(values: Iterable<T>): void {
    this.table.delete()
    this.addAll(values)
  }

  clear(): void {
    this.table.delete()
  }
}
