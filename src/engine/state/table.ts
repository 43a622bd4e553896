// One named state of one operator: a map from key id to that key's data, plus the TTL rule. The
// kind-specific handles (value.ts, list.ts, …) read and write the current key's row through it, so
// key scoping and expiry are written once. Data shapes per kind: a Cell for value, reducing and
// aggregating; a Cell[] for list (one write time per element); a Map of MapCell for map.
import type { Key } from '../model/record.ts'

export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating'

/** A value with the processing time it was written at (for TTL). */
export interface Cell<T = unknown> {
  v: T
  t: number
}

export interface MapCell<K = unknown, V = unknown> {
  k: K
  v: V
  t: number
}

export interface Row {
  key: Key | undefined
  data: unknown
}

/** The backend's view of "now": current key and processing time. */
export interface KeyScope {
  readonly key: Key | undefined
  readonly keyId: string
  now(): number
}

export class StateTable {
  readonly name: string
  readonly kind: StateKind
  ttl: number | undefined
  readonly rows = new Map<string, Row>()
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
    return this.rows.get(this.scope.keyId)?.data as D | undefined
  }

  set(data: unknown): void {
    const row = this.rows.get(this.scope.keyId)
    if (row) row.data = data
    else this.rows.set(this.scope.keyId, { key: this.scope.key, data })
  }

  delete(): void {
    this.rows.delete(this.scope.keyId)
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
    for (const [id, row] of this.rows) {
      const live = liveData(this, row.data, now)
      if (live === undefined) this.rows.delete(id)
      else {
        row.data = live
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
      const map = data as Map<string, MapCell>
      for (const [id, c] of map) if (table.expired(c.t, now)) map.delete(id)
      return map.size > 0 ? map : undefined
    }
  }
}

function cellCount(kind: StateKind, data: unknown): number {
  if (kind === 'list') return (data as Cell[]).length
  if (kind === 'map') return (data as Map<string, MapCell>).size
  return 1
}
