// The source operator: per-partition watermark generation merged as the minimum, idle partitions
// detected on the virtual clock and excluded until they deliver again, timestamps extracted from
// values, and all of it surviving snapshot/restore.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OperatorHarness, record } from '../testing/operator-harness.ts'
import { boundedOutOfOrderness } from '../watermarks/strategies.ts'
import { type SourceConfig, SourceOperator } from './source.ts'

type Step = { at: number; partition: number; ts: number[] } | { at: number; tick: true }

const config: SourceConfig<string> = { partitions: 2, watermarks: boundedOutOfOrderness(5), idleTimeout: 100 }

function run(h: OperatorHarness, steps: readonly Step[]): string[][] {
  return steps.map((s) => {
    if ('tick' in s) h.setProcessingTime(s.at)
    else {
      h.clock.set(s.at)
      h.batch(
        s.ts.map((t) => record(`v${t}`, t)),
        s.partition,
      )
    }
    return h
      .take()
      .map((e) =>
        e.kind === 'record'
          ? `r:${e.record.timestamp}`
          : e.kind === 'watermark'
            ? `wm:${e.watermark}`
            : e.kind,
      )
  })
}

const steps: Step[] = [
  { at: 0, partition: 0, ts: [10, 20] },
  { at: 0, partition: 1, ts: [12] },
  { at: 50, partition: 0, ts: [50] },
  { at: 120, tick: true }, // partition 1 silent for 120 ≥ 100: idle
  { at: 130, partition: 0, ts: [100] },
  { at: 135, partition: 1, ts: [20] }, // back, far behind: holds nothing back, pulls nothing back
  { at: 140, partition: 0, ts: [200] },
  { at: 145, partition: 1, ts: [150] }, // caught up: the minimum applies again
  { at: 500, tick: true }, // both idle: the maximum, then idle downstream
  { at: 510, partition: 1, ts: [300] },
]

test('watermarks per partition merge as the minimum; a silent partition goes idle and rejoins', () => {
  const h = new OperatorHarness(new SourceOperator(config), { inputs: 2 })
  assert.deepEqual(run(h, steps), [
    ['r:10', 'r:20'], // partition 1 has no watermark yet
    ['r:12', 'wm:6'],
    ['r:50'], // 44 on partition 0, still 6 on partition 1
    ['wm:44'],
    ['r:100', 'wm:94'],
    ['r:20'],
    ['r:200'],
    ['r:150', 'wm:144'],
    ['wm:194', 'idle'],
    ['r:300', 'wm:294'], // partition 0 is still idle: partition 1 alone decides
  ])
})

test('source snapshot/restore at every step continues exactly like the uninterrupted run', () => {
  const full = new OperatorHarness(new SourceOperator(config), { inputs: 2 })
  const expected = run(full, steps)
  for (let cut = 0; cut <= steps.length; cut++) {
    const a = new OperatorHarness(new SourceOperator(config), { inputs: 2 })
    const first = run(a, steps.slice(0, cut))
    const b = new OperatorHarness(new SourceOperator(config), { inputs: 2 }).restore(a.snapshot())
    assert.deepEqual([...first, ...run(b, steps.slice(cut))], expected, `cut at ${cut}`)
  }
})

test('timestamps can be taken from the value; outside watermarks pass through', () => {
  const h = new OperatorHarness(
    new SourceOperator<{ at: number }>({ timestamp: (v) => v.at, watermarks: boundedOutOfOrderness(0) }),
  )
  h.batch([{ value: { at: 42 }, timestamp: 1, key: 'k' }])
  h.watermark(1000)
  assert.deepEqual(h.events, [
    { kind: 'record', record: { value: { at: 42 }, timestamp: 42, key: 'k' } },
    { kind: 'watermark', watermark: 41 },
    { kind: 'watermark', watermark: 1000 },
  ])
})
