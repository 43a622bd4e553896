// Interval join against a nested-loop reference over random out-of-order inputs with independent
// watermarks per side: same pairs at the same step, same late elements, and state that holds
// exactly the elements a future partner could still match (checked after every watermark).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { HarnessEvent } from '../testing/operator-harness.ts'
import { OperatorHarness } from '../testing/operator-harness.ts'
import { SeededRandom } from '../testing/random.ts'
import { type IntervalJoinConfig, IntervalJoinOperator } from './interval-join.ts'

type Step =
  | { kind: 'el'; input: 0 | 1; key: string; ts: number; v: string }
  | { kind: 'wm'; input: 0 | 1; wm: number }

function randomSteps(rnd: SeededRandom, n: number): Step[] {
  const steps: Step[] = []
  const clock = [0, 0]
  const maxTs = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]
  const wm = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]
  for (let i = 0; i < n; i++) {
    const input = rnd.int(0, 1) as 0 | 1
    clock[input]! += rnd.int(0, 4)
    const ts = clock[input]! - rnd.int(0, 12)
    maxTs[input] = Math.max(maxTs[input]!, ts)
    steps.push({ kind: 'el', input, key: rnd.pick(['a', 'b']), ts, v: `${input === 0 ? 'L' : 'R'}${i}` })
    if (rnd.chance(0.25)) {
      const w = maxTs[input]! - rnd.int(0, 6)
      if (w > wm[input]!) steps.push({ kind: 'wm', input, wm: (wm[input] = w) })
    }
  }
  steps.push({ kind: 'wm', input: 0, wm: Number.POSITIVE_INFINITY })
  steps.push({ kind: 'wm', input: 1, wm: Number.POSITIVE_INFINITY })
  return steps
}

function normalize(events: readonly HarnessEvent[]): string[] {
  return events
    .flatMap((e) =>
      e.kind === 'record'
        ? [`${String(e.record.key)}@${e.record.timestamp}=${e.record.value}`]
        : e.kind === 'side'
          ? [`${e.tag}:${String(e.record.key)}@${e.record.timestamp}=${JSON.stringify(e.record.value)}`]
          : [],
    )
    .sort()
}

function config(rnd: SeededRandom): IntervalJoinConfig {
  const lowerBound = rnd.int(-10, 5)
  return {
    lowerBound,
    upperBound: lowerBound + rnd.int(0, 15),
    lowerExclusive: rnd.chance(0.3),
    upperExclusive: rnd.chance(0.3),
    join: (l, r, info) => `${l}|${r}|${info.leftTimestamp}|${info.rightTimestamp}`,
  }
}

const run = (h: OperatorHarness, s: Step) =>
  s.kind === 'el' ? h.element(s.v, s.ts, s.key, s.input) : h.watermark(s.wm, s.input)

test('interval join equals the nested-loop reference, and state holds exactly what can still match', () => {
  let pairs = 0
  let late = 0
  let cleaned = 0
  for (let seed = 1; seed <= 60; seed++) {
    const rnd = new SeededRandom(seed)
    const c = config(rnd)
    const steps = randomSteps(rnd, 150)
    const h = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 })
    const accepted: { input: 0 | 1; key: string; ts: number; v: string }[] = []
    const wms = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]
    let combined = Number.NEGATIVE_INFINITY
    const matches = (a: number, b: number) => {
      const d = b - a
      return (
        (c.lowerExclusive ? d > c.lowerBound : d >= c.lowerBound) &&
        (c.upperExclusive ? d < c.upperBound : d <= c.upperBound)
      )
    }
    for (const s of steps) {
      run(h, s)
      const expected: string[] = []
      if (s.kind === 'el') {
        if (s.ts <= combined) {
          expected.push(
            `late:${s.key}@${s.ts}=${JSON.stringify({ side: s.input === 0 ? 'left' : 'right', value: s.v })}`,
          )
          late++
        } else {
          for (const o of accepted) {
            if (o.key !== s.key || o.input === s.input) continue
            const [l, r] = s.input === 0 ? [s, o] : [o, s]
            if (!matches(l.ts, r.ts)) continue
            expected.push(`${s.key}@${Math.max(l.ts, r.ts)}=${l.v}|${r.v}|${l.ts}|${r.ts}`)
            pairs++
          }
          accepted.push(s)
        }
      } else {
        wms[s.input] = Math.max(wms[s.input]!, s.wm)
        combined = Math.max(combined, Math.min(wms[0]!, wms[1]!))
        // Kept: left a while combined < a + upper; right b while combined < b - lower (one cell per
        // distinct (key, side, timestamp)).
        const kept = new Set(
          accepted
            .filter((e) => (e.input === 0 ? e.ts + c.upperBound : e.ts - c.lowerBound) > combined)
            .map((e) => `${e.input}|${e.key}|${e.ts}`),
        )
        assert.equal(h.runner.state.cellCount(), kept.size, `seed ${seed}: state after watermark ${combined}`)
        cleaned += accepted.length - kept.size
      }
      assert.deepEqual(normalize(h.take()), expected.sort(), `seed ${seed}`)
    }
    assert.equal(h.runner.state.cellCount(), 0)
    assert.equal(h.runner.timers.size, 0)
  }
  assert.ok(pairs > 2000, `pairs: ${pairs}`)
  assert.ok(late > 200, `late: ${late}`)
  assert.ok(cleaned > 2000, `cleaned: ${cleaned}`)
})

test('interval join: snapshot and restore anywhere equals the uninterrupted run', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const rnd = new SeededRandom(seed)
    const c = config(rnd)
    const steps = randomSteps(rnd, 100)
    const full = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 })
    for (const s of steps) run(full, s)
    for (let cut = 0; cut <= steps.length; cut += 7) {
      const a = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 })
      for (const s of steps.slice(0, cut)) run(a, s)
      const b = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 }).restore(a.snapshot())
      for (const s of steps.slice(cut)) run(b, s)
      assert.deepEqual([...a.events, ...b.events], full.events, `seed ${seed} cut ${cut}`)
    }
  }
})

test('interval join: bounds are validated', () => {
  assert.throws(() => new IntervalJoinOperator({ lowerBound: 5, upperBound: 4, join: () => 0 }))
})
