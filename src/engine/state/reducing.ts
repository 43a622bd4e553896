// ReducingState: one value per key folded with a reduce function on every add.
import type { ReducingState, ReducingStateDescriptor } from './descriptors.ts'
import type { StateTable } from './table.ts'

export class ReducingStateHandle<T> implements ReducingState<T> {
  private readonly table: StateTable
  private readonly descriptor: ReducingStateDescriptor<T>

  constructor(table: StateTable, descriptor: ReducingStateDescriptor<T>) {
    this.table = table
    this.descriptor = descriptor
  }

  get(): T | undefined {
    return this.table.liveCell<T>()?.v
  }

  add(value: T): void {
    const cell = this.table.liveCell<T>()
    const v = cell === undefined ? value : this.descriptor.reduce(cell.v, value)
    this.table.set({ v, t: this.table.now() })
  }

  clear(): void {
    this.table.delete()
  }
}
