// ValueState: one value per key.
import type { ValueState } from './descriptors.ts'
import type { StateTable } from './table.ts'

export class ValueStateHandle<T> implements ValueState<T> {
  private readonly table: StateTable

  constructor(table: StateTable) {
    this.table = table
  }

  value(): T | undefined {
    return this.table.liveCell<T>()?.v
  }

  update(value: T | undefined): void {
    if (value === undefined) this.table.delete()
    else this.table.set({ v: value, t: this.table.now() })
  }

  clear(): void {
    this.table.delete()
  }
}
