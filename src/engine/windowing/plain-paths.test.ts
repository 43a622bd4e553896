// The window operator's shortcuts (plain-fixed.ts, plain-sessions.ts) against its generic path: the
// same operator configuration, once with the built-in event-time trigger (the shortcut) and once
// with that trigger wrapped so that it is not recognised (the generic path), fed the same random
// streams (in order, out of order, late within the allowed lateness, too late), must give exactly the
// same events, timers and window state after every step, and the same again after a checkpoint of
// either one is restored into the other.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AggregateFunction } from '../model/functions.ts'
import { type HarnessSnapshot, OperatorHarness } from '../testing/operator-harness.ts'
import { SeededRandom } from '../testing/random.ts'
import {
  type AssignerSpec,
  createAssigner,
  globalWindows,
  session,
  sliding,
  tumbling,
} from './assigners/spec.ts'
import { shortcutFor } from './shortcuts.ts'
import { EventTimeTrigger } from './triggers/event-time.ts'
import { countTrigger, customTrigger } from './triggers/spec.ts'
import type { Trigger } from './triggers/trigger.ts'
import { type WindowConfig, WindowOperator } from './window-operator.ts'

const sum: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (v, acc) => acc + v,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
}

/** The built-in event-time trigger, not recognisable as such: the operator takes its generic path. */
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

/** The operator's window state as a checkpoint (by default a new one of `h`) holds it. */
function windows(h: OperatorHarness, s: HarnessSnapshot = h.snapshot()): unknown {
  const runner = s.runner as unknown as { state: { name: string; rows: unknown }[] }
  return runner.state.find((x) => x.name === 'windows')?.rows ?? []
}

/** Live timers as (key, namespace, timestamp), in firing order. */
function timers(h: OperatorHarness, s: HarnessSnapshot = h.snapshot()): unknown {
  const runner = s.runner as unknown as { timers: [string, unknown, string, number][] }
  return runner.timers.map(([, key, ns, ts]) => [key, ns, ts])
}

type Make = (generic: boolean) => WindowOperator

function config(
  assigner: AssignerSpec,
  lateness: number,
  process: boolean,
): (generic: boolean) => WindowConfig {
  return (generic) => ({
    assigner,
    allowedLateness: lateness,
    aggregate: sum as AggregateFunction,
    ...(generic ? { trigger: customTrigger(wrapped) } : {}),
    ...(process
      ? {
          process: ([result], ctx) =>
            ctx.emit(`${String(ctx.key)} ${ctx.window.start}:${ctx.window.end} ${result} @${ctx.watermark}`),
        }
      : {}),
  })
}

/** Runs the shortcut and the generic path side by side over a seeded random stream. */
function compare(make: Make, seed: number): void {
  const rnd = new SeededRandom(seed)
  let fast = new OperatorHarness(make(false))
  let generic = new OperatorHarness(make(true))
  // The shortcut once more, looked at only now and then. The session shortcut keeps growing
  // sessions in books of its own and writes them back when needed, a snapshot among other times
  // (plain-sessions.ts): `fast`, snapshotted after every step, never carries books from one step to
  // the next, `lazy` does, through watermarks (timers coming due while sessions are in the books) and
  // restores into the same operator (the books dropped). Its outputs are compared after every step.
  const lazy = new OperatorHarness(make(false))
  let clock = 0
  let wm = Number.NEGATIVE_INFINITY
  for (let i = 0; i < 300; i++) {
    clock += rnd.int(0, 3)
    // Mostly near the clock, some far behind it (late, within lateness or not).
    const ts = rnd.chance(0.1) ? clock - rnd.int(0, 40) : clock - rnd.int(0, 6)
    const key = rnd.pick(['a', 'b', 'c', 1, 2])
    if (rnd.chance(0.3)) {
      // A batch of several elements, as sources deliver them.
      const batch = [0, 1, 2].map((j) => ({
        value: i * 10 + j,
        timestamp: ts + j,
        key: rnd.pick(['a', 'b', 1]),
      }))
      for (const h of [fast, generic, lazy]) h.batch(batch)
    } else for (const h of [fast, generic, lazy]) h.element(i, ts, key)
    if (rnd.chance(0.2) && clock - 6 > wm)
      for (const h of [fast, generic, lazy]) h.watermark((wm = clock - 6))
    const at = `seed ${seed} step ${i}`
    const out = generic.take()
    assert.deepEqual(fast.take(), out, at)
    assert.deepEqual(lazy.take(), out, at)
    assert.deepEqual(timers(fast), timers(generic), at)
    assert.deepEqual(windows(fast), windows(generic), at)
    if (rnd.chance(0.1)) {
      // One checkpoint: the books must be settled in both its state and its timers.
      const checkpoint = lazy.snapshot()
      assert.deepEqual(timers(lazy, checkpoint), timers(generic), at)
      assert.deepEqual(windows(lazy, checkpoint), windows(generic), at)
    }
    if (rnd.chance(0.03)) {
      // Checkpoints of either path restore into the other.
      const [a, b] = [fast.snapshot(), generic.snapshot()]
      fast = new OperatorHarness(make(false)).restore(b)
      generic = new OperatorHarness(make(true)).restore(a)
      lazy.restore(rnd.chance(0.5) ? a : b)
    }
  }
  for (const h of [fast, generic, lazy]) h.finish()
  const out = generic.take()
  assert.deepEqual(fast.take(), out, `seed ${seed} end`)
  assert.deepEqual(lazy.take(), out, `seed ${seed} end`)
  for (const h of [fast, lazy]) {
    assert.deepEqual(timers(h), [])
    assert.deepEqual(windows(h), [])
  }
}

