// The interval join keeps its buffers in SHARDS map states, a key always in the same one, rather
// than in one. Why: a state table is a JS Map by key, and with one table of ~3,300 live keys under
// steady churn (keys coming and going as their buffers fill and empty, bench/engine (e)) every
// scavenge kept ~12 MB of dead buffers alive, which then filled the old generation and took as
// long again as the join itself; with eight tables, ~1 MB. Measured, not fully explained: likely
// V8 rehashing a Map beyond the large-object size, whose dead table still points at young entries
// until the next full GC. The state backend could shard every table this way; then this can go.
//
// The shard is a function of the key's slot (state/slot.ts) only, so a key's row is found in the
// same table in any instance, and snapshots stay split by key. Changing it changes the snapshot
// layout (interval-join.ts FORMAT).
import type { Slot } from '../state/slot.ts'

export const SHARDS = 8

/** 0 ≤ shardOf(slot) < SHARDS (the top 3 bits of a multiplicative hash), from a few bits of the slot. */
export function shardOf(slot: Slot): number {
  let h: number
  switch (typeof slot) {
    case 'number':
      // The high 32 bits too, so multiples of 2^32 (or timestamps as keys) do not all share one.
      h = (slot | 0) ^ ((slot / 4294967296) | 0)
      break
    case 'string': {
      // The length, the first character and the last eight (where ids tend to differ): cheap, and
      // enough to spread them.
      const n = slot.length
      h = n ^ (slot.charCodeAt(0) << 16)
      for (let i = n > 8 ? n - 8 : 0; i < n; i++) h = Math.imul(h ^ slot.charCodeAt(i), 0x01000193)
      break
    }
    case 'boolean':
      h = slot ? 1 : 0
      break
    case 'bigint':
      h = Number(BigInt.asUintN(32, slot))
      break
    default:
      h = 0
  }
  return Math.imul(h, 0x9e3779b1) >>> 29
}
