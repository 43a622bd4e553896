// Aggregate functions for windows: count, sum, min, max, avg, reduce-style and custom ones, and
// combine() to compute several at once. Each is the engine's AggregateFunction (incremental: one
// accumulator per window and key, merged for sessions), so accumulators must be plain data; they
// are part of checkpoints.
import type { AggregateFunction } from '../engine/index.ts'

export type { AggregateFunction }

/** Number of elements. */
export function count(): AggregateFunction<unknown, number, number> {
  return {
    createAccumulator: () => 0,
    add: (_v, acc) => acc + 1,
    getResult: (acc) => acc,
    merge: (a, b) => a + b,
  }
}

const self = (v: unknown): number => v as number

/** Sum of the numbers, or of `of(value)`. */
export function sum(): AggregateFunction<number, number, number>
export function sum<T>(of: (value: T) => number): AggregateFunction<T, number, number>
export function sum<T>(of: (value: T) => number = self): AggregateFunction<T, number, number> {
  return {
    createAccumulator: () => 0,
    add: (v, acc) => acc + of(v),
    getResult: (acc) => acc,
    merge: (a, b) => a + b,
  }
}

/** Smallest of the numbers, or of `of(value)`. */
export function min(): AggregateFunction<number, number, number>
export function min<T>(of: (value: T) => number): AggregateFunction<T, number, number>
export function min<T>(of: (value: T) => number = self): AggregateFunction<T, number, number> {
  return {
    createAccumulator: () => Number.POSITIVE_INFINITY,
    add: (v, acc) => Math.min(acc, of(v)),
    getResult: (acc) => acc,
    merge: (a, b) => Math.min(a, b),
  }
}

/** Largest of the numbers, or of `of(value)`. */
export function max(): AggregateFunction<number, number, number>
export function max<T>(of: (value: T) => number): AggregateFunction<T, number, number>
export function max<T>(of: (value: T) => number = self): AggregateFunction<T, number, number> {
  return {
    createAccumulator: () => Number.NEGATIVE_INFINITY,
    add: (v, acc) => Math.max(acc, of(v)),
    getResult: (acc) => acc,
    merge: (a, b) => Math.max(a, b),
  }
}

interface AvgAcc {
  sum: number
  count: number
}

/** Mean of the numbers, or of `of(value)`. */
export function avg(): AggregateFunction<number, AvgAcc, number>
export function avg<T>(of: (value: T) => number): AggregateFunction<T, AvgAcc, number>
export function avg<T>(of: (value: T) => number = self): AggregateFunction<T, AvgAcc, number> {
  return {
    createAccumulator: () => ({ sum: 0, count: 0 }),
    add: (v, acc) => {
      acc.sum += of(v)
      acc.count++
      return acc
    },
    getResult: (acc) => (acc.count === 0 ? Number.NaN : acc.sum / acc.count),
    merge: (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }),
  }
}

/** Folds the elements with `combine` (which must be associative: session windows merge partial results). */
export function reduce<T>(combine: (a: T, b: T) => T): AggregateFunction<T, T | undefined, T> {
  return {
    createAccumulator: () => undefined,
    add: (v, acc) => (acc === undefined ? v : combine(acc, v)),
    getResult: (acc) => acc as T,
    merge: (a, b) => (a === undefined ? b : b === undefined ? a : combine(a, b)),
  }
}

/** A custom aggregate function, typed: `aggregate({ createAccumulator, add, getResult, merge })`. */
export function aggregate<T, ACC, R>(fn: AggregateFunction<T, ACC, R>): AggregateFunction<T, ACC, R> {
  return fn
}

type AccOf<F> = F extends { createAccumulator(): infer A } ? A : never
type ResultOf<F> = F extends { getResult(acc: never): infer R } ? R : never

/** Several aggregates of the same elements at once: combine({ n: count(), total: sum(o => o.amount) }). */
export function combine<T, S extends Record<string, AggregateFunction<T, unknown, unknown>>>(
  parts: S,
): AggregateFunction<T, { [K in keyof S]: AccOf<S[K]> }, { [K in keyof S]: ResultOf<S[K]> }> {
  const names = Object.keys(parts) as (keyof S & string)[]
  type Acc = { [K in keyof S]: AccOf<S[K]> }
  type Out = { [K in keyof S]: ResultOf<S[K]> }
  const each = (f: (name: keyof S & string, part: AggregateFunction<T, unknown, unknown>) => unknown) => {
    const out: Record<string, unknown> = {}
    for (const name of names) out[name] = f(name, parts[name]!)
    return out
  }
  return {
    createAccumulator: () => each((_n, p) => p.createAccumulator()) as Acc,
    add: (v, acc) => each((n, p) => p.add(v, acc[n])) as Acc,
    getResult: (acc) => each((n, p) => p.getResult(acc[n])) as Out,
    merge: (a, b) => each((n, p) => p.merge(a[n], b[n])) as Acc,
  }
}
