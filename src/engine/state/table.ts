// One named state of one operator: a map from key id to that key's data, plus the TTL rule. The
// kind-specific handles (value.ts, list.ts, …) read and write the current key's row through it, so
// key scoping and expiry are written once. Data shapes per kind: a Cell for value, reducing and
// aggregating; a Cell[] for list (one write time per element); MapData for map.
import type { Key } from '../model/record.ts'
import { SlotMap } from './rows.ts'
import { type Slot, slotOf } from './slot.ts'

export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating'

/** A value with the processing time it was written at (for TTL). */
export interface Cell<T = unknown> {
  v: T
  t: number
}

export interface MapCell<K = unknown, V = unknown> {
  /** slotOf(k): where the cell is filed. */
  s: Slot
  k: K
  v: V
  t: number
}

/**
 * A map state's entries for one key: the one cell itself while there is one (most keys of a window
 * or join hold one entry, and a Map per key costs an allocation and a hash lookup), a Map by slot
 * (in insertion order) while there are more; remove() turns a Map left with one entry back into
 * that cell. (Expiry may leave a Map of one: readers accept both shapes.)
 */
export type MapData<K = unknown, V = unknown> = MapCell<K, V> | Map<Slot, MapCell<K, V>>

export function mapSize(data: MapData): number {
  return data instanceof Map ? data.size : 1
}

/** The backend's view of "now": current key (and its Map slot, state/slot.ts) and processing time. */
export interface KeyScope {
  readonly key: Key | undefined
  readonly slot: Slot
  now(): number
}

export class StateTable {
  readonly name: string
  readonly kind: StateKind
  ttl: number | undefined
  /**
   * Each key's data by slot, with no row object around it: one allocation and one pointer less per
   * key. The original key is the slot itself for numbers, strings, booleans and bigints; the others
   * (bytes, composite keys, escaped strings) are kept in `keys`, for snapshots. SlotMaps, not Maps:
   * a Map of thousands of rows under churn makes every scavenge keep dead data alive (rows.ts).
   */
  private readonly rows = new SlotMap<unknown>()
  private readonly keys = new SlotMap<Key | undefined>()
  private readonly scope: KeyScope

  constructor(name: string, kind: StateKind, ttl: number | undefined, scope: KeyScope) {
    this.name = name
    this.kind = kind
    this.ttl = ttl
    this.scope = scope
  }

  now(): number {
    return this.scope.now()
  }

  expired(writtenAt: number, now?: number): boolean {
    // The clock is read only when there is a TTL to check against.
    return this.ttl !== undefined && (now ?? this.scope.now()) - writtenAt >= this.ttl
  }

  get<D>(): D | undefined {
    return this.rows.get(this.scope.slot) as D | undefined
  }

  set(data: unknown): void {
    const slot = this.scope.slot
    if (this.scope.key !== slot) this.keys.set(slot, this.scope.key)
    this.rows.set(slot, data)
  }

  delete(): void {
    const slot = this.scope.slot
    if (this.rows.delete(slot) && this.scope.key !== slot) this.keys.delete(slot)
  }

  /** Every key's data, with the key. */
  *entries(): Iterable<[Key | undefined, unknown]> {
    for (const [slot, data] of this.rows.entries())
      yield [this.keys.has(slot) ? this.keys.get(slot) : (slot as Key | undefined), data]
  }

  /** Every key's data. */
  data(): Iterable<unknown> {
    return this.rows.values()
  }

  get size(): number {
    return this.rows.size
  }

  clear(): void {
    this.rows.clear()
    this.keys.clear()
  }

  /** Puts `key`'s data back from a snapshot. */
  restoreRow(key: Key | undefined, data: unknown): void {
    const slot = slotOf(key)
    if (key !== slot) this.keys.set(slot, key)
    this.rows.set(slot, data)
  }

  /** The current key's Cell, or undefined if absent or expired (an expired one is removed). */
  liveCell<T>(): Cell<T> | undefined {
    const cell = this.get<Cell<T>>()
    if (cell === undefined) return undefined
    if (this.expired(cell.t)) {
      this.delete()
      return undefined
    }
    return cell
  }

  /** Drops expired data of every key; returns how many cells remain. */
  purgeExpired(): number {
    let cells = 0
    const now = this.scope.now()
    for (const [slot, data] of this.rows.entries()) {
      const live = liveData(this, data, now)
      if (live === undefined) {
        this.rows.delete(slot)
        this.keys.delete(slot)
      } else {
        this.rows.set(slot, live)
        cells += cellCount(this.kind, live)
      }
    }
    return cells
  }
}

/** Data with expired parts removed, or undefined if nothing is left. */
function liveData(table: StateTable, data: unknown, now: number): unknown {
  switch (table.kind) {
    case 'value':
    case 'reducing':
    case 'aggregating':
      return table.expired((data as Cell).t, now) ? undefined : data
    case 'list': {
      const live = (data as Cell[]).filter((c) => !table.expired(c.t, now))
      return live.length > 0 ? live : undefined
    }
    case 'map': {
      const map = data as MapData
      if (!(map instanceof Map)) return table.expired(map.t, now) ? undefined : map
      for (const [id, c] of map) if (table.expired(c.t, now)) map.delete(id)
      return map.size > 0 ? map : undefined
    }
  }
}

function cellCount(kind: StateKind, data: unknown): number {
  if (kind === 'list') return (data as Cell[]).length
  if (kind === 'map') return mapSize(data as MapData)
  return 1
}
