// SlotMap (rows.ts): the same contents as a Map through any sequence of inserts, overwrites and
// deletes, across the split threshold both ways; small integer slots first in ascending order, the
// others in insertion order while in one Map, a stable order (shard by shard) after; deleting and
// overwriting while iterating.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../testing/random.ts'
import { DENSE, SPLIT, SlotMap } from './rows.ts'
import { slotHash } from './slot-hash.ts'
import type { Slot } from './slot.ts'

const sorted = (m: Iterable<[Slot, number]>) => [...m].map(([k, v]) => `${typeof k}:${String(k)}=${v}`).sort()

function check(m: SlotMap<number>, ref: Map<Slot, number>): void {
  assert.equal(m.size, ref.size)
  assert.deepEqual(sorted(m.entries()), sorted(ref))
  assert.deepEqual([...m.values()].sort(), [...ref.values()].sort())
}

test('same contents as a Map under random churn, growing past the threshold and shrinking back', () => {
  for (let seed = 1; seed <= 3; seed++) {
    const rnd = new SeededRandom(seed)
    const m = new SlotMap<number>()
    const ref = new Map<Slot, number>()
    // Strings, large numbers and integers past DENSE go to the Map(s); integers below it (up to
    // 12 × SPLIT) to the array.
    const keyOf = (i: number): Slot =>
      i % 4 === 0 ? `user-${i}` : i % 4 === 1 ? i * 2 ** 32 : i % 4 === 2 ? DENSE + i : i
    // Grow to 6 × SPLIT keys, churn, then delete down to a few and insert again (back to one Map).
    for (const [target, steps] of [
      [6 * SPLIT, 20_000],
      [50, 20_000],
      [2 * SPLIT, 10_000],
    ] as const) {
      for (let i = 0; i < steps; i++) {
        const k = keyOf(rnd.int(0, 12 * SPLIT))
        if (ref.size > target || (ref.size === target && rnd.chance(0.5))) {
          const first = ref.keys().next().value as Slot
          assert.equal(m.delete(first), ref.delete(first))
          assert.equal(m.delete(k), ref.delete(k))
        } else {
          m.set(k, i)
          ref.set(k, i)
        }
        assert.equal(m.get(k), ref.get(k))
        assert.equal(m.has(k), ref.has(k))
      }
      check(m, ref)
      // A quarter of the keys are in the array, not in the Map(s).
      assert.equal(m.shardCount > 1, target > SPLIT, `${target}`)
    }
    m.clear()
    ref.clear()
    check(m, ref)
  }
})

test('insertion order in one Map; past the threshold, shard by shard in insertion order', () => {
  const m = new SlotMap<number>()
  // Past DENSE: Map slots.
  for (let i = DENSE; i < DENSE + SPLIT; i++) m.set(i, i)
  assert.deepEqual(
    [...m.entries()].map(([k]) => k),
    Array.from({ length: SPLIT }, (_, i) => DENSE + i),
  )
  const n = 3 * SPLIT
  for (let i = DENSE + SPLIT; i < DENSE + n; i++) m.set(i, i)
  const keys = [...m.entries()].map(([k]) => k as number)
  assert.equal(keys.length, n)
  // Keys of one shard (same top hash bits) are contiguous and ascending, and each shard once.
  assert.equal(m.shardCount, 8)
  const shardOf = (k: number) => slotHash(k) >>> 29
  const runs: number[] = []
  for (let i = 0; i < keys.length; i++) {
    if (i === 0 || shardOf(keys[i]!) !== shardOf(keys[i - 1]!)) runs.push(shardOf(keys[i]!))
    else assert.ok(keys[i]! > keys[i - 1]!)
  }
  assert.equal(new Set(runs).size, runs.length)
  // A copy filled in that order has the same order (a restored snapshot comes back as it was).
  const copy = new SlotMap<number>()
  for (const [k, v] of m.entries()) copy.set(k, v)
  assert.deepEqual([...copy.entries()], [...m.entries()])
})

test('integer slots below DENSE: in an array, first and ascending, whatever the insertion order', () => {
  const m = new SlotMap<string>()
  // Not array slots: negative, fractional, too large, strings, other types.
  const others: Slot[] = [-1, 2.5, DENSE, 2 ** 32, '3', true, 7n, undefined]
  for (const [i, k] of others.entries()) m.set(k, `o${i}`)
  for (const k of [9, 0, DENSE - 1, 4]) m.set(k, `d${k}`)
  assert.equal(m.shardCount, 1)
  assert.equal(m.size, others.length + 4)
  assert.deepEqual(
    [...m.entries()].map(([k]) => k),
    [0, 4, 9, DENSE - 1, ...others],
  )
  assert.deepEqual([...m.values()].slice(0, 4), ['d0', 'd4', 'd9', `d${DENSE - 1}`])
  // -0 is 0, as in a Map.
  assert.equal(m.get(-0), 'd0')
  m.set(-0, 'z')
  assert.equal(m.get(0), 'z')
  assert.equal(m.size, others.length + 4)
  assert.equal(m.has(5), false)
  assert.equal(m.delete(5), false)
  assert.equal(m.delete(DENSE + 5), false)
  assert.equal(m.delete(4), true)
  assert.equal(m.has(4), false)
  assert.equal(m.get(4), undefined)
  assert.equal(m.size, others.length + 3)
  assert.equal(m.get(2.5), 'o1')
  assert.equal(m.get(DENSE), 'o2')
  m.clear()
  assert.equal(m.size, 0)
  assert.deepEqual([...m.entries()], [])
  assert.equal(m.get(0), undefined)
})

test('rows can be deleted and overwritten while iterating, split or not', () => {
  // Array slots, then Map slots.
  for (const [base, n] of [
    [0, 100],
    [0, 5 * SPLIT],
    [DENSE, 100],
    [DENSE, 5 * SPLIT],
  ] as const) {
    const m = new SlotMap<number>()
    for (let i = 0; i < n; i++) m.set(base + i, i)
    for (const [k, v] of m.entries())
      if (v % 2 === 0) m.delete(k)
      else m.set(k, -v)
    assert.equal(m.size, n / 2)
    assert.deepEqual(
      [...m.values()].sort((a, b) => a - b),
      Array.from({ length: n / 2 }, (_, i) => -(n - 1 - 2 * i)),
    )
  }
})

test('every slot hashes to 32 bits, the same for value-equal slots, spread over the top bits', () => {
  for (const s of [
    0,
    -0,
    -1,
    2.5,
    2 ** 40,
    2 ** 60,
    '',
    'x',
    '\x01y',
    true,
    false,
    10n,
    -(2n ** 70n),
    undefined,
  ]) {
    const h = slotHash(s)
    assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32, `${String(s)}: ${h}`)
  }
  assert.equal(slotHash(0), slotHash(-0))
  const n = 16_000
  for (const keys of [
    Array.from({ length: n }, (_, i) => i),
    Array.from({ length: n }, (_, i) => i * 8),
    Array.from({ length: n }, (_, i) => i * 2 ** 32),
    Array.from({ length: n }, (_, i) => `user-${i}`),
    Array.from({ length: n }, (_, i) => BigInt(i)),
  ]) {
    const c = new Array<number>(8).fill(0)
    for (const k of keys) c[slotHash(k) >>> 29]!++
    assert.ok(
      c.every((x) => x > (0.8 * n) / 8 && x < (1.2 * n) / 8),
      `${String(keys[1])}: ${c}`,
    )
  }
})
