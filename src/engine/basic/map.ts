// map, filter and flatMap: stateless per-record functions. Timestamp and key pass through unchanged.
import type { StreamRecord } from '../model/record.ts'
import type { Operator, OperatorContext } from '../operator/operator.ts'

export interface MapConfig<I = unknown, O = unknown> {
  map(value: I, record: StreamRecord<I>): O
}

export interface FilterConfig<T = unknown> {
  filter(value: T, record: StreamRecord<T>): boolean
}

export interface FlatMapConfig<I = unknown, O = unknown> {
  flatMap(value: I, record: StreamRecord<I>): Iterable<O>
}

function withValue<I, O>(r: StreamRecord<I>, value: O): StreamRecord<O> {
  const out: StreamRecord<O> = { value, timestamp: r.timestamp }
  if (r.key !== undefined) out.key = r.key
  if (r.partition !== undefined) out.partition = r.partition
  return out
}

export class MapOperator<I, O> implements Operator<I, O> {
  private readonly config: MapConfig<I, O>
  constructor(config: MapConfig<I, O>) {
    this.config = config
  }
  processBatch(batch: readonly StreamRecord<I>[], ctx: OperatorContext<O>): void {
    for (const r of batch) ctx.emit(withValue(r, this.config.map(r.value, r)))
  }
}

export class FilterOperator<T> implements Operator<T, T> {
  private readonly config: FilterConfig<T>
  constructor(config: FilterConfig<T>) {
    this.config = config
  }
  processBatch(batch: readonly StreamRecord<T>[], ctx: OperatorContext<T>): void {
    for (const r of batch) if (this.config.filter(r.value, r)) ctx.emit(r)
  }
}

export class FlatMapOperator<I, O> implements Operator<I, O> {
  private readonly config: FlatMapConfig<I, O>
  constructor(config: FlatMapConfig<I, O>) {
    this.config = config
  }
  processBatch(batch: readonly StreamRecord<I>[], ctx: OperatorContext<O>): void {
    for (const r of batch) for (const v of this.config.flatMap(r.value, r)) ctx.emit(withValue(r, v))
  }
}
