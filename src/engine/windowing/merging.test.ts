// Session windows as a merging window set with a stable state slot: what the operator keeps in its
// state and timers while sessions grow and merge (the brute-force tests in window-operator.test.ts
// check the output; these check the exact state behind it).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isRiffleError } from '../../core/errors.ts'
import type { AggregateFunction } from '../model/functions.ts'
import { OperatorHarness } from '../testing/operator-harness.ts'
import { SeededRandom } from '../testing/random.ts'
import { session } from './assigners/spec.ts'
import { EventTimeTrigger } from './triggers/event-time.ts'
import { continuousEventTimeTrigger, customTrigger } from './triggers/spec.ts'
import type { Trigger } from './triggers/trigger.ts'
import { WindowOperator } from './window-operator.ts'

const sum: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (v, acc) => acc + v,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
}

interface Entry {
  id: string
  slot: number
  window: { start: number; end: number }
  count: number
  acc: number
  trigger: Record<string, unknown>
  timers?: number[]
}

interface Row {
  key: unknown
  windows: [number, Entry][]
}

/** The operator's window state as a checkpoint holds it: per key, slot → entry. */
function windows(h: OperatorHarness): Row[] {
  const runner = h.snapshot().runner as unknown as {
    state: { name: string; rows: [unknown, [number, Entry, number][]][] }[]
  }
  const t = runner.state.find((x) => x.name === 'windows')
  return (t?.rows ?? []).map(([key, cells]) => ({ key, windows: cells.map(([slot, v]) => [slot, v]) }))
}

/** Live timers as (key, namespace, timestamp), in firing order. */
function timers(h: OperatorHarness): [unknown, string, number][] {
  const s = h.snapshot().runner as unknown as { timers: [string, unknown, string, number][] }
  return s.timers.map(([, key, ns, ts]) => [key, ns, ts])
}

test('a growing session keeps its first window slot and moves its one timer', () => {
  const h = new OperatorHarness(
    new WindowOperator({ assigner: session(10), aggregate: sum as AggregateFunction }),
  )
  h.element(1, 100, 'a')
  assert.deepEqual(windows(h), [
    {
      key: 'a',
      windows: [
        [
          100,
          {
            id: '100',
            slot: 100,
            window: { start: 100, end: 110 },
            count: 1,
            trigger: {},
            acc: 1,
            timers: [109],
          },
        ],
      ],
    },
  ])
  assert.deepEqual(timers(h), [['a', '100', 109]])
  h.element(2, 105, 'a').element(3, 112, 'a')
  const [row] = windows(h)
  assert.equal(row!.windows.length, 1)
  const [slot, entry] = row!.windows[0]!
  assert.equal(slot, 100)
  assert.equal(entry.id, '100')
  assert.deepEqual(entry.window, { start: 100, end: 122 })
  assert.equal(entry.acc, 6)
  assert.deepEqual(entry.timers, [121])
  // One timer, at the session's end, in the stable namespace: the old ones were moved, not left.
  assert.deepEqual(timers(h), [['a', '100', 121]])
  assert.equal(h.runner.timers.size, 1)
  // An element inside the session changes nothing but the contents.
  h.element(4, 101, 'a')
  assert.deepEqual(timers(h), [['a', '100', 121]])
  h.watermark(121)
  assert.deepEqual(h.values(), [10])
  assert.deepEqual(windows(h), [])
  assert.equal(h.runner.timers.size, 0)
})

test('a bridging element merges sessions into the earliest one, whatever order they came in', () => {
  const h = new OperatorHarness(
    new WindowOperator({ assigner: session(5), aggregate: sum as AggregateFunction }),
  )
  h.element(1, 20, 'k').element(2, 1, 'k').element(4, 10, 'k') // [20, 25), [1, 6), [10, 15)
  assert.deepEqual(
    windows(h)[0]!.windows.map(([slot, e]) => [slot, e.window.start, e.window.end, e.acc]),
    [
      [20, 20, 25, 1],
      [1, 1, 6, 2],
      [10, 10, 15, 4],
    ],
  )
  h.element(8, 6, 'k') // [6, 11) touches [1, 6) and [10, 15)
  assert.deepEqual(
    windows(h)[0]!.windows.map(([slot, e]) => [slot, e.window.start, e.window.end, e.acc]),
    [
      [20, 20, 25, 1],
      [1, 1, 15, 14],
    ],
  )
  assert.deepEqual(timers(h), [
    ['k', '1', 14],
    ['k', '20', 24],
  ])
  h.element(16, 15, 'k') // [15, 20) touches [1, 15) and [20, 25): one session [1, 25)
  assert.deepEqual(
    windows(h)[0]!.windows.map(([slot, e]) => [slot, e.window.start, e.window.end, e.acc]),
    [[1, 1, 25, 31]],
  )
  assert.deepEqual(timers(h), [['k', '1', 24]])
  h.finish()
  assert.deepEqual(h.values(), [31])
  assert.equal(h.runner.timers.size, 0)
})

