// keyBy's hash: Kafka's murmur2 (checked against the Java client's vectors) and partition choice.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { murmur2 } from './murmur2.ts'
import { partitionFor } from './partition.ts'

test("murmur2 matches the Kafka Java client's test vectors", () => {
  // From Kafka's UtilsTest.testMurmur2.
  const cases: [string | number[], number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    [[0x61, 0x62, 0x63], 479470107],
  ]
  for (const [input, expected] of cases)
    assert.equal(
      murmur2(typeof input === 'string' ? Buffer.from(input) : Buffer.from(input)),
      expected,
      String(input),
    )
})

test('partitionFor is the default partitioner for bytes and strings, stable and in range for any key', () => {
  assert.equal(partitionFor('foobar', 7), (-790332482 & 0x7fffffff) % 7)
  assert.equal(partitionFor(Buffer.from('21'), 10), (-973932308 & 0x7fffffff) % 10)
  const counts = new Array(8).fill(0)
  for (let i = 0; i < 8000; i++) {
    const key = i % 2 === 0 ? `user-${i}` : [i, 'x']
    const p = partitionFor(key, 8)
    assert.equal(partitionFor(key, 8), p)
    counts[p]++
  }
  for (const c of counts) assert.ok(c > 800 && c < 1200, `uneven: ${counts}`)
  assert.equal(partitionFor(42n, 1), 0)
  assert.throws(() => partitionFor('k', 0))
})
