// The window operator against brute-force references, for tumbling, sliding and session windows:
// explicit scenarios, then randomized out-of-order streams (seeded) where every step's output is
// compared exactly with a reference that recomputes each window from the elements it holds.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AggregateFunction } from '../model/functions.ts'
import { OperatorHarness } from '../testing/operator-harness.ts'
import type { HarnessEvent } from '../testing/operator-harness.ts'
import { SeededRandom } from '../testing/random.ts'
import { type AssignerSpec, session, sliding, tumbling } from './assigners/spec.ts'
import { type WindowConfig, WindowOperator } from './window-operator.ts'
import type { Window } from './window.ts'

type Step = { kind: 'el'; key: string; ts: number; v: number } | { kind: 'wm'; wm: number }
type Flavor = 'aggregate' | 'process' | 'aggregate+process'

const sortedValues = (vs: readonly number[]) => [...vs].sort((a, b) => a - b).join(',')

const collect: AggregateFunction<number, number[], string> = {
  createAccumulator: () => [],
  add: (v, acc) => {
    acc.push(v)
    return acc
  },
  getResult: sortedValues,
  merge: (a, b) => [...a, ...b],
}

function windowConfig(assigner: AssignerSpec, allowedLateness: number, flavor: Flavor): WindowConfig {
  const base = { assigner, allowedLateness }
  switch (flavor) {
    case 'aggregate':
      return { ...base, aggregate: collect as AggregateFunction }
    case 'process':
      return {
        ...base,
        process: (els, ctx) =>
          ctx.emit(`${ctx.window.start}:${ctx.window.end}:${sortedValues(els as number[])}`),
      }
    case 'aggregate+process':
      return {
        ...base,
        aggregate: collect as AggregateFunction,
        process: ([result], ctx) => ctx.emit(`${ctx.window.start}:${ctx.window.end}:${result}`),
      }
  }
}

/** What the operator's output should look like for window w of key holding values. */
function formatter(flavor: Flavor) {
  return (key: string, w: Window, values: readonly number[]) =>
    flavor === 'aggregate'
      ? `${key}@${w.end - 1}=${sortedValues(values)}`
      : `${key}@${w.end - 1}=${w.start}:${w.end}:${sortedValues(values)}`
}

/** One step's output, normalized: records and side outputs sorted, then watermarks in order. */
function normalize(events: readonly HarnessEvent[]): string[] {
  const records: string[] = []
  const watermarks: string[] = []
  for (const e of events) {
    if (e.kind === 'record') records.push(`${String(e.record.key)}@${e.record.timestamp}=${e.record.value}`)
    else if (e.kind === 'side')
      records.push(`${e.tag}:${String(e.record.key)}@${e.record.timestamp}=${e.record.value}`)
    else if (e.kind === 'watermark') watermarks.push(`wm:${e.watermark}`)
  }
  return [...records.sort(), ...watermarks]
}

function runSteps(h: OperatorHarness, steps: readonly Step[]): string[][] {
  return steps.map((s) => {
    if (s.kind === 'el') h.element(s.v, s.ts, s.key)
    else h.watermark(s.wm)
    return normalize(h.take())
  })
}

/** Reference for non-merging windows: per window the list of accepted elements, fired by rule. */
function referenceFixed(
  steps: readonly Step[],
  windowsOf: (ts: number) => Window[],
  lateness: number,
  fmt: (key: string, w: Window, values: readonly number[]) => string,
): string[][] {
  let wm = Number.NEGATIVE_INFINITY
  const live = new Map<string, { key: string; w: Window; values: number[] }>()
  return steps.map((s) => {
    const records: string[] = []
    const watermarks: string[] = []
    if (s.kind === 'el') {
      const open = windowsOf(s.ts).filter((w) => !(w.end - 1 + lateness <= wm))
      if (open.length === 0) records.push(`late:${s.key}@${s.ts}=${s.v}`)
      for (const w of open) {
        const id = `${s.key}|${w.start}|${w.end}`
        const entry = live.get(id) ?? { key: s.key, w, values: [] }
        live.set(id, entry)
        entry.values.push(s.v)
        if (w.end - 1 <= wm) records.push(fmt(s.key, w, entry.values))
      }
    } else if (s.wm > wm) {
      for (const e of live.values())
        if (wm < e.w.end - 1 && e.w.end - 1 <= s.wm) records.push(fmt(e.key, e.w, e.values))
      for (const [id, e] of live) if (e.w.end - 1 + lateness <= s.wm) live.delete(id)
      wm = s.wm
      watermarks.push(`wm:${s.wm}`)
    }
    return [...records.sort(), ...watermarks]
  })
}

