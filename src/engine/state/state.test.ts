// Keyed state: scoping to the current key, every kind's operations, TTL expiry under a virtual
// clock (reads absent, then cleaned up), and snapshots that restore into handles obtained earlier.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isRiffleError } from '../../core/errors.ts'
import type { AggregateFunction } from '../model/functions.ts'
import type { Key } from '../model/record.ts'
import { roundTrip } from '../serde/plain.ts'
import { VirtualClock } from '../testing/virtual-clock.ts'
import { KeyedStateBackend } from './backend.ts'

const avg: AggregateFunction<number, { n: number; sum: bigint }, number> = {
  createAccumulator: () => ({ n: 0, sum: 0n }),
  add: (v, acc) => ({ n: acc.n + 1, sum: acc.sum + BigInt(v) }),
  getResult: (acc) => Number(acc.sum) / acc.n,
  merge: (a, b) => ({ n: a.n + b.n, sum: a.sum + b.sum }),
}

function all(backend: KeyedStateBackend) {
  return {
    value: backend.value<string>({ name: 'v' }),
    list: backend.list<number>({ name: 'l' }),
    map: backend.map<string, Buffer>({ name: 'm' }),
    reducing: backend.reducing<number>({ name: 'r', reduce: Math.max }),
    aggregating: backend.aggregating({ name: 'a', aggregate: avg }),
  }
}

test('each state kind is scoped to the current key', () => {
  const backend = new KeyedStateBackend(new VirtualClock())
  const s = all(backend)
  for (const key of ['k1', 'k2']) {
    backend.setCurrentKey(key)
    s.value.update(`hello ${key}`)
    s.list.addAll([1, 2])
    s.list.add(key === 'k1' ? 3 : 4)
    s.map.put('x', Buffer.from(key))
    s.map.put('y', Buffer.from('y'))
    s.reducing.add(5)
    s.reducing.add(key === 'k1' ? 9 : 2)
    s.aggregating.add(1)
    s.aggregating.add(key === 'k1' ? 2 : 5)
  }
  backend.setCurrentKey('k1')
  assert.equal(s.value.value(), 'hello k1')
  assert.deepEqual(s.list.get(), [1, 2, 3])
  assert.deepEqual(s.map.get('x'), Buffer.from('k1'))
  assert.deepEqual(s.map.keys(), ['x', 'y'])
  assert.equal(s.reducing.get(), 9)
  assert.equal(s.aggregating.get(), 1.5)
  backend.setCurrentKey('k2')
  assert.deepEqual(s.list.get(), [1, 2, 4])
  assert.equal(s.reducing.get(), 5)
  assert.equal(s.aggregating.get(), 3)
  s.map.remove('x')
  assert.deepEqual(s.map.entries(), [['y', Buffer.from('y')]])
  assert.equal(s.map.contains('x'), false)
  s.list.update([7])
  assert.deepEqual(s.list.get(), [7])
  s.value.update(undefined)
  assert.equal(s.value.value(), undefined)
  backend.setCurrentKey('k3')
  assert.equal(s.value.value(), undefined)
  assert.deepEqual(s.list.get(), [])
  assert.equal(s.map.isEmpty(), true)
  assert.equal(s.reducing.get(), undefined)
  assert.equal(s.aggregating.get(), undefined)
  // k1: v, 3 list, 2 map, r, a = 8; k2: 1 list, 1 map, r, a = 4
  assert.equal(backend.cellCount(), 12)
  backend.setCurrentKey('k1')
  for (const h of Object.values(s)) h.clear()
  assert.equal(backend.cellCount(), 4)
})

test('a name is one kind for good; same name, same handle', () => {
  const backend = new KeyedStateBackend(new VirtualClock())
  assert.equal(backend.value({ name: 'x' }), backend.value({ name: 'x' }))
  assert.throws(
    () => backend.list({ name: 'x' }),
    (e) => isRiffleError(e, 'INVALID_ARGUMENT'),
  )
  assert.throws(
    () => backend.value({ name: 'y', ttl: 0 }),
    (e) => isRiffleError(e, 'INVALID_ARGUMENT'),
  )
})

