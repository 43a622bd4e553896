// Evictors against a reference that keeps each window's elements in arrival order and applies the
// eviction rule by hand at every firing (event-time tumbling windows with lateness, so windows fire
// several times and evictions accumulate), plus the classic "last n, every m" count window.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AggregateFunction } from '../model/functions.ts'
import { OperatorHarness } from '../testing/operator-harness.ts'
import { SeededRandom } from '../testing/random.ts'
import { globalWindows, tumbling } from './assigners/spec.ts'
import { type EvictorSpec, countEvictor, timeEvictor } from './evictors/spec.ts'
import { countTrigger } from './triggers/spec.ts'
import { WindowOperator } from './window-operator.ts'

interface El {
  ts: number
  v: number
}

const sum: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (v, acc) => acc + v,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
}

function evictRule(spec: { kind: 'count'; maxCount: number } | { kind: 'time'; keep: number }) {
  return (els: El[]): El[] => {
    if (spec.kind === 'count') return els.length > spec.maxCount ? els.slice(els.length - spec.maxCount) : els
    if (els.length === 0) return els
    const cutoff = Math.max(...els.map((e) => e.ts)) - spec.keep
    return els.filter((e) => e.ts > cutoff)
  }
}

test('count and time evictors, before and after evaluation, match the reference over random streams', () => {
  let evicted = 0
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = new SeededRandom(seed)
    const rule = rnd.chance(0.5)
      ? ({ kind: 'count', maxCount: rnd.int(1, 4) } as const)
      : ({ kind: 'time', keep: rnd.int(0, 8) } as const)
    const after = rnd.chance(0.5)
    const spec: EvictorSpec =
      rule.kind === 'count' ? countEvictor(rule.maxCount, after) : timeEvictor(rule.keep, after)
    const useAggregate = rnd.chance(0.5)
    const size = 10
    const lateness = 20
    const h = new OperatorHarness(
      new WindowOperator({
        assigner: tumbling(size),
        evictor: spec,
        allowedLateness: lateness,
        ...(useAggregate
          ? { aggregate: sum as AggregateFunction }
          : { process: (els, ctx) => ctx.emit((els as number[]).join(',')) }),
      }),
    )
    const evict = evictRule(rule)
    const windows = new Map<number, El[]>()
    const fire = (start: number): unknown => {
      const all = windows.get(start)!
      const evaluated = after ? all : evict(all)
      const kept = after ? evict(all) : evaluated
      evicted += all.length - kept.length
      windows.set(start, kept)
      const vs = evaluated.map((e) => e.v)
      return {
        value: useAggregate ? vs.reduce((a, b) => a + b, 0) : vs.join(','),
        timestamp: start + size - 1,
      }
    }
    let wm = Number.NEGATIVE_INFINITY
    let clock = 0
    for (let v = 0; v < 150; v++) {
      clock += rnd.int(0, 2)
      const ts = clock - rnd.int(0, 15)
      const start = Math.floor(ts / size) * size
      h.element(v, ts)
      const expected: unknown[] = []
      if (start + size - 1 + lateness <= wm) expected.push({ value: v, timestamp: ts })
      else {
        windows.set(start, [...(windows.get(start) ?? []), { ts, v }])
        if (start + size - 1 <= wm) expected.push(fire(start))
      }
      assert.deepEqual(
        h.take().map((e) => (e.kind === 'record' || e.kind === 'side' ? e.record : e)),
        expected,
        `seed ${seed} element ${v}`,
      )
      if (rnd.chance(0.3) && clock - 5 > wm) {
        const previous = wm
        wm = clock - 5
        h.watermark(wm)
        const fired: unknown[] = []
        for (const s of [...windows.keys()].sort((a, b) => a - b)) {
          const maxTs = s + size - 1
          if (previous < maxTs && maxTs <= wm) fired.push(fire(s))
          if (maxTs + lateness <= wm) windows.delete(s)
        }
        assert.deepEqual(
          h.take().flatMap((e) => (e.kind === 'record' ? [e.record] : [])),
          fired,
          `seed ${seed} watermark ${wm}`,
        )
      }
    }
  }
  assert.ok(evicted > 300, `evicted: ${evicted}`)
})

test('sliding count window: the last 3 elements, every 2 elements (global window, count trigger, count evictor)', () => {
  const h = new OperatorHarness(
    new WindowOperator({
      assigner: globalWindows(),
      trigger: countTrigger(2),
      evictor: countEvictor(3),
      process: (els, ctx) => ctx.emit((els as number[]).join(',')),
    }),
  )
  for (let v = 1; v <= 8; v++) h.element(v, 0, 'k')
  assert.deepEqual(h.values(), ['1,2', '2,3,4', '4,5,6', '6,7,8'])
})
