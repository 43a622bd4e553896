// A cheap hash of a slot (state/slot.ts), to spread a big table's rows over several Maps (rows.ts).
// It must be a function of the slot only, so value-equal keys land together in any instance.
import type { Slot } from './slot.ts'

/** 0 ≤ slotHash(slot) < 2^32, from a few bits of the slot; the high bits are the well-mixed ones. */
export function slotHash(slot: Slot): number {
  let h: number
  switch (typeof slot) {
    case 'number':
      // The high 32 bits too, so multiples of 2^32 (or timestamps as keys) do not all collide.
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
  return Math.imul(h, 0x9e3779b1) >>> 0
}
