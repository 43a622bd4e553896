// A Map by slot that stays cheap for the young-generation GC under churn (rows of keys created and
// deleted all the time). Measured (Node 24): once a Map's hash table is in old space (it survived
// two scavenges, or is over ~128 KB and so allocated as a large object), V8 allocates every table it
// rehashes into in old space too, and leaves the entries in the dead table. Those dead old tables
// then keep every young value they ever held alive at each scavenge until the next full GC: with a
// few thousand live keys under churn, MBs promoted per scavenge and twice the run time. A Map
// created anew (new Map(old)) starts young again. So past SPLIT rows, the rows are spread over
// several small Maps by a hash of the slot (small tables are allocated young, and rehashed often
// enough to rarely grow old), and each is now and then replaced by a copy of itself (young again).
//
// Small non-negative integer slots (below DENSE: ids, partitions, the keys of most numeric-keyed
// streams) are kept in an array indexed by the slot instead: a keyed operator looks up its key's row
// once per element, and a hashed Map lookup was most of what its state cost per element (bench/engine
// (b) and (d), measured). Values are never undefined (that marks an empty array slot).
//
// Order: the array's slots first, ascending; then the others in insertion order while in one Map,
// past SPLIT shard by shard, each in insertion order (a snapshot restored into a new table comes
// back in the same order). The layout changes only when a new key is inserted, so rows can be
// deleted or overwritten while iterating.
import { slotHash } from './slot-hash.ts'
import type { Slot } from './slot.ts'

/**
 * Integer slots 0 ≤ slot < DENSE go to the array, which grows to the largest one used: at most
 * 128 KB per SlotMap (a few per operator), so a stray large id costs little.
 */
export const DENSE = 16_384
/** Rows kept in one Map up to this many; more are split. */
export const SPLIT = 1024
/** A shard's rows when the table splits or its shards double. */
const SHARD_ROWS = 256
/**
 * A shard is copied after BUDGET times as many new keys as it held (at least MIN_BUDGET): a small
 * table under churn rarely lives through two scavenges, so the copy is there to get it out of old
 * space when it did; copying more often cost more than it saved (bench/engine interval-join).
 */
const BUDGET = 8
const MIN_BUDGET = 64

export class SlotMap<V> {
  /** The rows while not split (then `shards` is null). */
  private one: Map<Slot, V> | null = new Map()
  private shards: Map<Slot, V>[] | null = null
  /** New keys each shard takes before it is copied. */
  private budget: number[] = []
  /** 32 - log2(shards.length): the shift that takes a slot's hash to its shard. */
  private shift = 32
  /** Rows in the Map(s). */
  private count = 0
  /** The rows of small integer slots (see the top of this file), undefined where there is none. */
  private dense: (V | undefined)[] = []
  private denseCount = 0

  get size(): number {
    return this.count + this.denseCount
  }

  /** The Maps the rows are spread over (1: not split). */
  get shardCount(): number {
    return this.shards === null ? 1 : this.shards.length
  }

  private shardOf(slot: Slot): Map<Slot, V> {
    return this.shards![slotHash(slot) >>> this.shift]!
  }

  get(slot: Slot): V | undefined {
    if (isDense(slot)) return this.dense[slot]
    const one = this.one
    return (one !== null ? one : this.shardOf(slot)).get(slot)
  }

  has(slot: Slot): boolean {
    if (isDense(slot)) return this.dense[slot] !== undefined
    const one = this.one
    return (one !== null ? one : this.shardOf(slot)).has(slot)
  }