interface Session {
  start: number
  end: number
  members: { ts: number; v: number }[]
}

/** Sessions of a set of elements, from scratch: sort, then split where the next start is past the end. */
function sessionsOf(elements: readonly { ts: number; v: number }[], gap: number): Session[] {
  const sorted = [...elements].sort((a, b) => a.ts - b.ts)
  const out: Session[] = []
  for (const e of sorted) {
    const last = out.at(-1)
    if (last && e.ts <= last.end) {
      last.end = Math.max(last.end, e.ts + gap)
      last.members.push(e)
    } else out.push({ start: e.ts, end: e.ts + gap, members: [e] })
  }
  return out
}

function referenceSessions(
  steps: readonly Step[],
  gap: number,
  lateness: number,
  fmt: (key: string, w: Window, values: readonly number[]) => string,
): string[][] {
  let wm = Number.NEGATIVE_INFINITY
  const live = new Map<string, { ts: number; v: number }[]>()
  return steps.map((s) => {
    const records: string[] = []
    const watermarks: string[] = []
    if (s.kind === 'el') {
      const element = { ts: s.ts, v: s.v }
      const candidate = [...(live.get(s.key) ?? []), element]
      const S = sessionsOf(candidate, gap).find((g) => g.members.includes(element))!
      if (S.end - 1 + lateness <= wm) records.push(`late:${s.key}@${s.ts}=${s.v}`)
      else {
        live.set(s.key, candidate)
        if (S.end - 1 <= wm)
          records.push(
            fmt(
              s.key,
              S,
              S.members.map((m) => m.v),
            ),
          )
      }
    } else if (s.wm > wm) {
      for (const [key, elements] of live) {
        const removed = new Set<{ ts: number; v: number }>()
        for (const S of sessionsOf(elements, gap)) {
          if (wm < S.end - 1 && S.end - 1 <= s.wm)
            records.push(
              fmt(
                key,
                S,
                S.members.map((m) => m.v),
              ),
            )
          if (S.end - 1 + lateness <= s.wm) for (const m of S.members) removed.add(m)
        }
        live.set(
          key,
          elements.filter((e) => !removed.has(e)),
        )
      }
      wm = s.wm
      watermarks.push(`wm:${s.wm}`)
    }
    return [...records.sort(), ...watermarks]
  })
}

/** Brute-force window membership: every aligned start near ts, kept if it contains ts. */
function alignedWindows(size: number, slide: number, offset: number) {
  return (ts: number): Window[] => {
    const out: Window[] = []
    const k0 = Math.floor((ts - size - offset) / slide) - 1
    const k1 = Math.floor((ts - offset) / slide) + 1
    for (let k = k0; k <= k1; k++) {
      const start = offset + k * slide
      if (start <= ts && ts < start + size) out.push({ start, end: start + size })
    }
    return out
  }
}

/** An out-of-order stream: a drifting clock, random lag per element, occasional watermarks that
 * trail the maximum by less than the lag can be (so some elements are late). In order: no lag, and
 * watermarks one behind the maximum (Flink's monotonous strategy), so nothing is late. */
function randomSteps(rnd: SeededRandom, n: number, inOrder = false): Step[] {
  const steps: Step[] = []
  let clock = rnd.int(-40, 40)
  let maxTs = Number.NEGATIVE_INFINITY
  let wm = Number.NEGATIVE_INFINITY
  const disorder = inOrder ? 0 : rnd.int(0, 30)
  for (let v = 0; v < n; v++) {
    clock += rnd.int(0, 3)
    const ts = clock - rnd.int(0, disorder)
    maxTs = Math.max(maxTs, ts)
    steps.push({ kind: 'el', key: rnd.pick(['a', 'b', 'c']), ts, v })
    if (rnd.chance(0.25)) {
      const w = maxTs - (inOrder ? 1 : rnd.int(0, Math.ceil(disorder / 2)))
      if (w > wm) steps.push({ kind: 'wm', wm: (wm = w) })
    }
  }
  steps.push({ kind: 'wm', wm: Number.POSITIVE_INFINITY })
  return steps
}

interface Stats {
  outOfOrder: number
  refires: number
  late: number
  fires: number
}

