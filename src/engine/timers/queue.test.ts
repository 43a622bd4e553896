// The timer queue (sorted runs plus a heap) against a sorted reference: mostly-ordered and random
// timestamps, removals, re-keyed items and long runs (whose consumed prefix is compacted).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../testing/random.ts'
import { type QueueItem, TimerQueue } from './queue.ts'

interface Item extends QueueItem {
  id: number
}

/** What is left in `q` comes out exactly as `live` sorted by (timestamp, seq). */
function assertDrains(q: TimerQueue<Item>, live: Set<Item>, seed: number): void {
  const rest = [...live].sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq).map((x) => x.id)
  const drained: number[] = []
  for (let top = q.peek(); top !== undefined; top = q.peek()) {
    q.pop(top)
    drained.push(top.id)
  }
  assert.deepEqual(drained, rest, `seed ${seed}`)
}

test('items come out by (timestamp, seq) whatever mix of orders, removals and updates went in', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const rnd = new SeededRandom(seed)
    const q = new TimerQueue<Item>()
    const live = new Set<Item>()
    let seq = 0
    let clock = 0
    const streams = [0, 0, 0, 0, 0, 0]
    const out: number[] = []
    const expected: number[] = []
    for (let i = 0; i < 6000; i++) {
      const op = rnd.int(0, 9)
      if (op < 6) {
        // Several interleaved, mostly ordered streams, and some random times.
        const s = rnd.int(0, streams.length - 1)
        streams[s] = Math.max(streams[s]!, clock) + rnd.int(0, 3)
        const timestamp = rnd.chance(0.1) ? clock + rnd.int(0, 50) : streams[s]!
        const item: Item = { id: i, timestamp, seq: seq++, pos: -1, where: -1, queuedAt: 0, queuedSeq: 0 }
        q.push(item)
        live.add(item)
      } else if (op < 8 && live.size > 0) {
        const item = [...live][rnd.int(0, live.size - 1)]!
        if (rnd.chance(0.5)) {
          q.remove(item)
          live.delete(item)
        } else {
          item.timestamp = clock + rnd.int(0, 40)
          item.seq = seq++
          q.update(item)
        }
      } else {
        // Poll everything due up to the clock, as a watermark would.
        clock += rnd.int(0, 6)
        const due = [...live]
          .filter((x) => x.timestamp <= clock)
          .sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq)
        for (const x of due) {
          expected.push(x.id)
          live.delete(x)
        }
        for (let top = q.peek(); top !== undefined && top.timestamp <= clock; top = q.peek()) {
          q.pop(top)
          out.push(top.id)
        }
      }
    }
    assert.deepEqual(out, expected, `seed ${seed}`)
    assertDrains(q, live, seed)
  }
})

test('a long run is compacted as it is consumed, without losing or reordering what is left', () => {
  const q = new TimerQueue<Item>()
  const items: Item[] = []
  for (let i = 0; i < 5000; i++) {
    const item: Item = { id: i, timestamp: i, seq: i, pos: -1, where: -1, queuedAt: 0, queuedSeq: 0 }
    items.push(item)
    q.push(item)
  }
  const popped: number[] = []
  for (let i = 0; i < 3000; i++) {
    const top = q.peek()!
    q.pop(top)
    popped.push(top.id)
  }
  // Dead slots after the compaction point, and an item moved later.
  q.remove(items[3100]!)
  items[3200]!.timestamp = 9000
  items[3200]!.seq = 5000
  q.update(items[3200]!)
  for (let top = q.peek(); top !== undefined; top = q.peek()) {
    q.pop(top)
    popped.push(top.id)
  }
  const expected = [...Array(5000).keys()].filter((i) => i !== 3100 && i !== 3200)
  expected.push(3200)
  assert.deepEqual(popped, expected)
})

test('items moved later stay where they were filed and still come out by (timestamp, seq)', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const rnd = new SeededRandom(seed)
    const q = new TimerQueue<Item>()
    const live = new Set<Item>()
    let seq = 0
    let clock = 0
    const out: number[] = []
    const expected: number[] = []
    for (let i = 0; i < 6000; i++) {
      const op = rnd.int(0, 9)
      if (op < 4) {
        const timestamp = clock + rnd.int(0, rnd.chance(0.2) ? 60 : 10)
        const item: Item = { id: i, timestamp, seq: seq++, pos: -1, where: -1, queuedAt: 0, queuedSeq: 0 }
        q.push(item)
        live.add(item)
      } else if (op < 8 && live.size > 0) {
        // Mostly moved later (as a growing session's timer), sometimes to the same time (a new seq
        // only), sometimes earlier, sometimes removed.
        const item = [...live][rnd.int(0, live.size - 1)]!
        const r = rnd.int(0, 9)
        if (r === 0) {
          q.remove(item)
          live.delete(item)
        } else if (r === 1) {
          item.timestamp = Math.max(clock, item.timestamp - rnd.int(1, 5))
          item.seq = seq++
          q.update(item)
        } else {
          item.timestamp += r === 2 ? 0 : rnd.int(1, 8)
          item.seq = seq++
          q.delay(item)
        }
      } else {
        clock += rnd.int(0, 6)
        const due = [...live]
          .filter((x) => x.timestamp <= clock)
          .sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq)
        for (const x of due) {
          expected.push(x.id)
          live.delete(x)
        }
        // Polled as the timer service does: items filed after the clock are left as they are.
        for (let top = q.peek(clock); top !== undefined && top.timestamp <= clock; top = q.peek(clock)) {
          q.pop(top)
          out.push(top.id)
        }
      }
    }
    assert.deepEqual(out, expected, `seed ${seed}`)
    assertDrains(q, live, seed)
  }
})
