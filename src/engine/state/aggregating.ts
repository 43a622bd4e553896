// AggregatingState: an accumulator per key; reads return the aggregate's result.
import type { AggregatingState, AggregatingStateDescriptor } from './descriptors.ts'
import type { StateTable } from './table.ts'

export class AggregatingStateHandle<IN, ACC, OUT> implements AggregatingState<IN, OUT> {
  private readonly table: StateTable
  private readonly descriptor: AggregatingStateDescriptor<IN, ACC, OUT>

  constructor(table: StateTable, descriptor: AggregatingStateDescriptor<IN, ACC, OUT>) {
    this.table = table
    this.descriptor = descriptor
  }

  get(): OUT | undefined {
    const cell = this.table.liveCell<ACC>()
    return cell === undefined ? undefined : this.descriptor.aggregate.getResult(cell.v)
  }

  add(value: IN): void {
    const agg = this.descriptor.aggregate
    const cell = this.table.liveCell<ACC>()
    const acc = agg.add(value, cell === undefined ? agg.createAccumulator() : cell.v)
    this.table.set({ v: acc, t: this.table.now() })
  }

  clear(): void {
    this.table.delete()
  }
}
