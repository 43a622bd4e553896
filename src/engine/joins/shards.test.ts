// The interval join's shard of a key: in range, the same for value-equal keys, and spread evenly
// over the kinds of keys pipelines use (sequential numbers, strided numbers, string ids).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { slotOf } from '../state/slot.ts'
import { SHARDS, shardOf } from './shards.ts'

function counts(keys: readonly unknown[]): number[] {
  const c = new Array<number>(SHARDS).fill(0)
  for (const k of keys) {
    const s = shardOf(slotOf(k as never))
    assert.ok(Number.isInteger(s) && s >= 0 && s < SHARDS, `shard of ${String(k)}: ${s}`)
    c[s]!++
  }
  return c
}

test('every key has a shard in range, the same for value-equal keys', () => {
  const keys = [0, -0, -1, 2.5, 2 ** 40, 2 ** 60, '', 'x', '\x01y', true, false, 10n, -(2n ** 70n)]
  counts([...keys, Buffer.from('ab'), ['a', 1], undefined])
  assert.equal(shardOf(slotOf(Buffer.from('ab'))), shardOf(slotOf(Buffer.from([97, 98]))))
  assert.equal(shardOf(slotOf(['a', 1])), shardOf(slotOf(['a', 1])))
  assert.equal(shardOf(slotOf(0)), shardOf(slotOf(-0)))
})

test('keys spread evenly over the shards', () => {
  const n = 16_000
  const even = (c: number[]) => c.every((x) => x > (0.8 * n) / SHARDS && x < (1.2 * n) / SHARDS)
  for (const [name, keys] of [
    ['sequential', Array.from({ length: n }, (_, i) => i)],
    ['strided by 8', Array.from({ length: n }, (_, i) => i * 8)],
    ['strided by 2^32', Array.from({ length: n }, (_, i) => i * 2 ** 32)],
    ['string ids', Array.from({ length: n }, (_, i) => `user-${i}`)],
    ['bigints', Array.from({ length: n }, (_, i) => BigInt(i))],
  ] as const) {
    const c = counts(keys)
    assert.ok(even(c), `${name}: ${c}`)
  }
})