test('merging with a trigger that keeps state and its own timers: state merged, timers moved or deleted', () => {
  // Continuous event-time trigger: fires every 4 ms of event time (aligned) and at the window end.
  const h = new OperatorHarness(
    new WindowOperator({
      assigner: session(5),
      trigger: continuousEventTimeTrigger(4),
      aggregate: sum as AggregateFunction,
    }),
  )
  h.element(1, 1, 'x').element(1, 10, 'x') // [1, 6): next 4, end 5; [10, 15): next 12, end 14
  assert.deepEqual(timers(h), [
    ['x', '1', 4],
    ['x', '1', 5],
    ['x', '10', 12],
    ['x', '10', 14],
  ])
  h.element(1, 6, 'x') // [6, 11) bridges both: [1, 15), next = min(4, 12)
  const [slot, entry] = windows(h)[0]!.windows[0]!
  assert.equal(slot, 1)
  assert.deepEqual(entry.window, { start: 1, end: 15 })
  assert.deepEqual(entry.trigger, { next: 4 })
  assert.deepEqual(timers(h), [
    ['x', '1', 4],
    ['x', '1', 14],
  ])
  h.watermark(4)
  assert.deepEqual(h.values(), [3])
})

test('window state in the layout of an earlier version (windows filed by id string) is refused, not misread', () => {
  const make = () => new WindowOperator({ assigner: session(10), aggregate: sum as AggregateFunction })
  const h = new OperatorHarness(make()).element(1, 100, 'a')
  const snapshot = h.snapshot()
  // What an earlier version wrote: no operator snapshot, entries under 'start:end'.
  const runner = snapshot.runner as unknown as {
    operator: unknown
    state: { name: string; rows: [unknown, [unknown, unknown, number][]][] }[]
  }
  runner.operator = null
  runner.state.find((t) => t.name === 'windows')!.rows[0]![1][0]![0] = '100:110'
  const restored = new OperatorHarness(make()).restore(snapshot)
  assert.throws(
    () => restored.element(2, 105, 'a'),
    (e) => isRiffleError(e, 'INVALID_ARGUMENT') && /earlier Riffle version/.test((e as Error).message),
  )
  // A snapshot of this version restores and continues.
  const again = new OperatorHarness(make()).restore(h.snapshot()).element(2, 105, 'a').finish()
  assert.deepEqual(again.values(), [3])
})

test('the shortcut for growing sessions does exactly what the generic merge does (same events, timers, state)', () => {
  // The same event-time trigger, but not recognisable as the built-in one: the generic path.
  const wrapped = (): Trigger => {
    const t = new EventTimeTrigger()
    return {
      canMerge: true,
      onElement: (r, w, c) => t.onElement(r, w, c),
      onEventTime: (time, w) => t.onEventTime(time, w),
      onProcessingTime: () => t.onProcessingTime(),
      onMerge: (w, c) => t.onMerge(w, c),
      clear: (w, c) => t.clear(w, c),
    }
  }
  for (let seed = 1; seed <= 20; seed++) {
    const rnd = new SeededRandom(seed)
    const fast = new OperatorHarness(
      new WindowOperator({ assigner: session(5), aggregate: sum as AggregateFunction }),
    )
    const generic = new OperatorHarness(
      new WindowOperator({
        assigner: session(5),
        trigger: customTrigger(wrapped),
        aggregate: sum as AggregateFunction,
      }),
    )
    let clock = 0
    let wm = Number.NEGATIVE_INFINITY
    for (let i = 0; i < 300; i++) {
      clock += rnd.int(0, 3)
      const ts = clock - rnd.int(0, 8)
      const key = rnd.pick(['a', 'b', 'c'])
      for (const h of [fast, generic]) h.element(i, ts, key)
      if (rnd.chance(0.2) && clock - 6 > wm) for (const h of [fast, generic]) h.watermark((wm = clock - 6))
      assert.deepEqual(fast.take(), generic.take(), `seed ${seed} step ${i}`)
      assert.deepEqual(timers(fast), timers(generic), `seed ${seed} step ${i}`)
      assert.deepEqual(windows(fast), windows(generic), `seed ${seed} step ${i}`)
    }
  }
})
