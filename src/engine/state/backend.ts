// Keyed state of one operator instance, in memory. The runner sets the current key before each
// element or timer; handles read and write that key's row. Processing time comes from an injected
// clock, so TTL expiry is deterministic under the test harness's virtual clock.
//
// Snapshots are plain data (serde/plain.ts) grouped by state name, with each row's original key, so
// a later runtime can re-split them by key (rescaling) without knowing what the operator stores.
// Expired data is never written to a snapshot. restore() refills existing tables in place, so
// handles an operator obtained before the restore stay valid.
import { RiffleError } from '../../core/errors.ts'
import type { Clock } from '../../core/time.ts'
import type { Key } from '../model/record.ts'
import { type Plain, fromPlain, toPlain } from '../serde/plain.ts'
import { AggregatingStateHandle } from './aggregating.ts'
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  KeyedState,
  ListState,
  MapState,
  ReducingState,
  ReducingStateDescriptor,
  StateDescriptor,
  ValueState,
} from './descriptors.ts'
import { ListStateHandle } from './list.ts'
import { MapStateHandle } from './map.ts'
import { ReducingStateHandle } from './reducing.ts'
import { type Slot, slotOf } from './slot.ts'
import {
  type Cell,
  type KeyScope,
  type MapCell,
  type MapData,
  type StateKind,
  StateTable,
  mapSize,
} from './table.ts'
import { ValueStateHandle } from './value.ts'

interface TableSnapshot {
  name: string
  kind: StateKind
  ttl: number | null
  rows: [Key | undefined, unknown][]
}

export class KeyedStateBackend implements KeyedState, KeyScope {
  private readonly clock: Clock
  private readonly tables = new Map<string, StateTable>()
  private readonly handles = new Map<string, unknown>()
  key: Key | undefined = undefined
  /** slotOf(key): what the tables' rows are filed under. */
  slot: Slot = undefined

  constructor(clock: Clock) {
    this.clock = clock
  }

  now(): number {
    return this.clock.now()
  }

  setCurrentKey(key: Key | undefined): void {
    if (key === this.key) return
    this.slot = slotOf(key)
    this.key = key
  }

  private table(name: string, kind: StateKind, ttl: number | undefined): StateTable {
    if (ttl !== undefined && !(ttl > 0))
      throw new RiffleError('INVALID_ARGUMENT', `state '${name}': ttl must be a positive duration`)
    let table = this.tables.get(name)
    if (table === undefined) this.tables.set(name, (table = new StateTable(name, kind, ttl, this)))
    else if (table.kind !== kind)
      throw new RiffleError('INVALID_ARGUMENT', `state '${name}' is a ${table.kind} state, not ${kind}`)
    table.ttl = ttl
    return table
  }

  private handle<H>(name: string, create: () => H): H {
    let h = this.handles.get(name) as H | undefined
    if (h === undefined) this.handles.set(name, (h = create()))
    return h
  }

  value<T>(d: StateDescriptor): ValueState<T> {
    const table = this.table(d.name, 'value', d.ttl)
    return this.handle(d.name, () => new ValueStateHandle<T>(table))
  }

  list<T>(d: StateDescriptor): ListState<T> {
    const table = this.table(d.name, 'list', d.ttl)
    return this.handle(d.name, () => new ListStateHandle<T>(table))
  }

  map<K extends Key, V>(d: StateDescriptor): MapState<K, V> {
    const table = this.table(d.name, 'map', d.ttl)
    return this.handle(d.name, () => new MapStateHandle<K, V>(table))
  }

  reducing<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    const table = this.table(d.name, 'reducing', d.ttl)
    return this.handle(d.name, () => new ReducingStateHandle<T>(table, d))
  }

  aggregating<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    const table = this.table(d.name, 'aggregating', d.ttl)
    return this.handle(d.name, () => new AggregatingStateHandle<IN, ACC, OUT>(table, d))
  }

  /** The data of the state `name` of every key, as stored; for operators of this package. */
  dataOf(name: string): Iterable<unknown> {
    return this.tables.get(name)?.data() ?? []
  }

  /** Removes all expired data; returns the number of cells (values, list elements, map entries) left. */
  purgeExpired(): number {
    let cells = 0
    for (const table of this.tables.values()) cells += table.purgeExpired()
    return cells
  }

  /** Cells currently held, expired or not (to observe cleanup). */
  cellCount(): number {
    let cells = 0
    for (const table of this.tables.values())
      for (const data of table.data())
        cells =
          cells +
          (table.kind === 'list'
            ? (data as Cell[]).length
            : table.kind === 'map'
              ? mapSize(data as MapData)
              : 1)
    return cells
  }

  snapshot(): Plain {
    this.purgeExpired()
    const tables: TableSnapshot[] = []
    for (const t of this.tables.values()) {
      const rows: [Key | undefined, unknown][] = []
      for (const [key, data] of t.entries()) rows.push([key, encodeData(t.kind, data)])
      tables.push({ name: t.name, kind: t.kind, ttl: t.ttl ?? null, rows })
    }
    return toPlain(tables)
  }

  restore(snapshot: Plain): void {
    for (const t of this.tables.values()) t.clear()
    for (const s of fromPlain(snapshot) as TableSnapshot[]) {
      const table = this.table(s.name, s.kind, this.tables.get(s.name)?.ttl ?? s.ttl ?? undefined)
      for (const [key, data] of s.rows) table.restoreRow(key, decodeData(s.kind, data))
    }
  }
}

function encodeData(kind: StateKind, data: unknown): unknown {
  switch (kind) {
    case 'value':
    case 'reducing':
    case 'aggregating':
      return [(data as Cell).v, (data as Cell).t]
    case 'list':
      return (data as Cell[]).map((c) => [c.v, c.t])
    case 'map': {
      const map = data as MapData
      return map instanceof Map ? Array.from(map.values(), (c) => [c.k, c.v, c.t]) : [[map.k, map.v, map.t]]
    }
  }
}

function decodeData(kind: StateKind, data: unknown): unknown {
  switch (kind) {
    case 'value':
    case 'reducing':
    case 'aggregating': {
      const [v, t] = data as [unknown, number]
      return { v, t }
    }
    case 'list':
      return (data as [unknown, number][]).map(([v, t]) => ({ v, t }))
    case 'map': {
      const cells = (data as [Key, unknown, number][]).map(
        ([k, v, t]): MapCell => ({ s: slotOf(k), k, v, t }),
      )
      return cells.length === 1 ? cells[0] : new Map(cells.map((c) => [c.s, c]))
    }
  }
}
