// The runner's event-time rules, independent of any particular operator.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { isRiffleError } from '../../core/errors.ts'
import { OperatorHarness } from '../testing/operator-harness.ts'
import { VirtualClock } from '../testing/virtual-clock.ts'
import type { Operator } from './operator.ts'
import { OperatorRunner } from './runner.ts'

test('default hooks: watermarks are forwarded once each, never backwards, after the records before them', () => {
  const passThrough: Operator = {
    processBatch(batch, ctx) {
      for (const r of batch) ctx.emit(r)
    },
  }
  const h = new OperatorHarness(passThrough, { inputs: 2 })
  h.element('x', 1, undefined, 0)
  h.watermark(10, 0) // input 1 has no watermark yet
  h.watermark(5, 1)
  h.element('y', 2, undefined, 1)
  h.watermark(20, 1)
  h.watermark(7, 0) // behind input 0's own 10: ignored
  h.watermark(30, 0)
  assert.deepEqual(h.events, [
    { kind: 'record', record: { value: 'x', timestamp: 1 } },
    { kind: 'watermark', watermark: 5 },
    { kind: 'record', record: { value: 'y', timestamp: 2 } },
    { kind: 'watermark', watermark: 10 },
    { kind: 'watermark', watermark: 20 },
  ])
})

test('an operator cannot move its output watermark back; records it emits first stay first', () => {
  const op: Operator = {
    processBatch(batch, ctx) {
      for (const r of batch) {
        ctx.emit(r)
        ctx.emitWatermark(r.timestamp)
      }
    },
    onWatermark() {}, // swallow input watermarks
  }
  const h = new OperatorHarness(op)
  h.batch([
    { value: 'a', timestamp: 5 },
    { value: 'b', timestamp: 3 },
    { value: 'c', timestamp: 9 },
  ])
  h.watermark(100)
  assert.deepEqual(
    h.events.map((e) =>
      e.kind === 'record' ? e.record.value : e.kind === 'watermark' ? e.watermark : e.kind,
    ),
    ['a', 5, 'b', 'c', 9],
  )
})

test('idle inputs: excluded from the minimum, propagated when all are idle', () => {
  const h = new OperatorHarness({ processBatch() {} }, { inputs: 2 })
  h.watermark(10, 0)
  h.idle(1)
  h.watermark(12, 0)
  h.idle(0)
  assert.deepEqual(
    h.events.map((e) => (e.kind === 'watermark' ? e.watermark : e.kind)),
    [10, 12, 'idle'],
  )
})

test('bad input numbers and use after close are errors', () => {
  const h = new OperatorHarness({ processBatch() {} })
  assert.throws(
    () => h.element(1, 1, undefined, 1),
    (e) => isRiffleError(e, 'INVALID_ARGUMENT'),
  )
  h.close()
  assert.throws(
    () => h.element(1, 1),
    (e) => isRiffleError(e, 'CLOSED'),
  )
})

test('a snapshot restores only into an operator with the same number of inputs', () => {
  const snapshot = new OperatorHarness({ processBatch() {} }, { inputs: 2 }).watermark(5).snapshot()
  assert.throws(
    () => new OperatorHarness({ processBatch() {} }, { inputs: 3 }).restore(snapshot),
    (e) => isRiffleError(e, 'INVALID_ARGUMENT') && /2 input channels/.test(e.message),
  )
  const restored = new OperatorHarness({ processBatch() {} }, { inputs: 2 }).restore(snapshot)
  assert.equal(restored.runner.watermark, 5)
  restored.watermark(5).watermark(6)
  assert.deepEqual(restored.watermarks(), [6])
})