test('the shortcut for tumbling and sliding windows does exactly what the generic path does', () => {
  const assigners: AssignerSpec[] = [tumbling(5), tumbling(7, 3), sliding(10, 3), sliding(4, 6)]
  for (const assigner of assigners)
    for (const lateness of [0, 8])
      for (const process of [false, true]) {
        const make = config(assigner, lateness, process)
        for (let seed = 1; seed <= 3; seed++) compare((g) => new WindowOperator(make(g)), seed)
      }
})

test('the shortcut for growing sessions does exactly what the generic path does', () => {
  for (const process of [false, true]) {
    const make = config(session(5), 0, process)
    for (let seed = 1; seed <= 12; seed++) compare((g) => new WindowOperator(make(g)), seed)
  }
})

test('the shortcuts are taken only where they apply', () => {
  const taken = (
    assigner: AssignerSpec,
    o: { lateness?: number; trigger?: Trigger; buffers?: boolean } = {},
  ) =>
    shortcutFor({
      assigner: createAssigner(assigner),
      trigger: o.trigger ?? new EventTimeTrigger(),
      lateness: o.lateness ?? 0,
      lateTag: 'late',
      aggregate: o.buffers ? undefined : (sum as AggregateFunction),
      fire: () => {},
      merge: () => true,
    })?.constructor.name
  assert.equal(taken(tumbling(5)), 'PlainFixedWindows')
  assert.equal(taken(sliding(10, 5), { lateness: 3 }), 'PlainFixedWindows')
  assert.equal(taken(session(5)), 'PlainSessions')
  // Buffered contents, processing time, lateness for sessions, another trigger: the generic path.
  assert.equal(taken(tumbling(5), { buffers: true }), undefined)
  assert.equal(taken(tumbling(5, 0, 'processing')), undefined)
  assert.equal(taken(session(5), { lateness: 1 }), undefined)
  assert.equal(taken(tumbling(5), { trigger: wrapped() }), undefined)
  assert.equal(taken(globalWindows()), undefined)
})

test('windows restored from a checkpoint taken with another trigger go the generic way', () => {
  // A count trigger registers no end-of-window timer; with an allowed lateness the cleanup timer is
  // elsewhere, so the restored windows lack the timer the shortcut relies on.
  const before = new OperatorHarness(
    new WindowOperator({
      assigner: tumbling(10),
      allowedLateness: 5,
      trigger: countTrigger(100),
      aggregate: sum as AggregateFunction,
    }),
  )
  before.element(1, 1, 'a').element(2, 12, 'b').watermark(3)
  const checkpoint = before.snapshot()
  const make = config(tumbling(10), 5, false)
  const fast = new OperatorHarness(new WindowOperator(make(false))).restore(checkpoint)
  const generic = new OperatorHarness(new WindowOperator(make(true))).restore(checkpoint)
  for (const h of [fast, generic]) h.element(3, 4, 'a').element(4, 15, 'b').watermark(12).watermark(30)
  assert.deepEqual(fast.take(), generic.take())
  assert.deepEqual(fast.values(), [4, 6])
})
