// Interval join against a nested-loop reference over random out-of-order inputs with independent
// watermarks per side: same pairs at the same step, same late elements, and state that holds
// exactly the elements a future partner could still match (checked after every watermark). Its
// cleanup schedule is rebuilt from keyed state on restore: checked by continuing from snapshots cut
// anywhere, whole or split by key.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Key } from '../model/record.ts'
import type { Operator } from '../operator/operator.ts'
import type { Plain } from '../serde/plain.ts'
import type { HarnessEvent, HarnessSnapshot } from '../testing/operator-harness.ts'
import { OperatorHarness } from '../testing/operator-harness.ts'
import { SeededRandom } from '../testing/random.ts'
import { type IntervalJoinConfig, IntervalJoinOperator, bufferedElements } from './interval-join.ts'

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
        // Kept: left a while combined < a + upper; right b while combined < b - lower. Exactly those
        // elements, in one row per key that holds any, and nothing else in the state.
        const kept = accepted.filter(
          (e) => (e.input === 0 ? e.ts + c.upperBound : e.ts - c.lowerBound) > combined,
        )
        const msg = `seed ${seed}: state after watermark ${combined}`
        const { elements, keys } = bufferedElements(h.runner.state)
        assert.deepEqual(
          elements.map(([side, key, ts, v]) => `${side}|${String(key)}|${ts}|${v}`).sort(),
          kept.map((e) => `${e.input === 0 ? 'left' : 'right'}|${e.key}|${e.ts}|${e.v}`).sort(),
          msg,
        )
        assert.equal(keys, new Set(kept.map((e) => e.key)).size, msg)
        assert.equal(h.runner.state.cellCount(), keys, msg)
        cleaned += accepted.length - kept.length
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
      // Restored elements are cleaned up too (their schedule was rebuilt).
      assert.equal(b.runner.state.cellCount(), 0)
    }
  }
})

/** What a task owning only `key` would restore when keyed state is split by key (rescaling). */
function onlyKey(s: HarnessSnapshot, key: string): HarnessSnapshot {
  const runner = s.runner as { state: { rows: [Plain, Plain][] }[] }
  const state = runner.state.map((t) => ({ ...t, rows: t.rows.filter(([k]) => k === key) }))
  return { ...s, runner: { ...runner, state } as unknown as Plain }
}

test('interval join: a snapshot split by key continues, key by key, as the uninterrupted run', () => {
  let restored = 0
  for (let seed = 1; seed <= 10; seed++) {
    const rnd = new SeededRandom(seed)
    const c = config(rnd)
    const steps = randomSteps(rnd, 100)
    const full = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 })
    for (const s of steps) run(full, s)
    for (let cut = 0; cut <= steps.length; cut += 9) {
      const a = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 })
      for (const s of steps.slice(0, cut)) run(a, s)
      const snapshot = a.snapshot()
      const after = full.events.slice(a.events.length)
      for (const key of ['a', 'b']) {
        const b = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 }).restore(
          onlyKey(snapshot, key),
        )
        restored += bufferedElements(b.runner.state).elements.length
        for (const s of steps.slice(cut)) if (s.kind === 'wm' || s.key === key) run(b, s)
        const expected = after.filter(
          (e) => e.kind === 'watermark' || e.kind === 'idle' || e.record.key === key,
        )
        assert.deepEqual(b.events, expected, `seed ${seed} cut ${cut} key ${key}`)
        assert.equal(b.runner.state.cellCount(), 0)
      }
    }
  }
  assert.ok(restored > 100, `restored cells: ${restored}`)
})

/**
 * A checkpoint as the earlier version wrote it: elements in map state 'left' (timestamp → values)
 * with a cleanup timer each, and no operator snapshot.
 */
function oldCheckpoint(
  elements: [key: string, ts: number, value: string][],
  watermark: number,
): HarnessSnapshot {
  const writer: Operator = {
    processBatch(batch, ctx) {
      for (const r of batch) {
        ctx.setCurrentKey(r.key)
        ctx.state.map<number, unknown[]>({ name: 'left' }).put(r.timestamp, [r.value])
        ctx.timers.registerEventTimeTimer(r.timestamp + 5, 'left')
      }
    },
  }
  const h = new OperatorHarness(writer, { inputs: 2 }).watermark(watermark)
  for (const [key, ts, value] of elements) h.element(value, ts, key, 0)
  return h.snapshot()
}

