// Timers: deduplicated per (domain, key, namespace, timestamp), fired in timestamp order (ties in
// registration order), deletable, and restored from a snapshot in the same order.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { roundTrip } from '../serde/plain.ts'
import { SeededRandom } from '../testing/random.ts'
import {
  type HeldTimer,
  type HeldTimers,
  type Timer,
  type TimerBooks,
  TimerQueues,
  type TimerService,
  heldEventTimeMover,
  heldTimersOf,
  moveHeldEventTimeTimer,
} from './timer-service.ts'

const showKey = (k: Timer['key']) => (Buffer.isBuffer(k) ? `buf(${k})` : `${typeof k}(${String(k)})`)
const show = (t: Timer) => `${t.domain}:${showKey(t.key)}:${t.namespace}@${t.timestamp}`

/** Timer queues with a scoped service over a key the test sets (as the state backend would). */
function scopedQueues() {
  const scope = {
    key: undefined as string | number | undefined,
    slot: undefined as string | number | undefined,
  }
  const queues = new TimerQueues()
  return { scope, queues, timers: queues.scoped(scope) }
}
test('random registrations, duplicates and deletions come out deduplicated and in timestamp order', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const rnd = new SeededRandom(seed)
    const q = new TimerQueues()
    // Reference: a list of live timers in first-registration order.
    let live: Timer[] = []
    const same = (a: Timer, b: Timer) => show(a) === show(b)
    for (let i = 0; i < 200; i++) {
      const t: Timer = {
        domain: rnd.pick(['event', 'processing'] as const),
        key: rnd.pick(['a', 'b', 1, Buffer.from('a')]),
        namespace: rnd.pick(['', 'w1']),
        timestamp: rnd.int(0, 40),
      }
      if (rnd.chance(0.2)) {
        q.delete(t.domain, t.key, t.namespace, t.timestamp)
        live = live.filter((x) => !same(x, t))
      } else {
        q.register(t.domain, t.key, t.namespace, t.timestamp)
        if (!live.some((x) => same(x, t))) live.push(t)
      }
    }
    assert.equal(q.size, live.length)
    const restored = new TimerQueues()
    restored.restore(roundTrip(q.snapshot()))
    for (const domain of ['event', 'processing'] as const) {
      const upTo = rnd.int(0, 40)
      const expected = live
        .filter((t) => t.domain === domain && t.timestamp <= upTo)
        .sort((a, b) => a.timestamp - b.timestamp) // stable: ties keep registration order
        .map(show)
      for (const queue of [q, restored]) {
        const fired: string[] = []
        for (let t = queue.pollDue(domain, upTo); t; t = queue.pollDue(domain, upTo)) fired.push(show(t))
        assert.deepEqual(fired, expected, `seed ${seed} ${domain} up to ${upTo}`)
        assert.ok((queue.next(domain) ?? Number.POSITIVE_INFINITY) > upTo)
      }
    }
  }
})

test('a timer deleted and registered again fires once, after those registered before it at that time', () => {
  const q = new TimerQueues()
  q.register('event', 'a', '', 5)
  q.register('event', 'b', '', 5)
  q.delete('event', 'a', '', 5)
  q.register('event', 'a', '', 5)
  q.register('event', 'a', '', 5)
  q.register('event', 'c', '', 4)
  const fired: string[] = []
  for (let t = q.pollDue('event', 10); t; t = q.pollDue('event', 10)) fired.push(show(t))
  assert.deepEqual(fired, ['event:string(c):@4', 'event:string(b):@5', 'event:string(a):@5'])
  assert.equal(q.size, 0)
})

test('move equals delete then register, and keys with many timers stay exact', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rnd = new SeededRandom(seed)
    const moved = new TimerQueues()
    const plain = new TimerQueues()
    // Up to 40 timestamps × 2 namespaces on one hot key: the per-key index grows past its array form.
    for (let i = 0; i < 400; i++) {
      const key = rnd.pick(['hot', 'hot', 'hot', 'cold', 7])
      const ns = rnd.pick(['', 'w'])
      const from = rnd.int(0, 40)
      const to = rnd.int(0, 40)
      const op = rnd.int(0, 3)
      if (op === 0) {
        moved.move('event', key, ns, from, to)
        plain.delete('event', key, ns, from)
        plain.register('event', key, ns, to)
      } else if (op === 1) {
        moved.delete('event', key, ns, from)
        plain.delete('event', key, ns, from)
      } else {
        moved.register('event', key, ns, to)
        plain.register('event', key, ns, to)
      }
      assert.equal(moved.size, plain.size)
    }
    assert.deepEqual(moved.snapshot(), plain.snapshot(), `seed ${seed}`)
    const upTo = rnd.int(0, 40)
    const fire = (q: TimerQueues) => {
      const out: string[] = []
      for (let t = q.pollDue('event', upTo); t; t = q.pollDue('event', upTo)) out.push(show(t))
      return out
    }
    assert.deepEqual(fire(moved), fire(plain), `seed ${seed}`)
    assert.deepEqual(moved.snapshot(), plain.snapshot(), `seed ${seed}`)
  }
})

