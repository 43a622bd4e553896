// Triggers other than the plain event-time one: continuous (event and processing time), processing
// time, purging, count on time windows, and custom triggers; plus configuration errors.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isRiffleError } from '../../core/errors.ts'
import type { AggregateFunction } from '../model/functions.ts'
import { OperatorHarness } from '../testing/operator-harness.ts'
import { session, tumbling } from './assigners/spec.ts'
import {
  continuousEventTimeTrigger,
  continuousProcessingTimeTrigger,
  countTrigger,
  customTrigger,
  processingTimeTrigger,
  purging,
} from './triggers/spec.ts'
import { type WindowConfig, WindowOperator } from './window-operator.ts'

const list: AggregateFunction<number, number[], string> = {
  createAccumulator: () => [],
  add: (v, acc) => [...acc, v],
  getResult: (acc) => acc.join(','),
  merge: (a, b) => [...a, ...b],
}

const op = (config: Omit<WindowConfig, 'aggregate'>) =>
  new WindowOperator({ ...config, aggregate: list as AggregateFunction })

const records = (h: OperatorHarness) =>
  h.take().flatMap((e) => (e.kind === 'record' ? [`${e.record.value}@${e.record.timestamp}`] : []))

test('continuous event-time trigger fires every interval of event time and at the window end', () => {
  const h = new OperatorHarness(op({ assigner: tumbling(100), trigger: continuousEventTimeTrigger(30) }))
  h.element(1, 5).element(2, 40)
  h.watermark(29)
  assert.deepEqual(records(h), [])
  h.watermark(30) // first boundary after the first element
  assert.deepEqual(records(h), ['1,2@99'])
  h.element(3, 70).watermark(75) // boundary 60
  assert.deepEqual(records(h), ['1,2,3@99'])
  h.watermark(95) // boundary 90
  assert.deepEqual(records(h), ['1,2,3@99'])
  h.element(4, 96).watermark(99) // window end (the next boundary is capped at 99): one firing
  assert.deepEqual(records(h), ['1,2,3,4@99'])
  h.watermark(500)
  assert.deepEqual(records(h), [])
  assert.equal(h.runner.timers.size, 0)
  assert.equal(h.runner.state.cellCount(), 0)
})

test('continuous event-time trigger on merging sessions keeps the earliest pending boundary', () => {
  const h = new OperatorHarness(op({ assigner: session(20), trigger: continuousEventTimeTrigger(10) }))
  h.element(1, 12) // session [12, 32), boundary 20
  h.element(2, 35) // session [35, 55), boundary 40
  h.element(3, 30) // bridges: [12, 55), boundary min(20, 40) = 20
  h.watermark(20)
  assert.deepEqual(records(h), ['1,2,3@54'])
  h.watermark(54)
  assert.deepEqual(records(h), ['1,2,3@54', '1,2,3@54', '1,2,3@54', '1,2,3@54']) // 30, 40, 50 and the end
  h.watermark(55)
  assert.deepEqual(records(h), [])
})

test('continuous processing-time trigger fires every interval of processing time until the window is gone', () => {
  const h = new OperatorHarness(
    op({ assigner: tumbling(1000), trigger: continuousProcessingTimeTrigger(10) }),
    { processingTime: 3 },
  )
  h.element(1, 500)
  h.setProcessingTime(9)
  assert.deepEqual(records(h), [])
  h.setProcessingTime(10)
  assert.deepEqual(records(h), ['1@999'])
  h.element(2, 600)
  h.setProcessingTime(35) // boundaries 20 and 30 both passed: two firings, in order
  assert.deepEqual(records(h), ['1,2@999', '1,2@999'])
  h.watermark(999) // cleanup; this trigger does not fire on event time
  assert.deepEqual(records(h), [])
  h.setProcessingTime(100)
  assert.deepEqual(records(h), [])
  assert.equal(h.runner.timers.size, 0)
})

test('processing-time windows fire by the clock; element timestamps do not matter', () => {
  const h = new OperatorHarness(op({ assigner: tumbling(10, 0, 'processing') }), { processingTime: 3 })
  h.element(1, 999_999).element(2, -5)
  h.setProcessingTime(7)
  h.element(3, 0)
  h.setProcessingTime(9)
  assert.deepEqual(records(h), ['1,2,3@9'])
  // Processing time 9 is still in [0, 10): a new window for it, whose (past) timer fires at the next
  // advance of the clock. Processing-time windows have no lateness.
  h.element(4, 0)
  h.setProcessingTime(25)
  assert.deepEqual(records(h), ['4@9'])
  h.watermark(Number.POSITIVE_INFINITY)
  assert.deepEqual(records(h), [])
})

test('processing-time trigger on event-time windows fires when the clock passes the window end', () => {
  const h = new OperatorHarness(op({ assigner: tumbling(10), trigger: processingTimeTrigger() }))
  h.element(1, 2).element(2, 15)
  h.setProcessingTime(9)
  assert.deepEqual(records(h), ['1@9'])
  h.watermark(100) // event time cleans up without firing
  h.setProcessingTime(19)
  assert.deepEqual(records(h), [])
})

test('count trigger on tumbling windows, plain and purging', () => {
  const plain = new OperatorHarness(op({ assigner: tumbling(10), trigger: countTrigger(2) }))
  for (const [v, ts] of [
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
    [5, 12],
  ] as const)
    plain.element(v, ts)
  plain.finish()
  assert.deepEqual(records(plain), ['1,2@9', '1,2,3,4@9'])

  const purged = new OperatorHarness(op({ assigner: tumbling(10), trigger: purging(countTrigger(2)) }))
  for (let v = 1; v <= 5; v++) purged.element(v, v)
  purged.finish()
  assert.deepEqual(records(purged), ['1,2@9', '3,4@9'])
})

test('a custom trigger plugs in; sessions refuse a trigger that cannot merge; a window needs a function', () => {
  let calls = 0
  const every = customTrigger(() => ({
    canMerge: false,
    onElement: () => (++calls % 3 === 0 ? 'fireAndPurge' : 'continue'),
    onEventTime: () => 'continue',
    onProcessingTime: () => 'continue',
    clear: () => {},
  }))
  const h = new OperatorHarness(op({ assigner: tumbling(100), trigger: every }))
  for (let v = 1; v <= 7; v++) h.element(v, v)
  assert.deepEqual(records(h), ['1,2,3@99', '4,5,6@99'])
  assert.throws(
    () => op({ assigner: session(5), trigger: every }),
    (e) => isRiffleError(e, 'INVALID_ARGUMENT') && /merge/.test(e.message),
  )
  assert.throws(
    () => new WindowOperator({ assigner: tumbling(5) }),
    (e) => isRiffleError(e, 'INVALID_ARGUMENT'),
  )
})
