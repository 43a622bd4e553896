// The interval join's cleanup schedule against a sorted reference: mostly-ordered and random times
// with repeats, drained up to advancing watermarks at random points.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../testing/random.ts'
import { CleanupQueue } from './cleanup-queue.ts'

test('times come out earliest first, each with its items in the order they were added', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rnd = new SeededRandom(seed)
    const q = new CleanupQueue<number>()
    const reference = new Map<number, number[]>()
    let clock = 0
    let drained = Number.NEGATIVE_INFINITY
    for (let i = 0; i < 3000; i++) {
      if (rnd.chance(0.85)) {
        clock += rnd.int(0, 2)
        // Ahead of what was drained, as the join adds only what the watermark has not passed.
        const time = Math.max(drained + 1, rnd.chance(0.2) ? clock - rnd.int(0, 30) : clock)
        q.add(time, i)
        reference.set(time, [...(reference.get(time) ?? []), i])
      } else {
        drained = clock - rnd.int(0, 10)
        const expected = [...reference].filter(([t]) => t <= drained).sort((a, b) => a[0] - b[0])
        const got: [number, number[]][] = []
        for (let t = q.peek(); t !== undefined && t <= drained; t = q.peek()) got.push([t, [...q.pop()]])
        assert.deepEqual(got, expected, `seed ${seed} step ${i}`)
        for (const [t] of expected) reference.delete(t)
        assert.equal(q.size, reference.size)
      }
    }
    const rest: [number, number[]][] = []
    while (q.peek() !== undefined) rest.push([q.peek()!, [...q.pop()]])
    assert.deepEqual(
      rest,
      [...reference].sort((a, b) => a[0] - b[0]),
    )
    q.add(5, 1)
    q.clear()
    assert.equal(q.peek(), undefined)
    q.add(5, 2)
    assert.deepEqual(q.pop(), [2])
  }
})
