// What operators see of keyed state: Flink's five state kinds, each obtained from a descriptor
// (name + kind-specific functions + optional TTL) and always scoped to the operator's current key.
// Interfaces only; state/backend.ts implements them over in-memory tables.
import type { AggregateFunction } from '../model/functions.ts'
import type { Key } from '../model/record.ts'

export interface StateDescriptor {
  /** Unique per operator; the same name must always be requested as the same kind. */
  name: string
  /**
   * Time to live in milliseconds of processing time, counted from the last write (Flink's
   * OnCreateAndWrite). An expired value reads as absent and is removed when touched or snapshotted.
   */
  ttl?: number
}

export interface ReducingStateDescriptor<T> extends StateDescriptor {
  reduce(a: T, b: T): T
}

export interface AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor {
  aggregate: AggregateFunction<IN, ACC, OUT>
}

export interface ValueState<T> {
  value(): T | undefined
  /** Writing undefined clears. */
  update(value: T | undefined): void
  clear(): void
}

/** With a TTL, each element expires on its own. */
export interface ListState<T> {
  get(): T[]
  add(value: T): void
  addAll(values: Iterable<T>): void
  update(values: Iterable<T>): void
  clear(): void
}

/** With a TTL, each entry expires on its own. Iteration follows insertion order. */
export interface MapState<K extends Key, V> {
  get(key: K): V | undefined
  put(key: K, value: V): void
  remove(key: K): void
  contains(key: K): boolean
  entries(): [K, V][]
  keys(): K[]
  values(): V[]
  size(): number
  isEmpty(): boolean
  clear(): void
}

export interface ReducingState<T> {
  get(): T | undefined
  add(value: T): void
  clear(): void
}

export interface AggregatingState<IN, OUT> {
  get(): OUT | undefined
  add(value: IN): void
  clear(): void
}

/** The factory operators get as `ctx.state`. Handles are cached: same name, same handle. */
export interface KeyedState {
  value<T>(descriptor: StateDescriptor): ValueState<T>
  list<T>(descriptor: StateDescriptor): ListState<T>
  map<K extends Key, V>(descriptor: StateDescriptor): MapState<K, V>
  reducing<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>
  aggregating<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>
}