  set(slot: Slot, value: V): void {
    if (isDense(slot)) {
      const dense = this.dense
      // Grown by push, not by writing past the end: a far index would make the array sparse (a
      // dictionary).
      while (dense.length <= slot) dense.push(undefined)
      if (dense[slot] === undefined) this.denseCount++
      dense[slot] = value
      return
    }
    const one = this.one
    if (one !== null) {
      const n = one.size
      one.set(slot, value)
      if (one.size !== n && ++this.count > SPLIT) this.reshard(SPLIT / SHARD_ROWS)
      return
    }
    const i = slotHash(slot) >>> this.shift
    const shard = this.shards![i]!
    const n = shard.size
    shard.set(slot, value)
    if (shard.size === n) return
    this.count++
    if (this.count > this.shards!.length * SHARD_ROWS * 2) this.reshard(this.shards!.length * 2)
    else if (this.count < (this.shards!.length * SHARD_ROWS) / 4) this.shrink()
    else if (--this.budget[i]! === 0) {
      this.shards![i] = new Map(shard)
      this.budget[i] = Math.max(MIN_BUDGET, shard.size * BUDGET)
    }
  }

  delete(slot: Slot): boolean {
    if (isDense(slot)) {
      const dense = this.dense
      if (slot >= dense.length || dense[slot] === undefined) return false
      dense[slot] = undefined
      this.denseCount--
      return true
    }
    const one = this.one
    if (!(one !== null ? one : this.shardOf(slot)).delete(slot)) return false
    this.count--
    return true
  }

  clear(): void {
    this.dense = []
    this.denseCount = 0
    this.one = new Map()
    this.shards = null
    this.budget = []
    this.shift = 32
    this.count = 0
  }

  /** Back to one Map once small, else half the shards (checked on insert, see above). */
  private shrink(): void {
    if (this.count >= SPLIT / 2) this.reshard(this.shards!.length / 2)
    else {
      const one = new Map<Slot, V>()
      for (const [slot, v] of this.mapEntries()) one.set(slot, v)
      this.one = one
      this.shards = null
      this.budget = []
      this.shift = 32
    }
  }

  /** Spreads the rows over `n` (a power of two) new shards, keeping their order within each. */
  private reshard(n: number): void {
    const shards = Array.from({ length: n }, () => new Map<Slot, V>())
    const shift = 32 - Math.log2(n)
    for (const [slot, v] of this.mapEntries()) shards[slotHash(slot) >>> shift]!.set(slot, v)
    this.one = null
    this.shards = shards
    this.shift = shift
    this.budget = shards.map((s) => Math.max(MIN_BUDGET, s.size * BUDGET))
  }

  entries(): IterableIterator<[Slot, V]> {
    const rest = this.mapEntries()
    return this.denseCount === 0 ? rest : denseEntries(this.dense, rest)
  }

  values(): IterableIterator<V> {
    const rest = this.one !== null ? this.one.values() : each(this.shards!, (s) => s.values())
    return this.denseCount === 0 ? rest : denseValues(this.dense, rest)
  }

  /** The rows of the Map(s) only (resharding moves only those). */
  private mapEntries(): IterableIterator<[Slot, V]> {
    return this.one !== null ? this.one.entries() : each(this.shards!, (s) => s.entries())
  }
}

function* each<V, T>(
  shards: Map<Slot, V>[],
  of: (s: Map<Slot, V>) => IterableIterator<T>,
): IterableIterator<T> {
  for (const shard of shards) yield* of(shard)
}

function isDense(slot: Slot): slot is number {
  // (-0 >>> 0 is 0: -0 and 0 are one slot, as in a Map.)
  return typeof slot === 'number' && slot >>> 0 === slot && slot < DENSE
}

function* denseEntries<V>(
  dense: (V | undefined)[],
  rest: IterableIterator<[Slot, V]>,
): IterableIterator<[Slot, V]> {
  for (let i = 0; i < dense.length; i++) {
    const v = dense[i]
    if (v !== undefined) yield [i, v]
  }
  yield* rest
}

function* denseValues<V>(dense: (V | undefined)[], rest: IterableIterator<V>): IterableIterator<V> {
  for (let i = 0; i < dense.length; i++) {
    const v = dense[i]
    if (v !== undefined) yield v
  }
  yield* rest
}
