// Watermark merging (minimum over active channels, idleness, never backwards) and the generators.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { roundTrip } from '../serde/plain.ts'
import { SeededRandom } from '../testing/random.ts'
import { WatermarkMerger } from './merger.ts'
import {
  boundedOutOfOrderness,
  createGenerator,
  customWatermarks,
  monotonous,
  noWatermarks,
} from './strategies.ts'

test('the combined watermark is the minimum over channels and waits for every channel', () => {
  const m = new WatermarkMerger(3)
  assert.equal(m.advance(0, 10), undefined)
  assert.equal(m.advance(1, 20), undefined)
  assert.equal(m.advance(2, 5), 5)
  assert.equal(m.advance(2, 30), 10)
  assert.equal(m.advance(0, 8), undefined) // a channel going back is ignored
  assert.equal(m.watermarkOf(0), 10)
  assert.equal(m.advance(0, 25), 20)
  assert.equal(m.current, 20)
})

test('an idle channel is left out until it is active again; it never pulls the watermark back', () => {
  const m = new WatermarkMerger(2)
  m.advance(0, 100)
  assert.equal(m.current, Number.NEGATIVE_INFINITY) // channel 1 has said nothing
  assert.equal(m.markIdle(1), 100)
  assert.equal(m.advance(0, 150), 150)
  m.activate(1) // data again, but its watermark is far behind: nothing goes back
  assert.equal(m.isIdle(1), false)
  assert.equal(m.current, 150)
  assert.equal(m.advance(0, 200), undefined) // now held back by channel 1 ...
  assert.equal(m.advance(1, 160), 160) // ... until it catches up
  assert.equal(m.markIdle(1), 200)
  assert.equal(m.markIdle(0), undefined)
  assert.equal(m.allIdle, true)
})

test('when the last active channel goes idle, the watermark moves to the maximum of all channels', () => {
  const m = new WatermarkMerger(2)
  m.advance(0, 50)
  assert.equal(m.advance(1, 10), 10)
  assert.equal(m.markIdle(0), undefined)
  assert.equal(m.markIdle(1), 50)
  assert.equal(m.current, 50)
})

test('random channel activity: monotone, equal to the reference, and restorable', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const rnd = new SeededRandom(seed)
    const n = rnd.int(1, 4)
    let m = new WatermarkMerger(n)
    const wms = new Array<number>(n).fill(Number.NEGATIVE_INFINITY)
    const idle = new Array<boolean>(n).fill(false)
    let combined = Number.NEGATIVE_INFINITY
    for (let i = 0; i < 200; i++) {
      const c = rnd.int(0, n - 1)
      const op = rnd.int(0, 2)
      const before = m.current
      if (op === 0) {
        const w = rnd.int(0, 100 + i)
        m.advance(c, w)
        wms[c] = Math.max(wms[c]!, w)
        idle[c] = false
      } else if (op === 1) {
        m.activate(c)
        idle[c] = false
      } else {
        m.markIdle(c)
        idle[c] = true
      }
      const active = wms.filter((_, j) => !idle[j])
      const candidate = active.length > 0 ? Math.min(...active) : Math.max(...wms)
      combined = Math.max(combined, candidate)
      assert.equal(m.current, combined, `seed ${seed} step ${i}`)
      assert.ok(m.current >= before)
      if (rnd.chance(0.1)) {
        const copy = new WatermarkMerger(n)
        copy.restore(roundTrip(m.snapshot()))
        m = copy
      }
    }
  }
})

test('generators: bounded out-of-orderness trails the maximum by bound + 1, monotonous by 1', () => {
  const bounded = createGenerator(boundedOutOfOrderness(10))
  assert.equal(bounded.currentWatermark(), Number.NEGATIVE_INFINITY)
  for (const t of [100, 130, 90]) bounded.onEvent(t, null)
  assert.equal(bounded.currentWatermark(), 119)
  const restored = createGenerator(boundedOutOfOrderness(10))
  restored.restore(roundTrip({ s: bounded.snapshot() as number }).s)
  assert.equal(restored.currentWatermark(), 119)
  const mono = createGenerator(monotonous())
  mono.onEvent(5, null)
  assert.equal(mono.currentWatermark(), 4)
  const none = createGenerator(noWatermarks())
  none.onEvent(5, null)
  assert.equal(none.currentWatermark(), Number.NEGATIVE_INFINITY)
  // A punctuated generator: watermark = the timestamp of the last value saying 'tick'.
  let last = Number.NEGATIVE_INFINITY
  const custom = createGenerator(
    customWatermarks(() => ({
      onEvent: (t, v) => {
        if (v === 'tick') last = t
      },
      currentWatermark: () => last,
      snapshot: () => last,
      restore: (s) => {
        last = s as number
      },
    })),
  )
  custom.onEvent(7, 'x')
  custom.onEvent(9, 'tick')
  assert.equal(custom.currentWatermark(), 9)
  assert.throws(() => createGenerator(boundedOutOfOrderness(-1)))
})

test('one channel: its watermark, idle or not, never backwards; as a second channel that stays idle', () => {
  const one = new WatermarkMerger(1)
  const two = new WatermarkMerger(2)
  two.markIdle(1)
  const steps: [string, number][] = [
    ['advance', 5],
    ['advance', 3],
    ['idle', 0],
    ['advance', 5],
    ['advance', 9],
    ['idle', 0],
    ['advance', 12],
  ]
  const got = steps.map(([op, w]) =>
    op === 'advance' ? [one.advance(0, w), one.current] : [one.markIdle(0), one.current],
  )
  assert.deepEqual(got, [
    [5, 5],
    [undefined, 5],
    [undefined, 5],
    [undefined, 5],
    [9, 9],
    [undefined, 9],
    [12, 12],
  ])
  const same = steps.map(([op, w]) =>
    op === 'advance' ? [two.advance(0, w), two.current] : [two.markIdle(0), two.current],
  )
  assert.deepEqual(same, got)
})