test('a timer moved through its holder moves exactly as with move(), also after firing, deletion and restore', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rnd = new SeededRandom(seed)
    const make = scopedQueues
    let held = make()
    let plain = make()
    // One timer per (key, namespace) that keeps moving; the hot key has more than the array form
    // of its index holds, so it is filed in a Map. Holders are per (key, namespace), as window
    // entries are.
    const namespaces = Array.from({ length: 40 }, (_, i) => `w${i}`)
    const at = new Map<string, number>()
    const holders = new Map<string, object>()
    let clock = 0
    for (let i = 0; i < 600; i++) {
      const key = rnd.pick(['hot', 'cold', 7])
      const ns = key === 'hot' ? rnd.pick(namespaces) : rnd.pick(namespaces.slice(0, 2))
      const id = `${key}/${ns}`
      for (const s of [held, plain]) {
        s.scope.key = key
        s.scope.slot = key
      }
      const from = at.get(id)
      const op = rnd.int(0, 9)
      if (from === undefined) {
        const t = clock + rnd.int(0, 20)
        held.timers.registerEventTimeTimer(t, ns)
        plain.timers.registerEventTimeTimer(t, ns)
        at.set(id, t)
      } else if (op < 7) {
        // Mostly later, sometimes the same time or earlier.
        const to = Math.max(clock, from + rnd.int(-3, 10))
        let holder = holders.get(id)
        if (holder === undefined) holders.set(id, (holder = {}))
        // Every other step through the mover a batch looks up once (the same function).
        if (i % 2 === 0) moveHeldEventTimeTimer(held.timers, holder, from, to, ns)
        else heldEventTimeMover(held.timers)(holder, from, to, ns)
        plain.timers.moveEventTimeTimer(from, to, ns)
        at.set(id, to)
      } else if (op === 7) {
        held.timers.deleteEventTimeTimer(from, ns)
        plain.timers.deleteEventTimeTimer(from, ns)
        at.delete(id)
      } else if (op === 8) {
        clock += rnd.int(0, 8)
        const fire = (q: TimerQueues) => {
          const out: string[] = []
          for (let t = q.pollDue('event', clock); t; t = q.pollDue('event', clock)) out.push(show(t))
          return out
        }
        const fired = fire(held.queues)
        assert.deepEqual(fired, fire(plain.queues), `seed ${seed} step ${i}`)
        for (const [k, t] of [...at]) if (t <= clock) at.delete(k)
      } else {
        // Restored into fresh queues; the holders (as window entries would not be) are kept.
        const snapshot = roundTrip(held.queues.snapshot())
        if (rnd.chance(0.5)) held.queues.restore(snapshot)
        else {
          held = make()
          held.queues.restore(snapshot)
        }
        const again = make()
        again.queues.restore(roundTrip(plain.queues.snapshot()))
        plain = again
      }
      assert.deepEqual(held.queues.snapshot(), plain.queues.snapshot(), `seed ${seed} step ${i}`)
    }
  }
})

test('timers of thousands of keys (an index spread over several Maps) fire, delete and restore as few', () => {
  const q = new TimerQueues()
  const n = 6000
  const keyOf = (i: number) => (i % 2 === 0 ? `k${i}` : i)
  for (let i = 0; i < n; i++) q.register('event', keyOf(i), '', (i * 7919) % n)
  for (let i = 0; i < n; i += 3) q.delete('event', keyOf(i), '', (i * 7919) % n)
  // Registered again: deduplicated.
  for (let i = 1; i < n; i += 3) q.register('event', keyOf(i), '', (i * 7919) % n)
  assert.equal(q.size, n - n / 3)
  const r = new TimerQueues()
  r.restore(roundTrip(q.snapshot()))
  assert.deepEqual(roundTrip(r.snapshot()), roundTrip(q.snapshot()))
  const fired: string[] = []
  for (let t = r.pollDue('event', n); t !== undefined; t = r.pollDue('event', n)) fired.push(show(t))
  const expected = Array.from({ length: n }, (_, i) => i)
    .filter((i) => i % 3 !== 0)
    .map((i) => ({ domain: 'event' as const, key: keyOf(i), namespace: '', timestamp: (i * 7919) % n }))
    .sort((a, b) => a.timestamp - b.timestamp)
    .map(show)
  assert.deepEqual(fired, expected)
  assert.equal(r.size, 0)
})

test('heldEventTimeMover: a TimerService without held timers gets moveEventTimeTimer', () => {
  const calls: unknown[][] = []
  const none = () => {
    throw new Error('not expected')
  }
  const timers: TimerService = {
    registerEventTimeTimer: none,
    registerProcessingTimeTimer: none,
    deleteEventTimeTimer: none,
    deleteProcessingTimeTimer: none,
    moveEventTimeTimer: (from, to, ns) => {
      calls.push([from, to, ns])
    },
    moveProcessingTimeTimer: none,
  }
  heldEventTimeMover(timers)({}, 1_767_225_600_999, 1_767_225_601_999, '7')
  assert.deepEqual(calls, [[1_767_225_600_999, 1_767_225_601_999, '7']])
})

