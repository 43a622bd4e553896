// Global windows: one window per key that never ends by time, fired by count triggers. Time does
// not make anything late here: elements far behind the watermark still count.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AggregateFunction } from '../model/functions.ts'
import { OperatorHarness } from '../testing/operator-harness.ts'
import { SeededRandom } from '../testing/random.ts'
import { globalWindows } from './assigners/spec.ts'
import { countTrigger, purging } from './triggers/spec.ts'
import { WindowOperator } from './window-operator.ts'

const sum: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (v, acc) => acc + v,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
}

test('global windows with a count trigger match a per-key counting reference, and nothing is ever late', () => {
  let fires = 0
  let behindWatermark = 0
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = new SeededRandom(seed)
    const n = rnd.int(1, 5)
    const purge = rnd.chance(0.5)
    const useProcess = rnd.chance(0.5)
    const h = new OperatorHarness(
      new WindowOperator({
        assigner: globalWindows(),
        trigger: purge ? purging(countTrigger(n)) : countTrigger(n),
        allowedLateness: rnd.pick([0, 10]),
        ...(useProcess
          ? {
              process: (els, ctx) =>
                ctx.emit(`${ctx.window.start}..${ctx.window.end}:${(els as number[]).join(',')}`),
            }
          : { aggregate: sum as AggregateFunction }),
      }),
    )
    const seen = new Map<string, number[]>()
    const counts = new Map<string, number>()
    let wm = Number.NEGATIVE_INFINITY
    for (let v = 0; v < 120; v++) {
      const key = rnd.pick(['x', 'y'])
      const ts = rnd.int(0, 1000)
      if (ts <= wm) behindWatermark++
      h.element(v, ts, key)
      const values = [...(seen.get(key) ?? []), v]
      const count = (counts.get(key) ?? 0) + 1
      let expected: unknown[] = []
      if (count === n) {
        const value = useProcess
          ? `-Infinity..Infinity:${values.join(',')}`
          : values.reduce((a, b) => a + b, 0)
        expected = [{ kind: 'record', record: { value, timestamp: Number.POSITIVE_INFINITY, key } }]
        fires++
      }
      seen.set(key, count === n && purge ? [] : values)
      counts.set(key, count === n ? 0 : count)
      assert.deepEqual(h.take(), expected, `seed ${seed}, element ${v}`)
      if (rnd.chance(0.2)) {
        wm = Math.max(wm, rnd.int(0, 1200))
        h.watermark(wm)
        assert.deepEqual(
          h.take().filter((e) => e.kind !== 'watermark'),
          [],
        )
      }
    }
    h.finish()
    assert.deepEqual(h.take(), [{ kind: 'watermark', watermark: Number.POSITIVE_INFINITY }])
    assert.deepEqual(h.side(), [])
  }
  assert.ok(fires > 500, `fires: ${fires}`)
  assert.ok(behindWatermark > 500, `elements behind the watermark: ${behindWatermark}`)
})

test('a global window without a trigger never fires, not even at end of input', () => {
  const h = new OperatorHarness(
    new WindowOperator({ assigner: globalWindows(), aggregate: sum as AggregateFunction }),
  )
  h.element(1, 1, 'k').element(2, 2, 'k').finish()
  assert.deepEqual(h.values(), [])
  assert.equal(h.runner.state.cellCount(), 1)
})

test('global count window snapshot/restore continues the count', () => {
  const make = () =>
    new WindowOperator({
      assigner: globalWindows(),
      trigger: countTrigger(3),
      aggregate: sum as AggregateFunction,
    })
  const a = new OperatorHarness(make())
  a.element(1, 0, 'k').element(2, 0, 'k')
  const b = new OperatorHarness(make()).restore(a.snapshot())
  b.element(3, 0, 'k').element(4, 0, 'k').element(5, 0, 'k').element(6, 0, 'k')
  assert.deepEqual(b.values(), [6, 21])
})
