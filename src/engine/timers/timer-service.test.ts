// Timers: deduplicated per (domain, key, namespace, timestamp), fired in timestamp order (ties in
// registration order), deletable, and restored from a snapshot in the same order.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { roundTrip } from '../serde/plain.ts'
import { SeededRandom } from '../testing/random.ts'
import { type Timer, TimerQueues } from './timer-service.ts'

const showKey = (k: Timer['key']) => (Buffer.isBuffer(k) ? `buf(${k})` : `${typeof k}(${String(k)})`)
const show = (t: Timer) => `${t.domain}:${showKey(t.key)}:${t.namespace}@${t.timestamp}`

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
