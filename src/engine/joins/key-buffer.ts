// A key's interval join buffer: [key, left, right], each side null or a flat array
// [t0, v0, t1, v1, …] sorted by timestamp (ties in arrival order). It is the key's one keyed-state
// value, so it is snapshotted, restored and split by key like any keyed state, and carries its key
// so the operator's cleanup schedule can be rebuilt from the state alone. Sorted sides keep a hot
// key cheap: inserting in timestamp order is a push, expiry takes from the front, and a join finds
// its partners by binary search.
import type { Key } from '../model/record.ts'

/** [t0, v0, t1, v1, …], timestamps ascending. */
export type SideBuffer = unknown[]
export type KeyBuffer = [Key | undefined, SideBuffer | null, SideBuffer | null]

/** Index of a side in a KeyBuffer. */
export const LEFT = 1
export const RIGHT = 2
export type Side = typeof LEFT | typeof RIGHT

/** Inserts (t, v) after the elements at or before t; returns whether some were at t already. */
export function insert(side: SideBuffer, t: number, v: unknown): boolean {
  let i = side.length
  while (i > 0 && (side[i - 2] as number) > t) i -= 2
  const present = i > 0 && side[i - 2] === t
  if (i === side.length) side.push(t, v)
  else side.splice(i, 0, t, v)
  return present
}

/** Drops the elements at or before t (the front); returns whether none are left. */
export function dropUpTo(side: SideBuffer, t: number): boolean {
  let n = 0
  while (n < side.length && (side[n] as number) <= t) n += 2
  if (n === side.length) return true
  side.splice(0, n)
  return false
}

/** The distinct timestamps of a side. */
export function timestampsOf(side: SideBuffer | null): number[] {
  const out: number[] = []
  if (side !== null)
    for (let i = 0; i < side.length; i += 2)
      if (out.length === 0 || out[out.length - 1] !== side[i]) out.push(side[i] as number)
  return out
}
