// MapState: a map per key, keyed by canonical key ids so that value-equal user keys (two Buffers
// with the same bytes) address the same entry. With a TTL every entry expires on its own.
import type { Key } from '../model/record.ts'
import { keyId } from '../serde/key.ts'
import type { MapState } from './descriptors.ts'
import type { MapCell, StateTable } from './table.ts'

export class MapStateHandle<K extends Key, V> implements MapState<K, V> {
  private readonly table: StateTable

  constructor(table: StateTable) {
    this.table = table
  }

  private live(): Map<string, MapCell<K, V>> | undefined {
    const map = this.table.get<Map<string, MapCell<K, V>>>()
    if (map === undefined || this.table.ttl === undefined) return map
    const now = this.table.now()
    for (const [id, c] of map) if (this.table.expired(c.t, now)) map.delete(id)
    if (map.size > 0) return map
    this.table.delete()
    return undefined
  }

  get(key: K): V | undefined {
    const map = this.table.get<Map<string, MapCell<K, V>>>()
    if (map === undefined) return undefined
    const id = keyId(key)
    const cell = map.get(id)
    if (cell === undefined) return undefined
    if (this.table.ttl !== undefined && this.table.expired(cell.t)) {
      map.delete(id)
      if (map.size === 0) this.table.delete()
      return undefined
    }
    return cell.v
  }

  put(key: K, value: V): void {
    let map = this.table.get<Map<string, MapCell<K, V>>>()
    if (map === undefined) this.table.set((map = new Map()))
    // The write time matters only for a TTL: without one, no clock read.
    const t = this.table.ttl === undefined ? 0 : this.table.now()
    const id = keyId(key)
    const cell = map.get(id)
    if (cell === undefined) map.set(id, { k: key, v: value, t })
    else {
      // Overwrite in place (same effect as a new cell, without the allocation).
      cell.k = key
      cell.v = value
      cell.t = t
    }
  }

  remove(key: K): void {
    const map = this.table.get<Map<string, MapCell<K, V>>>()
    if (map === undefined) return
    map.delete(keyId(key))
    if (map.size === 0) this.table.delete()
  }

  contains(key: K): boolean {
    return this.get(key) !== undefined
  }

  entries(): [K, V][] {
    return Array.from(this.live()?.values() ?? [], (c) => [c.k, c.v])
  }

  keys(): K[] {
    return Array.from(this.live()?.values() ?? [], (c) => c.k)
  }

  values(): V[] {
    return Array.from(this.live()?.values() ?? [], (c) => c.v)
  }

  size(): number {
    return this.live()?.size ?? 0
  }

  isEmpty(): boolean {
    return this.size() === 0
  }

  clear(): void {
    this.table.delete()
  }
}