test('the context: function members work detached, getters follow the runner, properties stay fast', () => {
  const seen: unknown[] = []
  let context: unknown
  const op: Operator = {
    processBatch(batch, ctx) {
      context = ctx
      const { emit, setCurrentKey } = ctx
      setCurrentKey('k')
      seen.push([ctx.input, ctx.watermark, ctx.processingTime, ctx.currentKey])
      for (const r of batch) emit(r)
    },
  }
  const h = new OperatorHarness(op, { inputs: 2, processingTime: 7 })
  h.watermark(3, 0).watermark(5, 1)
  h.element('x', 1, undefined, 1)
  h.clock.set(9)
  h.element('y', 2, undefined, 0)
  assert.deepEqual(seen, [
    [1, 3, 7, 'k'],
    [0, 3, 9, 'k'],
  ])
  assert.deepEqual(
    h.events.filter((e) => e.kind === 'record').map((e) => e.kind === 'record' && e.record.value),
    ['x', 'y'],
  )
  // An object literal with getters would be a dictionary: a hash lookup per ctx.emit in every loop.
  setFlagsFromString('--allow-natives-syntax')
  const fast = new Function('o', 'return %HasFastProperties(o)') as (o: unknown) => boolean
  assert.equal(fast(context), true)
})

test('processing time: a runner without timers does nothing (no clock read), fires timers once it has one', () => {
  let reads = 0
  const fired: number[] = []
  const op: Operator = {
    processBatch(batch, ctx) {
      for (const r of batch) ctx.timers.registerProcessingTimeTimer(r.value as number)
    },
    onTimer(t, ctx) {
      fired.push(t.timestamp)
      ctx.emit({ value: `t${t.timestamp}`, timestamp: 0 })
    },
  }
  const h = new OperatorHarness(op)
  const now = h.clock.now.bind(h.clock)
  h.clock.now = () => {
    reads++
    return now()
  }
  h.setProcessingTime(5)
  assert.equal(reads, 0)
  h.element(7, 1).element(9, 1)
  h.setProcessingTime(8)
  assert.deepEqual(fired, [7])
  assert.deepEqual(h.values(), ['t7'])
  h.setProcessingTime(20)
  assert.deepEqual(fired, [7, 9])
  reads = 0
  h.setProcessingTime(30)
  assert.equal(reads, 0)
  h.close()
  assert.throws(
    () => h.runner.advanceProcessingTime(),
    (e) => isRiffleError(e, 'CLOSED'),
  )
})

test('batches filled by index: each a fresh array of exactly its records, longer and shorter than the last', () => {
  const seen: unknown[][] = []
  const arrays: unknown[] = []
  const passThrough: Operator = {
    processBatch(batch, ctx) {
      for (const r of batch) ctx.emit(r)
    },
  }
  const runner = new OperatorRunner(passThrough, {
    clock: new VirtualClock(),
    output: {
      keepsBatches: false,
      records: (b) => {
        arrays.push(b)
        seen.push(b.map((x) => x.value))
      },
      side: () => {},
      watermark: () => {},
      idle: () => {},
    },
  })
  const batch = (...values: number[]) => values.map((value) => ({ value, timestamp: 0 }))
  runner.processBatch(batch(1, 2, 3))
  runner.processBatch(batch(4))
  runner.processBatch(batch(5, 6))
  runner.processBatch([])
  runner.processBatch(batch(7, 8, 9, 10))
  runner.processBatch(Array.from({ length: 20_000 }, (_, i) => ({ value: i, timestamp: 0 })))
  runner.processBatch(batch(11))
  assert.equal(seen.length, 6)
  assert.deepEqual(seen.slice(0, 4), [[1, 2, 3], [4], [5, 6], [7, 8, 9, 10]])
  assert.equal(seen[4]!.length, 20_000)
  assert.deepEqual(seen[5], [11])
  // Batches handed on earlier are never refilled: the receiver may keep them.
  assert.equal(new Set(arrays).size, 6)
  assert.deepEqual(
    (arrays as unknown[][]).map((b) => b.length),
    [3, 1, 2, 4, 20_000, 1],
  )
  assert.deepEqual(arrays[0], batch(1, 2, 3))
  assert.ok((arrays as unknown[][]).every((b) => Object.keys(b).length === b.length))
})