/**
 * Books of held timers as a caller keeps them: the last move of each (every one kept was moved at
 * least once), written back when settled.
 */
class TestBooks implements TimerBooks {
  readonly held: HeldTimers
  readonly kept = new Map<string, { timer: HeldTimer; filed: number; to: number; ticket: number }>()
  settled = 0

  constructor(held: HeldTimers) {
    this.held = held
  }

  settle(upTo: number): void {
    for (const [id, b] of this.kept)
      if (b.filed <= upTo) {
        // Moved at least once (perhaps to the same time: that too counts as registered then).
        this.held.moveLater(b.timer, b.to, b.ticket)
        this.kept.delete(id)
        this.settled++
      }
  }

  drop(): void {
    this.kept.clear()
  }
}

test('timers moved in books (HeldTimers) fire, tie and snapshot as if moved each time; restores drop the books', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rnd = new SeededRandom(seed)
    const make = scopedQueues
    const booked = make()
    const plain = make()
    const held = heldTimersOf(booked.timers)!
    const books = new TestBooks(held)
    held.keep(books)
    held.keep(books)
    // One timer per (key, namespace), moving later most of the time; few distinct times, so that
    // many timers tie. The hot key has more timers than the array form of its index holds (filed in
    // a Map, also while some are in the books). Holders are per (key, namespace), as window entries
    // are.
    const hot = Array.from({ length: 24 }, (_, i) => `h${i}`)
    const at = new Map<string, number>()
    const holders = new Map<string, object>()
    let clock = 0
    for (let i = 0; i < 1500; i++) {
      const key = rnd.pick(['a', 'b', 7, 8, 'hot'])
      const ns = key === 'hot' ? rnd.pick(hot) : rnd.pick(['w1', 'w2', 'w3'])
      const id = `${String(key)}/${ns}`
      for (const s of [booked, plain]) {
        s.scope.key = key
        s.scope.slot = key
      }
      const from = at.get(id)
      const op = rnd.int(0, 9)
      if (from === undefined) {
        // The hot key's a while ahead: it has many at a time.
        const t = clock + rnd.int(0, 6) + (key === 'hot' ? 40 : 0)
        for (const s of [booked, plain]) s.timers.registerEventTimeTimer(t, ns)
        at.set(id, t)
      } else if (op < 7) {
        const to = from + rnd.int(0, 4)
        plain.timers.moveEventTimeTimer(from, to, ns)
        const b = books.kept.get(id)
        if (b !== undefined) {
          b.to = to
          b.ticket = held.ticket()
        } else {
          let holder = holders.get(id)
          if (holder === undefined) holders.set(id, (holder = {}))
          const timer = held.hold(holder, ns, from)
          assert.ok(timer !== undefined, `seed ${seed} step ${i}`)
          books.kept.set(id, { timer, filed: from, to, ticket: held.ticket() })
        }
        at.set(id, to)
      } else if (op === 7) {
        // Another change to the timer: its books are written back first.
        const b = books.kept.get(id)
        if (b !== undefined) {
          held.moveLater(b.timer, b.to, b.ticket)
          books.kept.delete(id)
        }
        for (const s of [booked, plain]) s.timers.deleteEventTimeTimer(from, ns)
        at.delete(id)
      } else if (op === 8) {
        clock += rnd.int(0, 5)
        const fire = (q: TimerQueues) => {
          const out: string[] = []
          for (let t = q.pollDue('event', clock); t; t = q.pollDue('event', clock)) out.push(show(t))
          return out
        }
        assert.deepEqual(fire(booked.queues), fire(plain.queues), `seed ${seed} step ${i}`)
        for (const [k, t] of [...at]) if (t <= clock) at.delete(k)
        for (const b of books.kept.values()) assert.ok(b.filed > clock, `seed ${seed} step ${i}`)
      } else if (rnd.chance(0.5)) {
        // Either settles the books (the other finds them settled).
        if (rnd.chance(0.5)) {
          assert.deepEqual(booked.queues.snapshot(), plain.queues.snapshot(), `seed ${seed} step ${i}`)
          assert.equal(books.kept.size, 0)
        }
        assert.equal(booked.queues.next('event'), plain.queues.next('event'), `seed ${seed} step ${i}`)
        assert.equal(books.kept.size, 0)
        assert.deepEqual(booked.queues.snapshot(), plain.queues.snapshot(), `seed ${seed} step ${i}`)
      } else {
        // Both restored from the same snapshot: the books (of timers no longer there) are dropped.
        const snapshot = roundTrip(plain.queues.snapshot())
        const kept = books.kept.size
        booked.queues.restore(snapshot)
        plain.queues.restore(snapshot)
        assert.equal(books.kept.size, 0)
        if (kept > 0) {
          // No longer kept by the restored queues: they do not settle them.
          books.kept.set('gone', { timer: {} as HeldTimer, filed: -1, to: -1, ticket: 0 })
          booked.queues.next('event')
          assert.ok(books.kept.has('gone'))
          books.kept.clear()
        }
        held.keep(books)
      }
    }
    assert.ok(books.settled > 0)
  }
})