test('interval join: buffered state of the layout before the cleanup schedule is refused', () => {
  const c: IntervalJoinConfig = { lowerBound: -5, upperBound: 5, join: (l, r) => `${l}|${r}` }
  const b = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 }).restore(
    oldCheckpoint([['k', 10, 'x']], 3),
  )
  assert.throws(() => b.element('y', 11, 'k', 1), /earlier Riffle version/)
  assert.throws(() => b.watermark(20), /earlier Riffle version/)
  // With nothing buffered, nothing is lost: it continues.
  const e = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 }).restore(oldCheckpoint([], 3))
  e.element('x', 2, 'k', 0).element('x', 10, 'k', 0).element('y', 11, 'k', 1).watermark(2, 0).finish()
  assert.deepEqual(e.values(), ['x|y'])
  assert.deepEqual(
    e.side().map((r) => r.value),
    [{ side: 'left', value: 'x' }],
  )
  assert.equal(e.runner.state.cellCount(), 0)
})

/** A checkpoint of format 2: each key's buffer in one of eight map states 'buffers/0'… (entry 0). */
function format2Checkpoint(elements: [key: string, ts: number, value: string][]): HarnessSnapshot {
  const writer: Operator = {
    processBatch(batch, ctx) {
      for (const r of batch) {
        ctx.setCurrentKey(r.key)
        ctx.state
          .map<number, unknown>({ name: `buffers/${r.timestamp % 8}` })
          .put(0, [r.key, [r.timestamp, r.value], null])
      }
    },
    snapshot: () => ({ intervalJoin: 2 }),
  }
  const h = new OperatorHarness(writer, { inputs: 2 }).watermark(3)
  for (const [key, ts, value] of elements) h.element(value, ts, key, 0)
  return h.snapshot()
}

test('interval join: buffered state of format 2 (buffers spread over eight states) is refused', () => {
  const c: IntervalJoinConfig = { lowerBound: -5, upperBound: 5, join: (l, r) => `${l}|${r}` }
  const b = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 }).restore(
    format2Checkpoint([['k', 13, 'x']]),
  )
  assert.throws(() => b.element('y', 11, 'k', 1), /earlier Riffle version/)
  const e = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 }).restore(format2Checkpoint([]))
  e.element('x', 10, 'k', 0).element('y', 11, 'k', 1).finish()
  assert.deepEqual(e.values(), ['x|y'])
})

test('interval join: unkeyed input is buffered, restored and cleaned up as one key', () => {
  const c: IntervalJoinConfig = { lowerBound: -2, upperBound: 2, join: (l, r) => `${l}|${r}` }
  const a = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 })
  a.element('L1', 10, undefined, 0).element('L2', 11, undefined, 0).watermark(8)
  const b = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 }).restore(a.snapshot())
  const held = () => bufferedElements(b.runner.state).elements.map(([, key, ts, v]) => [key, ts, v])
  assert.deepEqual(held(), [
    [undefined, 10, 'L1'],
    [undefined, 11, 'L2'],
  ])
  b.element('R1', 12, undefined, 1).watermark(12)
  // L1 (10) can match nothing after 12; L2 (11) and R1 (12) still can.
  assert.deepEqual(held(), [
    [undefined, 11, 'L2'],
    [undefined, 12, 'R1'],
  ])
  b.element('L3', 13, undefined, 0).finish()
  assert.deepEqual(
    b.records().map((r) => [r.value, r.timestamp, 'key' in r]),
    [
      ['L1|R1', 12, false],
      ['L2|R1', 12, false],
      ['L3|R1', 13, false],
    ],
  )
  assert.equal(b.runner.state.cellCount(), 0)
})

test('interval join: keys of every kind are buffered, restored and cleaned up under their own key', () => {
  const keys: Key[] = [0, -1, 2.5, 2 ** 40, '', 'x', '\x01y', true, 10n, Buffer.from('ab'), ['a', 1]]
  const c: IntervalJoinConfig = { lowerBound: -2, upperBound: 2, join: (l, r) => `${l}|${r}` }
  const a = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 })
  keys.forEach((k, i) => a.element(`L${i}`, 10, k, 0))
  const b = new OperatorHarness(new IntervalJoinOperator(c), { inputs: 2 }).restore(a.snapshot())
  assert.equal(bufferedElements(b.runner.state).keys, keys.length)
  keys.forEach((k, i) => b.element(`R${i}`, 11, k, 1))
  b.watermark(12)
  // Left elements (10) are gone, right ones (11) stay until 13: one row per key still.
  assert.equal(b.runner.state.cellCount(), keys.length)
  b.finish()
  assert.deepEqual(
    b.records().map((r) => [r.value, r.key]),
    keys.map((k, i) => [`L${i}|R${i}`, k]),
  )
  assert.equal(b.runner.state.cellCount(), 0)
})

test('interval join: bounds are validated', () => {
  assert.throws(() => new IntervalJoinOperator({ lowerBound: 5, upperBound: 4, join: () => 0 }))
})
