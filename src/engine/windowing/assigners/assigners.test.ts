// Window assignment against brute force: every aligned start in a generous range, kept if the window
// contains the timestamp (negative timestamps and offsets included); session merging against
// connected components computed pairwise.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isRiffleError } from '../../../core/errors.ts'
import { SeededRandom } from '../../testing/random.ts'
import { GLOBAL_WINDOW, type Window, intersects } from '../window.ts'
import { createAssigner, globalWindows, session, sliding, tumbling } from './spec.ts'

function bruteForce(ts: number, size: number, slide: number, offset: number): Window[] {
  const out: Window[] = []
  for (let start = offset - 10_000 * slide; start <= ts; start += slide)
    if (start <= ts && ts < start + size) out.push({ start, end: start + size })
  return out.reverse() // latest first
}

test('tumbling and sliding windows are exactly the aligned windows containing the timestamp', () => {
  const rnd = new SeededRandom(42)
  for (let i = 0; i < 400; i++) {
    const slide = rnd.int(1, 12)
    const size = rnd.chance(0.4) ? slide : rnd.int(1, 40)
    const offset = rnd.int(-30, 30)
    const ts = rnd.int(-500, 500)
    const alignedOffset = ((offset % slide) + slide) % slide
    const expected = bruteForce(ts, size, slide, alignedOffset)
    const assigner =
      size === slide && rnd.chance(0.5)
        ? createAssigner(tumbling(size, offset))
        : createAssigner(sliding(size, slide, offset))
    assert.deepEqual(
      assigner.assign(ts, 0),
      expected,
      `size ${size} slide ${slide} offset ${offset} ts ${ts}`,
    )
    assert.equal(
      expected.length,
      Math.floor(size / slide) + (mod(ts - alignedOffset, slide) < size % slide ? 1 : 0),
    )
  }
})

const mod = (x: number, m: number) => ((x % m) + m) % m

test('processing-time assigners use the processing time, not the element timestamp', () => {
  assert.deepEqual(createAssigner(tumbling(10, 0, 'processing')).assign(3, 57), [{ start: 50, end: 60 }])
  assert.deepEqual(createAssigner(session(5, 'processing')).assign(3, 57), [{ start: 57, end: 62 }])
  assert.equal(createAssigner(sliding(10, 5, 0, 'processing')).eventTime, false)
  assert.deepEqual(createAssigner(globalWindows()).assign(3, 57), [GLOBAL_WINDOW])
})

test('session windows merge into the connected components of overlapping or touching windows', () => {
  const rnd = new SeededRandom(7)
  for (let i = 0; i < 200; i++) {
    const gap = rnd.int(1, 10)
    const windows = Array.from({ length: rnd.int(1, 12) }, () => {
      const t = rnd.int(0, 80)
      return { start: t, end: t + gap }
    })
    // Components by repeated pairwise union.
    const component = windows.map((_, j) => j)
    const find = (j: number): number => (component[j] === j ? j : find(component[j]!))
    for (let a = 0; a < windows.length; a++)
      for (let b = 0; b < windows.length; b++)
        if (intersects(windows[a]!, windows[b]!)) component[find(a)] = find(b)
    const expected = new Map<number, Window[]>()
    windows.forEach((w, j) => expected.set(find(j), [...(expected.get(find(j)) ?? []), w]))
    const groups = createAssigner(session(gap)).mergeWindows(windows)
    assert.equal(groups.length, expected.size)
    for (const g of groups) {
      const members = expected.get(find(windows.indexOf(g.merged[0]!)))!
      assert.deepEqual(new Set(g.merged), new Set(members))
      assert.deepEqual(g.result, {
        start: Math.min(...members.map((w) => w.start)),
        end: Math.max(...members.map((w) => w.end)),
      })
    }
  }
})

test('invalid sizes are refused', () => {
  for (const spec of [tumbling(0), sliding(10, 0), session(-1), tumbling(1.5)])
    assert.throws(
      () => createAssigner(spec),
      (e) => isRiffleError(e, 'INVALID_ARGUMENT'),
    )
})
