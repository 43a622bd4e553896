// MapState: a map per key, filed by slot (state/slot.ts) so that value-equal user keys (two Buffers
// with the same bytes) address the same entry without a canonical string per access. A key's
// entries are one cell while there is one, a Map after (MapData in table.ts). With a TTL every
// entry expires on its own.
import type { Key } from '../model/record.ts'
import type { MapState } from './descriptors.ts'
import { type Slot, slotOf } from './slot.ts'
import { type MapCell, type MapData, type StateTable, mapSize } from './table.ts'

/** The cell of `slot` in `data`, if any. */
export function cellAt<K, V>(data: MapData<K, V>, slot: Slot): MapCell<K, V> | undefined {
  if (data instanceof Map) return data.get(slot)
  return data.s === slot ? data : undefined
}

export class MapStateHandle<K extends Key, V> implements MapState<K, V> {
  private readonly table: StateTable

  constructor(table: StateTable) {
    this.table = table
  }

  /**
   * The current key's live entries as stored (expired ones removed first), or undefined if none: for
   * operators of this package that look up or iterate without copying. Not to be modified while
   * iterated, except through the cells' values.
   */
  cells(): MapData<K, V> | undefined {
    const data = this.table.get<MapData<K, V>>()
    if (data === undefined || this.table.ttl === undefined) return data
    const now = this.table.now()
    if (!(data instanceof Map)) {
      if (!this.table.expired(data.t, now)) return data
    } else {
      for (const [id, c] of data) if (this.table.expired(c.t, now)) data.delete(id)
      if (data.size > 0) return data
    }
    this.table.delete()
    return undefined
  }

  get(key: K): V | undefined {
    const data = this.table.get<MapData<K, V>>()
    if (data === undefined) return undefined
    const id = slotOf(key)
    const cell = cellAt(data, id)
    if (cell === undefined) return undefined
    if (this.table.ttl !== undefined && this.table.expired(cell.t)) {
      this.drop(data, id)
      return undefined
    }
    return cell.v
  }

  put(key: K, value: V): void {
    const data = this.table.get<MapData<K, V>>()
    // The write time matters only for a TTL: without one, no clock read.
    const t = this.table.ttl === undefined ? 0 : this.table.now()
    const id = slotOf(key)
    const cell = data === undefined ? undefined : cellAt(data, id)
    if (cell !== undefined) {
      // Overwrite in place (same effect as a new cell, without the allocation).
      cell.k = key
      cell.v = value
      cell.t = t
      return
    }
    const added: MapCell<K, V> = { s: id, k: key, v: value, t }
    if (data === undefined) this.table.set(added)
    else if (data instanceof Map) data.set(id, added)
    else {
      // (Not new Map([[…], […]]): that allocates three arrays and iterates them.)
      const map = new Map<Slot, MapCell<K, V>>()
      map.set(data.s, data)
      map.set(id, added)
      this.table.set(map)
    }
  }

  /** Removes the cell of `id` from the current key's `data`, and the key's row once it is empty. */
  private drop(data: MapData<K, V>, id: Slot): void {
    if (data instanceof Map) {
      data.delete(id)
      if (data.size === 0) this.table.delete()
      // Back to the one cell itself: a key's windows come and go (a tumbling window's key holds two
      // only while the next one opens before the last one fires), and a lookup in a Map per access
      // costs more than the Map allocated again when a second entry comes.
      else if (data.size === 1) for (const c of data.values()) this.table.set(c)
    } else if (data.s === id) this.table.delete()
  }

  remove(key: K): void {
    const data = this.table.get<MapData<K, V>>()
    if (data !== undefined) this.drop(data, slotOf(key))
  }

  contains(key: K): boolean {
    return this.get(key) !== undefined
  }

  private list(): MapCell<K, V>[] {
    const data = this.cells()
    return data === undefined ? [] : data instanceof Map ? [...data.values()] : [data]
  }

  entries(): [K, V][] {
    return this.list().map((c) => [c.k, c.v])
  }

  keys(): K[] {
    return this.list().map((c) => c.k)
  }

  values(): V[] {
    return this.list().map((c) => c.v)
  }

  size(): number {
    const data = this.cells()
    return data === undefined ? 0 : mapSize(data)
  }

  isEmpty(): boolean {
    return this.size() === 0
  }

  clear(): void {
    this.table.delete()
  }
}

/** The live cells of a MapState obtained from this package's backend (see MapStateHandle.cells). */
export function liveCells<K extends Key, V>(state: MapState<K, V>): MapData<K, V> | undefined {
  return (state as MapStateHandle<K, V>).cells()
}
