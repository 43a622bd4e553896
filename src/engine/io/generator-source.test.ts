// The generator reader's two forms of a batch: records (poll) and values made on demand
// (pollValues) give the same records, positions and bounds; the latter generates only when asked.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { StreamRecord } from '../model/record.ts'
import type { GeneratorSourceSpec } from '../runtime/job.ts'
import { VirtualClock } from '../testing/virtual-clock.ts'
import { GeneratorSourceReader } from './generator-source.ts'
import type { ValueBatch } from './io.ts'

const spec = (over: Partial<GeneratorSourceSpec> = {}): GeneratorSourceSpec => ({
  kind: 'generator',
  generate: (i) => ({ i }),
  timestamp: (i) => 1000 + 10 * i,
  count: 7,
  ...over,
})

function records(b: ValueBatch): StreamRecord[] {
  const out: StreamRecord[] = []
  for (let i = 0; i < b.length; i++) {
    const value = b.value(i)
    out.push({ value, timestamp: b.timestamp(i, value) })
  }
  return out
}

test('pollValues gives the records poll gives, in the same bounded batches and positions', async () => {
  const clock = new VirtualClock(5)
  for (const s of [spec(), spec({ timestamp: undefined })]) {
    const rows = new GeneratorSourceReader(s, clock)
    const values = new GeneratorSourceReader(s, clock)
    for (;;) {
      const a = await rows.poll(3)
      const b = await values.pollValues(3)
      if (a === null) {
        assert.equal(b, null)
        break
      }
      assert.equal(b!.partition, a.partition)
      assert.deepEqual(records(b!), a.records)
      assert.deepEqual(values.position(), rows.position())
      assert.equal(values.finished, rows.finished)
    }
    assert.deepEqual(rows.position(), { next: 7 })
  }
  const b = await new GeneratorSourceReader(spec(), clock).pollValues(3)
  assert.deepEqual(records(b!), [
    { value: { i: 0 }, timestamp: 1000 },
    { value: { i: 1 }, timestamp: 1010 },
    { value: { i: 2 }, timestamp: 1020 },
  ])
  // Without a timestamp function: processing time when the record is made.
  const plain = await new GeneratorSourceReader(spec({ timestamp: undefined }), clock).pollValues(1)
  assert.equal(plain!.timestamp(0, plain!.value(0)), 5)
})

test('a value batch generates a record only when asked for it; restore and rate limits hold', async () => {
  const made: number[] = []
  const clock = new VirtualClock(0)
  const reader = new GeneratorSourceReader(
    spec({ generate: (i) => made.push(i), count: undefined, ratePerSecond: 100 }),
    clock,
  )
  assert.equal(await reader.pollValues(10), null, 'no time has passed: nothing allowed yet')
  clock.set(50) // 5 records allowed
  const b = await reader.pollValues(10)
  assert.equal(b!.length, 5)
  assert.deepEqual(made, [], 'polling generates nothing')
  b!.value(0)
  b!.value(1)
  assert.deepEqual(made, [0, 1])
  assert.deepEqual(reader.position(), { next: 5 })
  reader.restore({ next: 2 })
  clock.set(60) // one more allowed since the restore
  const c = await reader.pollValues(10)
  assert.equal(c!.length, 1)
  c!.value(0)
  assert.deepEqual(made, [0, 1, 2])
})
