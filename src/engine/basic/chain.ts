// Operator chaining (Flink's): a run of stateless one-in-one-out operators (map, filter, flatMap,
// keyBy, a union of one input) after another operator runs inside that operator's emit, instead
// of as runners of their own with a batch array and a call per hop. plan/local-graph.ts decides
// what to fuse; this file turns each fused node into a step and composes them. The result is the
// same records, in the same order and batches, as the unfused operators produce (basic/map.ts,
// basic/key-by.ts).
//
// A step that makes records (map, flatMap, keyBy) and is followed by another that makes records,
// or by a filter, passes on a temporary record that nothing keeps: once the chain is inlined into
// its head's loop the compiler drops it (escape analysis), so a record dropped later costs no
// allocation. (A long-lived scratch record would cost a write barrier per record instead: it is old
// and the values put into it are young.) The last one allocates the records that leave the chain;
// if a filter follows it, the end of the chain copies the survivors instead. Every emitted record
// is its own object. The record a chained function receives as its second argument is valid only
// during the call (the typed API never passes it on to user code).
import type { Key, StreamRecord } from '../model/record.ts'
import { partitionFor } from '../partitioning/partition.ts'
import type { PlanNode } from '../plan/plan.ts'
import type { KeyByConfig } from './key-by.ts'
import type { FilterConfig, FlatMapConfig, MapConfig } from './map.ts'

export type Emit = (record: StreamRecord) => void

/** Builds what the chain's head emits into, given what its last step emits into. */
export type Chain = (out: Emit) => Emit

/** A step, given what follows it and whether it must emit fresh records instead of temporary ones. */
type Step = (next: Emit, fresh: boolean) => Emit

/** A temporary record: all four fields (one shape for every step), for the next step only. */
function temporary(
  value: unknown,
  timestamp: number,
  key: StreamRecord['key'],
  partition: number | undefined,
): StreamRecord {
  return { value, timestamp, key, partition }
}

/** A new record, with key and partition only when set (as map and flatMap make them). */
function record(value: unknown, timestamp: number, key: StreamRecord['key'], partition: number | undefined) {
  const out: StreamRecord = { value, timestamp }
  if (key !== undefined) out.key = key
  if (partition !== undefined) out.partition = partition
  return out
}

/** The node kinds that can be fused (a union only where it has one input: then it passes records on). */
export function chainable(node: PlanNode): boolean {
  switch (node.operator) {
    case 'map':
    case 'filter':
    case 'flatMap':
    case 'keyBy':
    case 'union':
      return true
    default:
      return false
  }
}

interface ChainStep {
  step: Step
  /** Makes new records (map, flatMap, keyBy), rather than passing records on (filter, union). */
  makes: boolean
}

// The closures below capture parameters of the functions that make them, not block-scoped
// constants: reading a `const` of an enclosing block from a closure costs a hole check per call.

function mapStep(c: MapConfig, next: Emit, fresh: boolean): Emit {
  if (fresh) return (r) => next(record(c.map(r.value, r), r.timestamp, r.key, r.partition))
  return (r) => next(temporary(c.map(r.value, r), r.timestamp, r.key, r.partition))
}

function filterStep(c: FilterConfig, next: Emit): Emit {
  return (r) => {
    if (c.filter(r.value, r)) next(r)
  }
}

/** A filter that ends the chain after a step that made temporaries: survivors leave as copies. */
function filterCopyStep(c: FilterConfig, out: Emit, keyed: boolean): Emit {
  if (keyed)
    return (r) => {
      if (c.filter(r.value, r))
        out({ value: r.value, timestamp: r.timestamp, key: r.key, partition: r.partition })
    }
  return (r) => {
    if (c.filter(r.value, r)) out(record(r.value, r.timestamp, r.key, r.partition))
  }
}

function flatMapStep(c: FlatMapConfig, next: Emit, fresh: boolean): Emit {
  if (fresh)
    return (r) => {
      const { timestamp, key, partition } = r
      for (const v of c.flatMap(r.value, r)) next(record(v, timestamp, key, partition))
    }
  return (r) => {
    const { timestamp, key, partition } = r
    for (const v of c.flatMap(r.value, r)) next(temporary(v, timestamp, key, partition))
  }
}

/** With one partition every number or string key hashes to 0 (partitionFor also refuses non-keys). */
function keyByStep(c: KeyByConfig, partitions: number, next: Emit, fresh: boolean): Emit {
  if (partitions !== 1) {
    if (fresh)
      return (r) => {
        const key = c.key(r.value, r)
        next({ value: r.value, timestamp: r.timestamp, key, partition: partitionFor(key, partitions) })
      }
    return (r) => {
      const key = c.key(r.value, r)
      next(temporary(r.value, r.timestamp, key, partitionFor(key, partitions)))
    }
  }
  if (fresh)
    return (r) => {
      const key = c.key(r.value, r)
      next({ value: r.value, timestamp: r.timestamp, key, partition: singlePartition(key) })
    }
  return (r) => {
    const key = c.key(r.value, r)
    next(temporary(r.value, r.timestamp, key, singlePartition(key)))
  }
}

function singlePartition(key: Key): number {
  return typeof key === 'string' || (typeof key === 'number' && !Number.isNaN(key)) ? 0 : partitionFor(key, 1)
}

function step(node: PlanNode): ChainStep {
  switch (node.operator) {
    case 'map':
      return { makes: true, step: (next, fresh) => mapStep(node.config, next, fresh) }
    case 'filter':
      return { makes: false, step: (next) => filterStep(node.config, next) }
    case 'flatMap':
      return { makes: true, step: (next, fresh) => flatMapStep(node.config, next, fresh) }
    case 'keyBy': {
      const partitions = node.config.partitions ?? 1
      partitionFor('', partitions) // validates, as KeyByOperator does
      return { makes: true, step: (next, fresh) => keyByStep(node.config, partitions, next, fresh) }
    }
    case 'union':
      return { makes: false, step: (next) => next }
    default:
      throw new Error(`operator kind '${node.operator}' cannot be chained`)
  }
}

/**
 * The chain of `nodes` (in data-flow order, each chainable). The last step that makes records
 * emits fresh ones when nothing can drop them after it; if a filter follows, it emits temporary
 * records and the end of the chain copies the survivors (with a keyBy's fields as it sets them).
 */
export function chainOf(nodes: readonly PlanNode[]): Chain {
  const steps = nodes.map(step)
  const last = steps.findLastIndex((s) => s.makes)
  const copyAtEnd = last >= 0 && nodes.slice(last + 1).some((n) => n.operator === 'filter')
  const keyedCopy = copyAtEnd && nodes[last]!.operator === 'keyBy'
  const end = nodes.length - 1
  // The usual end, a filter: it copies its survivors itself (one call less per record).
  const filterCopies = copyAtEnd && nodes[end]!.operator === 'filter'
  return (out) => {
    let next: Emit = out
    let i = end
    if (filterCopies) {
      next = filterCopyStep(nodes[end]!.config as FilterConfig, out, keyedCopy)
      i--
    } else if (keyedCopy)
      next = (r) => out({ value: r.value, timestamp: r.timestamp, key: r.key, partition: r.partition })
    else if (copyAtEnd) next = (r) => out(record(r.value, r.timestamp, r.key, r.partition))
    for (; i >= 0; i--) next = steps[i]!.step(next, i === last && !copyAtEnd)
    return next
  }
}
