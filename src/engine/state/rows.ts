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
// Order: insertion order while in one Map; past SPLIT, shard by shard, each in insertion order
// (a snapshot restored into a new table comes back in the same order). The layout changes only
// when a new key is inserted, so rows can be deleted or overwritten while iterating.
import { slotHash } from './slot-hash.ts'
import type { Slot } from './slot.ts'

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
  private count = 0

  get size(): number {
    return this.count
  }

  /** The Maps the rows are spread over (1: not split). */
  get shardCount(): number {
    return this.shards === null ? 1 : this.shards.length
  }

  private shardOf(slot: Slot): Map<Slot, V> {
    return this.shards![slotHash(slot) >>> this.shift]!
  }

  get(slot: Slot): V | undefined {
    const one = this.one
    return (one !== null ? one : this.shardOf(slot)).get(slot)
  }

  has(slot: Slot): boolean {
    const one = this.one
    return (one !== null ? one : this.shardOf(slot)).has(slot)
  }

  set(slot: Slot, value: V): void {
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
    const one = this.one
    if (!(one !== null ? one : this.shardOf(slot)).delete(slot)) return false
    this.count--
    return true
  }

  clear(): void {
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
      for (const [slot, v] of this.entries()) one.set(slot, v)
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
    for (const [slot, v] of this.entries()) shards[slotHash(slot) >>> shift]!.set(slot, v)
    this.one = null
    this.shards = shards
    this.shift = shift
    this.budget = shards.map((s) => Math.max(MIN_BUDGET, s.size * BUDGET))
  }

  entries(): IterableIterator<[Slot, V]> {
    return this.one !== null ? this.one.entries() : each(this.shards!, (s) => s.entries())
  }

  values(): IterableIterator<V> {
    return this.one !== null ? this.one.values() : each(this.shards!, (s) => s.values())
  }
}

function* each<V, T>(
  shards: Map<Slot, V>[],
  of: (s: Map<Slot, V>) => IterableIterator<T>,
): IterableIterator<T> {
  for (const shard of shards) yield* of(shard)
}
