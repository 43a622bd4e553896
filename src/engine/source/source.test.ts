// The source operator: per-partition watermark generation merged as the minimum, idle partitions
// detected on the virtual clock and excluded until they deliver again, timestamps extracted from
// values, and all of it surviving snapshot/restore.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isRiffleError } from '../../core/errors.ts'
import type { ValueBatch } from '../model/record.ts'
import { MIN_WATERMARK, type StreamRecord } from '../model/record.ts'
import { OperatorHarness, record } from '../testing/operator-harness.ts'
import { type WatermarkGenerator, boundedOutOfOrderness, customWatermarks } from '../watermarks/strategies.ts'
import { type SourceConfig, SourceOperator } from './source.ts'

type Step = { at: number; partition: number; ts: number[] } | { at: number; tick: true }

const config: SourceConfig<string> = { partitions: 2, watermarks: boundedOutOfOrderness(5), idleTimeout: 100 }

/** Runs `steps`; `values`: batches go in as value batches (as from a generator) instead of records. */
function run(h: OperatorHarness, steps: readonly Step[], values = false): string[][] {
  return steps.map((s) => {
    if ('tick' in s) h.setProcessingTime(s.at)
    else {
      h.clock.set(s.at)
      const records = s.ts.map((t) => record(`v${t}`, t))
      if (values) h.runner.processValues(valueBatch(records, s.partition), s.partition)
      else h.batch(records, s.partition)
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

/** `records` as a ValueBatch (what a generator reader hands the task) of one partition. */
function valueBatch<T>(records: readonly StreamRecord<T>[], partition = 0): ValueBatch {
  return {
    partition,
    length: records.length,
    value: (i) => records[i]!.value,
    timestamp: (i) => records[i]!.timestamp,
  }
}

test('value batches give exactly what record batches give: records, watermarks, idleness, snapshots', () => {
  const viaValues = (h: OperatorHarness, s: readonly Step[]): string[][] => run(h, s, true)
  const expected = run(new OperatorHarness(new SourceOperator(config), { inputs: 2 }), steps)
  assert.deepEqual(viaValues(new OperatorHarness(new SourceOperator(config), { inputs: 2 }), steps), expected)
  const a = new OperatorHarness(new SourceOperator(config), { inputs: 2 })
  const first = viaValues(a, steps.slice(0, 4))
  const b = new OperatorHarness(new SourceOperator(config), { inputs: 2 }).restore(a.snapshot())
  assert.deepEqual([...first, ...viaValues(b, steps.slice(4))], expected)
})

test('value batches: the extractor sees each reader timestamp; custom generators see every element', () => {
  const seen: [number, number][] = []
  const events: [number, string][] = []
  const generator: WatermarkGenerator = {
    onEvent: (t, v) => events.push([t, v as string]),
    currentWatermark: () => (events.length > 0 ? events[events.length - 1]![0] : MIN_WATERMARK),
    snapshot: () => null,
    restore() {},
  }
  const h = new OperatorHarness(
    new SourceOperator<string>({
      timestamp: (v, r) => {
        seen.push([Number(v), r.timestamp])
        return Number(v) * 10
      },
      watermarks: customWatermarks(() => generator),
    }),
  )
  h.runner.processValues(valueBatch([record('3', 1), record('1', 2), record('2', 3)]))
  assert.deepEqual(seen, [
    [3, 1],
    [1, 2],
    [2, 3],
  ])
  assert.deepEqual(events, [
    [30, '3'],
    [10, '1'],
    [20, '2'],
  ])
  assert.deepEqual(h.take(), [
    { kind: 'record', record: { value: '3', timestamp: 30 } },
    { kind: 'record', record: { value: '1', timestamp: 10 } },
    { kind: 'record', record: { value: '2', timestamp: 20 } },
    { kind: 'watermark', watermark: 20 },
  ])
  // Bounded out-of-orderness takes the batch maximum once: the same watermark as element by element.
  const b = new OperatorHarness(new SourceOperator<number>({ watermarks: boundedOutOfOrderness(5) }))
  b.runner.processValues(valueBatch([record(0, 40), record(0, 70), record(0, 50)]))
  assert.deepEqual(
    b.take().filter((e) => e.kind === 'watermark'),
    [{ kind: 'watermark', watermark: 64 }],
  )
})

test('only a source takes value batches', () => {
  const h = new OperatorHarness({ processBatch() {} })
  assert.throws(
    () => h.runner.processValues(valueBatch([record(1, 1)])),
    (e: unknown) => isRiffleError(e) && e.code === 'INVALID_ARGUMENT',
  )
})

test('value batches: records before a throwing one count in the batch maximum; the next batch starts afresh', () => {
  const source = new SourceOperator<number>({ timestamp: (v) => v, watermarks: boundedOutOfOrderness(0) })
  const h = new OperatorHarness(source)
  const boom = (i: number): ValueBatch => ({
    partition: 0,
    length: 3,
    value: (j) => {
      if (j === i) throw new Error('boom')
      return [50, 80, 60][j]!
    },
    timestamp: () => 0,
  })
  assert.throws(() => h.runner.processValues(boom(2)), /boom/)
  assert.deepEqual((source.snapshot() as { generators: unknown[] }).generators, [80])
  // A later batch with lower timestamps: the generator keeps its maximum, the batch's own is fresh.
  h.runner.processValues(valueBatch([record(10, 0), record(20, 0)]))
  assert.deepEqual(
    h.take().filter((e) => e.kind === 'watermark'),
    [{ kind: 'watermark', watermark: 79 }],
  )
})