test('TTL: values expire after write by processing time, read as absent, and are cleaned up', () => {
  const clock = new VirtualClock(1000)
  const backend = new KeyedStateBackend(clock)
  const value = backend.value<number>({ name: 'v', ttl: 100 })
  const list = backend.list<number>({ name: 'l', ttl: 100 })
  const map = backend.map<string, number>({ name: 'm', ttl: 100 })
  const reducing = backend.reducing<number>({ name: 'r', ttl: 100, reduce: (a, b) => a + b })
  const aggregating = backend.aggregating({ name: 'a', ttl: 100, aggregate: avg })
  backend.setCurrentKey('k')
  value.update(1)
  list.add(1)
  map.put('a', 1)
  reducing.add(1)
  aggregating.add(1)
  clock.set(1050)
  list.add(2) // per element: 1 expires at 1100, 2 at 1150
  map.put('b', 2)
  reducing.add(2) // rewrite: the whole value lives until 1150
  value.update(value.value()! + 1)
  clock.set(1099)
  assert.deepEqual(list.get(), [1, 2])
  assert.equal(aggregating.get(), 1)
  clock.set(1100)
  assert.deepEqual(list.get(), [2])
  assert.deepEqual(map.entries(), [['b', 2]])
  assert.equal(map.get('a'), undefined)
  assert.equal(aggregating.get(), undefined)
  assert.equal(reducing.get(), 3)
  assert.equal(value.value(), 2)
  // Expired cells that nobody read are still held until a sweep (or snapshot) cleans them.
  backend.setCurrentKey('other')
  value.update(9)
  clock.set(1149)
  assert.equal(backend.cellCount(), 5) // k: v, l[2], m[b], r; other: v
  clock.set(1150)
  assert.equal(backend.purgeExpired(), 1)
  assert.equal(backend.cellCount(), 1)
  backend.setCurrentKey('k')
  assert.equal(value.value(), undefined)
  assert.deepEqual(list.get(), [])
  clock.set(1200)
  const snap = roundTrip(backend.snapshot())
  assert.deepEqual(snap, [
    { name: 'v', kind: 'value', ttl: 100, rows: [] },
    { name: 'l', kind: 'list', ttl: 100, rows: [] },
    { name: 'm', kind: 'map', ttl: 100, rows: [] },
    { name: 'r', kind: 'reducing', ttl: 100, rows: [] },
    { name: 'a', kind: 'aggregating', ttl: 100, rows: [] },
  ])
})

test('snapshot/restore keeps values, keys of any type, write times, and handles taken before the restore', () => {
  const clock = new VirtualClock(0)
  const a = new KeyedStateBackend(clock)
  const sa = all(a)
  const ttl = a.value<number>({ name: 't', ttl: 50 })
  for (const key of ['s', 7, 8n, Buffer.from('b'), ['x', 1]] as const) {
    a.setCurrentKey(key)
    sa.value.update(String(key))
    sa.list.add(1)
    sa.map.put('m', Buffer.from(String(key)))
    sa.reducing.add(4)
    sa.aggregating.add(3)
    ttl.update(1)
    clock.advance(10)
  }
  const b = new KeyedStateBackend(clock)
  const sb = all(b) // handles before restore
  const ttlB = b.value<number>({ name: 't', ttl: 50 })
  b.restore(roundTrip(a.snapshot()))
  assert.equal(b.cellCount(), a.cellCount())
  for (const key of ['s', 7, 8n, Buffer.from('b'), ['x', 1]] as const) {
    b.setCurrentKey(key)
    assert.equal(sb.value.value(), String(key))
    assert.deepEqual(sb.map.get('m'), Buffer.from(String(key)))
    assert.equal(sb.aggregating.get(), 3)
  }
  clock.set(55) // written at 0 and 10: 's' expired, 7 (written at 10) not yet... until 60
  b.setCurrentKey('s')
  assert.equal(ttlB.value(), undefined)
  b.setCurrentKey(7)
  assert.equal(ttlB.value(), 1)
})

