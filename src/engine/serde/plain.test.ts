// Snapshot encoding: lossless through JSON for everything state may hold, loud for what it cannot
// hold; canonical key ids.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isRiffleError } from '../../core/errors.ts'
import { keyId } from './key.ts'
import { fromPlain, roundTrip, toPlain } from './plain.ts'

test('toPlain/fromPlain round-trips through JSON every value state may hold', () => {
  const value = {
    n: 1.5,
    s: 'x',
    b: true,
    nil: null,
    u: undefined,
    big: 12345678901234567890n,
    buf: Buffer.from([0, 1, 255]),
    u8: new Uint8Array([9, 8]),
    inf: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -0],
    date: new Date(1_700_000_000_000),
    map: new Map<unknown, unknown>([
      ['k', 1],
      [2n, [3]],
    ]),
    set: new Set(['a', 1]),
    nested: { $t: 'looks like a tag', v: 'but is data' },
    proto: Object.assign(Object.create(null), { a: 1 }),
  }
  const back = fromPlain(roundTrip(toPlain(value))) as typeof value
  assert.deepEqual({ ...back, proto: { ...back.proto } }, { ...value, proto: { a: 1 } })
  assert.ok(Buffer.isBuffer(back.buf))
  assert.ok(!Buffer.isBuffer(back.u8) && back.u8 instanceof Uint8Array)
  assert.ok(Object.is(back.inf[3], -0))
  assert.ok(Object.hasOwn(back, 'u'))
})

test('toPlain refuses what it cannot restore', () => {
  class Point {
    x = 1
  }
  for (const bad of [new Point(), () => 1, Symbol('s')])
    assert.throws(
      () => toPlain({ bad }),
      (e) => isRiffleError(e, 'INVALID_ARGUMENT'),
    )
  assert.throws(
    () => fromPlain({ $t: 'nope' }),
    (e) => isRiffleError(e, 'INVALID_ARGUMENT'),
  )
})

test('keyId is equal for value-equal keys and distinct across types', () => {
  assert.equal(keyId(Buffer.from('ab')), keyId(Buffer.from('ab')))
  assert.equal(keyId([1, 'a', [2n]]), keyId([1, 'a', [2n]]))
  assert.equal(keyId(0), keyId(-0))
  const ids = [undefined, 'x', '1', 1, 1n, true, 'true', Buffer.from('x'), ['x'], [1], '', [], 's'].map(keyId)
  assert.equal(new Set(ids).size, ids.length)
  assert.throws(
    () => keyId(Number.NaN),
    (e) => isRiffleError(e, 'INVALID_ARGUMENT'),
  )
})