function tally(steps: readonly Step[], outputs: readonly string[][], stats: Stats): void {
  let maxTs = Number.NEGATIVE_INFINITY
  steps.forEach((s, i) => {
    const out = outputs[i]!
    if (s.kind === 'el') {
      if (s.ts < maxTs) stats.outOfOrder++
      maxTs = Math.max(maxTs, s.ts)
      stats.refires += out.filter((o) => !o.startsWith('late:')).length
    }
    stats.late += out.filter((o) => o.startsWith('late:')).length
    stats.fires += out.filter((o) => !o.startsWith('late:') && !o.startsWith('wm:')).length
  })
}

const FLAVORS: Flavor[] = ['aggregate', 'process', 'aggregate+process']
const SEEDS = 30

function randomized(
  name: string,
  make: (rnd: SeededRandom) => {
    assigner: AssignerSpec
    reference: (steps: Step[], lateness: number, fmt: ReturnType<typeof formatter>) => string[][]
  },
) {
  test(`${name}: randomized out-of-order streams match the brute-force reference (${SEEDS} seeds × 3 window functions)`, () => {
    const stats: Stats = { outOfOrder: 0, refires: 0, late: 0, fires: 0 }
    let inOrderFires = 0
    for (let seed = 1; seed <= SEEDS; seed++)
      for (const flavor of FLAVORS) {
        const rnd = new SeededRandom(seed * 7919 + FLAVORS.indexOf(flavor))
        const { assigner, reference } = make(rnd)
        const lateness = rnd.pick([0, 3, 10, 25])
        const inOrder = seed % 5 === 0
        const steps = randomSteps(rnd, 150, inOrder)
        const h = new OperatorHarness(new WindowOperator(windowConfig(assigner, lateness, flavor)))
        const actual = runSteps(h, steps)
        const expected = reference(steps, lateness, formatter(flavor))
        assert.deepEqual(
          actual,
          expected,
          `seed ${seed}, ${flavor}, ${JSON.stringify(assigner)}, lateness ${lateness}`,
        )
        if (inOrder) {
          // In order: every window fires exactly once, on a watermark, and nothing is late.
          const own: Stats = { outOfOrder: 0, refires: 0, late: 0, fires: 0 }
          tally(steps, actual, own)
          assert.deepEqual({ ...own, fires: 0 }, { outOfOrder: 0, refires: 0, late: 0, fires: 0 })
          inOrderFires += own.fires
        }
        tally(steps, actual, stats)
        // Everything is cleaned up once the final watermark has passed.
        assert.equal(h.runner.state.cellCount(), 0)
        assert.equal(h.runner.timers.size, 0)
      }
    // The streams really exercised each case.
    assert.ok(stats.outOfOrder > 1000, `out of order: ${stats.outOfOrder}`)
    assert.ok(stats.refires > 50, `late-within-lateness re-fires: ${stats.refires}`)
    assert.ok(stats.late > 50, `too late: ${stats.late}`)
    assert.ok(stats.fires > 1000, `fires: ${stats.fires}`)
    assert.ok(inOrderFires > 200, `in-order fires: ${inOrderFires}`)
  })
}

randomized('tumbling', (rnd) => {
  const size = rnd.int(5, 20)
  const offset = rnd.int(0, size - 1)
  return {
    assigner: tumbling(size, offset),
    reference: (steps, lateness, fmt) =>
      referenceFixed(steps, alignedWindows(size, size, offset), lateness, fmt),
  }
})

randomized('sliding', (rnd) => {
  const slide = rnd.int(2, 8)
  const size = slide * rnd.int(1, 4) + rnd.int(0, slide - 1)
  const offset = rnd.int(0, slide - 1)
  return {
    assigner: sliding(size, slide, offset),
    reference: (steps, lateness, fmt) =>
      referenceFixed(steps, alignedWindows(size, slide, offset), lateness, fmt),
  }
})

randomized('session', (rnd) => {
  const gap = rnd.int(2, 9)
  return {
    assigner: session(gap),
    reference: (steps, lateness, fmt) => referenceSessions(steps, gap, lateness, fmt),
  }
})