test('map state: one entry inline, more in a Map, insertion order and value-equal keys across both forms', () => {
  const backend = new KeyedStateBackend(new VirtualClock())
  const map = backend.map<Key, string>({ name: 'm' })
  backend.setCurrentKey(1)
  map.put('a', 'A')
  assert.deepEqual(map.entries(), [['a', 'A']])
  map.put(Buffer.from('b'), 'B') // second entry: a Map
  map.put('a', 'A2') // overwritten in place, keeps its position
  map.put(2, 'two')
  map.put('2', 'string two') // different type, different entry
  map.put('\x01sx', 'escaped') // cannot collide with a canonicalised key
  assert.deepEqual(map.keys(), ['a', Buffer.from('b'), 2, '2', '\x01sx'])
  assert.equal(map.get(Buffer.from('b')), 'B')
  assert.equal(map.get(-0 + 2), 'two')
  map.remove('a')
  map.remove(Buffer.from('b'))
  map.remove(2)
  map.remove('\x01sx')
  assert.deepEqual(map.entries(), [['2', 'string two']])
  map.put(['x', 1], 'composite')
  assert.deepEqual(map.keys(), ['2', ['x', 1]])
  backend.setCurrentKey(2)
  map.put(0, 'zero')
  assert.equal(map.get(-0), 'zero')
  // Restored: one-entry keys and many-entry keys alike.
  const b = new KeyedStateBackend(new VirtualClock())
  const mapB = b.map<Key, string>({ name: 'm' })
  b.restore(roundTrip(backend.snapshot()))
  b.setCurrentKey(1)
  assert.deepEqual(mapB.entries(), [
    ['2', 'string two'],
    [['x', 1], 'composite'],
  ])
  assert.equal(mapB.get(['x', 1]), 'composite')
  b.setCurrentKey(2)
  assert.deepEqual(mapB.entries(), [[0, 'zero']])
  mapB.remove(0)
  assert.equal(mapB.size(), 0)
  assert.equal(b.cellCount(), 2)
  assert.throws(
    () => b.setCurrentKey(Number.NaN),
    (e) => isRiffleError(e, 'INVALID_ARGUMENT'),
  )
})

test('a table spread over several Maps (past rows.ts SPLIT keys) reads, snapshots and restores like one', () => {
  const clock = new VirtualClock(0)
  const keyOf = (i: number): Key =>
    i % 4 === 0 ? `k${i}` : i % 4 === 1 ? i : i % 4 === 2 ? BigInt(i) : ['c', i]
  const a = new KeyedStateBackend(clock)
  const sa = all(a)
  const n = 5000
  for (let i = 0; i < n; i++) {
    a.setCurrentKey(keyOf(i))
    sa.value.update(`v${i}`)
    sa.map.put('x', Buffer.from([i & 255]))
    if (i % 7 === 0) sa.list.add(i)
  }
  // Churn: every third key's value goes, then comes back with a new value.
  for (let i = 0; i < n; i += 3) {
    a.setCurrentKey(keyOf(i))
    sa.value.clear()
  }
  for (let i = 0; i < n; i += 6) {
    a.setCurrentKey(keyOf(i))
    sa.value.update(`w${i}`)
  }
  const expect = (i: number) => (i % 3 !== 0 ? `v${i}` : i % 6 === 0 ? `w${i}` : undefined)
  const read = (b: KeyedStateBackend, s: ReturnType<typeof all>) => {
    for (let i = 0; i < n; i++) {
      b.setCurrentKey(keyOf(i))
      assert.equal(s.value.value(), expect(i))
      assert.deepEqual(s.map.get('x'), Buffer.from([i & 255]))
      assert.deepEqual(s.list.get(), i % 7 === 0 ? [i] : [])
    }
  }
  read(a, sa)
  const snap = roundTrip(a.snapshot())
  const b = new KeyedStateBackend(clock)
  const sb = all(b)
  b.restore(snap)
  read(b, sb)
  // The same rows in the same order.
  assert.deepEqual(roundTrip(b.snapshot()), snap)
  assert.equal(b.cellCount(), a.cellCount())
  // Below the threshold again: a new key puts the rest back into one Map, nothing lost.
  for (let i = 0; i < n - 10; i++) {
    b.setCurrentKey(keyOf(i))
    sb.value.clear()
    sb.map.clear()
    sb.list.clear()
  }
  b.setCurrentKey('new')
  sb.value.update('new')
  sb.map.put('x', Buffer.from('new'))
  sb.list.add(-1)
  for (let i = n - 10; i < n; i++) {
    b.setCurrentKey(keyOf(i))
    assert.equal(sb.value.value(), expect(i))
    assert.deepEqual(sb.map.get('x'), Buffer.from([i & 255]))
  }
  const c = new KeyedStateBackend(clock)
  const sc = all(c)
  c.restore(roundTrip(b.snapshot()))
  assert.deepEqual(roundTrip(c.snapshot()), roundTrip(b.snapshot()))
  c.setCurrentKey('new')
  assert.equal(sc.value.value(), 'new')
  assert.deepEqual(sc.list.get(), [-1])
})
