import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isRiffleError } from '../core/errors.ts'
import { ProducerState } from './producer-state.ts'

const meta = (firstSeq: number, lastSeq: number, firstOffset: number) => ({
  firstSeq,
  lastSeq,
  firstOffset,
  lastOffset: firstOffset + lastSeq - firstSeq,
})

test('sequences: in order appends, retries of the last five batches are duplicates, gaps and stale epochs are errors', () => {
  const s = new ProducerState()
  assert.throws(
    () => s.check(7n, 0, 3, 5),
    (e) => isRiffleError(e, 'OUT_OF_ORDER_SEQUENCE'),
  )
  let offset = 100
  for (let b = 0; b < 8; b++) {
    assert.deepEqual(s.check(7n, 0, b * 10, b * 10 + 9), { kind: 'append' })
    s.onBatch(7n, 0, meta(b * 10, b * 10 + 9, offset), false)
    offset += 10
  }
  // The last five batches (sequences 30..79) are recognised with their original offsets.
  assert.deepEqual(s.check(7n, 0, 70, 79), { kind: 'duplicate', batch: meta(70, 79, 170) })
  assert.deepEqual(s.check(7n, 0, 30, 39), { kind: 'duplicate', batch: meta(30, 39, 130) })
  assert.throws(
    () => s.check(7n, 0, 20, 29),
    (e) => isRiffleError(e, 'OUT_OF_ORDER_SEQUENCE'),
  )
  assert.throws(
    () => s.check(7n, 0, 81, 85),
    (e) => isRiffleError(e, 'OUT_OF_ORDER_SEQUENCE'),
  )
  assert.deepEqual(s.check(7n, 0, 80, 85), { kind: 'append' })
  // A new epoch restarts at 0; an older epoch is fenced.
  assert.throws(
    () => s.check(7n, 1, 80, 85),
    (e) => isRiffleError(e, 'OUT_OF_ORDER_SEQUENCE'),
  )
  s.onBatch(7n, 1, meta(0, 0, 200), false)
  assert.throws(
    () => s.check(7n, 0, 80, 85),
    (e) => isRiffleError(e, 'INVALID_PRODUCER_EPOCH'),
  )
  assert.deepEqual(s.check(7n, 1, 1, 1), { kind: 'append' })
  // Sequences wrap after 2^31-1.
  s.onBatch(9n, 0, meta(0, 0x7fffffff, 0), false)
  assert.deepEqual(s.check(9n, 0, 0, 3), { kind: 'append' })
})

test('transactions: open, abort and commit markers, the first unstable offset, and snapshots', () => {
  const s = new ProducerState()
  s.onBatch(1n, 0, meta(0, 1, 10), true)
  s.onBatch(2n, 3, meta(0, 0, 12), true)
  s.onBatch(1n, 0, meta(2, 2, 13), true)
  assert.equal(s.firstUnstableOffset(), 10)
  assert.deepEqual(s.openTransactions().sort(), [1n, 2n])
  s.onMarker(1n, 0, false, 0, 14)
  assert.equal(s.firstUnstableOffset(), 12)
  s.onMarker(2n, 3, true, 0, 15)
  assert.equal(s.firstUnstableOffset(), null)
  assert.deepEqual(s.abortedOverlapping(0, 100), [{ producerId: 1n, firstOffset: 10, lastOffset: 14 }])
  assert.deepEqual(s.abortedOverlapping(15, 100), [])
  assert.deepEqual(s.abortedOverlapping(0, 10), [])
  assert.throws(
    () => s.checkMarker(2n, 2),
    (e) => isRiffleError(e, 'INVALID_PRODUCER_EPOCH'),
  )
  const restored = ProducerState.fromJSON(s.toJSON(16))!
  assert.equal(restored.offset, 16)
  assert.deepEqual(restored.state.producers, s.producers)
  assert.deepEqual(restored.state.aborted, s.aborted)
  s.prune(15)
  assert.deepEqual(s.aborted, [])
  assert.equal(ProducerState.fromJSON('{not json'), null)
})

test('a transaction left open when its epoch was bumped is aborted by the first batch of the new epoch', () => {
  const s = new ProducerState()
  // Epoch 4 writes offsets 20–21 and never gets a marker here; epoch 5 starts a new transaction at 30.
  s.onBatch(7n, 4, meta(0, 1, 20), true)
  s.onBatch(7n, 5, meta(0, 0, 30), true)
  assert.equal(s.firstUnstableOffset(), 30)
  assert.deepEqual(s.abortedOverlapping(0, 100), [{ producerId: 7n, firstOffset: 20, lastOffset: 29 }])
  // The new transaction's commit covers only its own records.
  s.onMarker(7n, 5, true, 0, 31)
  assert.equal(s.firstUnstableOffset(), null)
  assert.deepEqual(s.abortedOverlapping(0, 100), [{ producerId: 7n, firstOffset: 20, lastOffset: 29 }])
})

test('aborted transactions come in first-offset order, not in the order their markers were written', () => {
  const s = new ProducerState()
  // Producer 1 opens at 10, producer 2 at 12; producer 2's abort marker (14) comes first.
  s.onBatch(1n, 0, meta(0, 1, 10), true)
  s.onBatch(2n, 0, meta(0, 1, 12), true)
  s.onMarker(2n, 0, false, 0, 14)
  s.onMarker(1n, 0, false, 0, 15)
  assert.deepEqual(s.abortedOverlapping(0, 100), [
    { producerId: 1n, firstOffset: 10, lastOffset: 15 },
    { producerId: 2n, firstOffset: 12, lastOffset: 14 },
  ])
})