test('tumbling: in order, out of order, late within lateness re-fires, too late goes to the side output', () => {
  const h = new OperatorHarness(new WindowOperator(windowConfig(tumbling(10), 5, 'aggregate')))
  h.element(1, 1, 'a').element(2, 12, 'a').element(3, 5, 'a').element(4, 3, 'b')
  assert.deepEqual(h.take(), [])
  h.watermark(9)
  assert.deepEqual(normalize(h.take()), ['a@9=1,3', 'b@9=4', 'wm:9'])
  h.element(5, 7, 'a') // window [0, 10) is kept until watermark 14: fires again with 5 added
  assert.deepEqual(normalize(h.take()), ['a@9=1,3,5'])
  h.watermark(14)
  assert.deepEqual(normalize(h.take()), ['wm:14'])
  h.element(6, 8, 'a') // [0, 10) is gone: too late
  assert.deepEqual(h.take(), [{ kind: 'side', tag: 'late', record: { value: 6, timestamp: 8, key: 'a' } }])
  h.element(7, 19, 'a').finish()
  assert.deepEqual(h.take(), [
    { kind: 'record', record: { value: '2,7', timestamp: 19, key: 'a' } },
    { kind: 'watermark', watermark: Number.POSITIVE_INFINITY },
  ])
})

test('sliding: an element lands in size/slide windows; each fires once, late ones only where still open', () => {
  const h = new OperatorHarness(new WindowOperator(windowConfig(sliding(10, 5), 4, 'process')))
  h.element(1, 7, 'k').watermark(9)
  assert.deepEqual(normalize(h.take()), ['k@9=0:10:1', 'wm:9'])
  h.element(2, 3, 'k') // in [-5, 5) (late beyond 4+4) and [0, 10) (open until 13)
  assert.deepEqual(normalize(h.take()), ['k@9=0:10:1,2'])
  h.element(3, 2, 'k').watermark(13)
  assert.deepEqual(normalize(h.take()), ['k@9=0:10:1,2,3', 'wm:13'])
  h.element(4, 9, 'k') // [0, 10) cleaned at 13; [5, 15) still open
  assert.deepEqual(normalize(h.take()), [])
  h.element(5, 1, 'k') // [-5, 5) and [0, 10) both gone
  assert.deepEqual(normalize(h.take()), ['late:k@1=5'])
  h.finish()
  assert.deepEqual(normalize(h.take()), ['k@14=5:15:1,4', 'wm:Infinity'])
})

test('session: windows merge, and a late element bridging two sessions merges them into one', () => {
  const h = new OperatorHarness(new WindowOperator(windowConfig(session(5), 20, 'aggregate+process')))
  h.element(1, 1, 'a').element(2, 10, 'a').element(3, 3, 'a') // sessions [1, 8) and [10, 15)
  h.watermark(8)
  assert.deepEqual(normalize(h.take()), ['a@7=1:8:1,3', 'wm:8'])
  // 6 → [6, 11) touches [1, 8) and [10, 15): one session [1, 15), not yet due (watermark 8).
  h.element(4, 6, 'a')
  assert.deepEqual(normalize(h.take()), [])
  h.watermark(14)
  assert.deepEqual(normalize(h.take()), ['a@14=1:15:1,2,3,4', 'wm:14'])
  h.element(5, 2, 'a') // inside [1, 15), which is kept until 34: re-fires
  assert.deepEqual(normalize(h.take()), ['a@14=1:15:1,2,3,4,5'])
  h.watermark(34).element(6, 0, 'a') // [0, 5) would merge with nothing left: too late
  assert.deepEqual(normalize(h.take()), ['late:a@0=6', 'wm:34'])
})

test('window operator: snapshot and restore at any point continues exactly like the uninterrupted run', () => {
  const assigners: AssignerSpec[] = [tumbling(10, 3), sliding(12, 4), session(6)]
  for (let seed = 1; seed <= 4; seed++)
    for (const assigner of assigners)
      for (const flavor of FLAVORS) {
        const rnd = new SeededRandom(seed)
        const steps = randomSteps(rnd, 80)
        const config = () => new WindowOperator(windowConfig(assigner, 10, flavor))
        const full = new OperatorHarness(config())
        runSteps(full, steps)
        for (let cut = 0; cut <= steps.length; cut += 11) {
          const before = new OperatorHarness(config())
          runSteps(before, steps.slice(0, cut))
          const after = new OperatorHarness(config()).restore(before.snapshot())
          runSteps(after, steps.slice(cut))
          assert.deepEqual(
            [...before.events, ...after.events],
            full.events,
            `seed ${seed}, ${JSON.stringify(assigner)}, ${flavor}, cut at ${cut}`,
          )
        }
      }
})
