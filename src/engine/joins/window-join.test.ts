// Window join against a nested-loop reference: for every window of every key, all (left, right)
// pairs, emitted when the window fires (and again, complete, when a late element within the allowed
// lateness re-fires it); elements whose windows are gone go to the late output as { side, value }.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { HarnessEvent } from '../testing/operator-harness.ts'
import { OperatorHarness } from '../testing/operator-harness.ts'
import { SeededRandom } from '../testing/random.ts'
import { session, sliding, tumbling } from '../windowing/assigners/spec.ts'
import type { Window } from '../windowing/window.ts'
import { WindowJoinOperator } from './window-join.ts'

type El = { input: 0 | 1; key: string; ts: number; v: string }
type Step = ({ kind: 'el' } & El) | { kind: 'wm'; wm: number }

function normalize(events: readonly HarnessEvent[]): string[] {
  return events
    .flatMap((e) =>
      e.kind === 'record'
        ? [`${String(e.record.key)}@${e.record.timestamp}=${e.record.value}`]
        : e.kind === 'side'
          ? [`${e.tag}:${String(e.record.key)}@${e.record.timestamp}=${JSON.stringify(e.record.value)}`]
          : [],
    )
    .sort()
}

const join = (l: unknown, r: unknown, info: { window: Window }) => `${l}+${r} in ${info.window.start}`

test('window join (tumbling and sliding) equals the nested-loop reference over random streams', () => {
  let pairs = 0
  let late = 0
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = new SeededRandom(seed)
    const slide = rnd.int(3, 8)
    const size = rnd.chance(0.5) ? slide : slide * rnd.int(2, 3)
    const lateness = rnd.pick([0, 5, 20])
    const h = new OperatorHarness(
      new WindowJoinOperator({
        assigner: size === slide ? tumbling(size) : sliding(size, slide),
        allowedLateness: lateness,
        join,
      }),
      { inputs: 2 },
    )
    const windowsOf = (ts: number) => {
      const out: Window[] = []
      for (let start = Math.floor(ts / slide) * slide; start > ts - size; start -= slide)
        out.push({ start, end: start + size })
      return out
    }
    const live = new Map<string, { key: string; w: Window; els: El[] }>()
    const pairsOf = (e: { key: string; w: Window; els: El[] }) => {
      const out: string[] = []
      for (const l of e.els)
        if (l.input === 0)
          for (const r of e.els)
            if (r.input === 1) out.push(`${e.key}@${e.w.end - 1}=${l.v}+${r.v} in ${e.w.start}`)
      pairs += out.length
      return out
    }
    let wm = Number.NEGATIVE_INFINITY
    let clock = 0
    const steps: Step[] = []
    for (let i = 0; i < 120; i++) {
      clock += rnd.int(0, 2)
      const input = rnd.int(0, 1) as 0 | 1
      steps.push({
        kind: 'el',
        input,
        key: rnd.pick(['a', 'b']),
        ts: clock - rnd.int(0, 10),
        v: `${'LR'[input]}${i}`,
      })
      if (rnd.chance(0.2)) steps.push({ kind: 'wm', wm: clock - rnd.int(0, 4) })
    }
    steps.push({ kind: 'wm', wm: Number.POSITIVE_INFINITY })
    for (const s of steps) {
      const expected: string[] = []
      if (s.kind === 'el') {
        h.element(s.v, s.ts, s.key, s.input)
        const open = windowsOf(s.ts).filter((w) => w.end - 1 + lateness > wm)
        if (open.length === 0) {
          expected.push(
            `late:${s.key}@${s.ts}=${JSON.stringify({ side: s.input === 0 ? 'left' : 'right', value: s.v })}`,
          )
          late++
        }
        for (const w of open) {
          const id = `${s.key}|${w.start}`
          const entry = live.get(id) ?? { key: s.key, w, els: [] }
          live.set(id, entry)
          entry.els.push(s)
          if (w.end - 1 <= wm) expected.push(...pairsOf(entry))
        }
      } else {
        h.watermark(s.wm)
        if (s.wm > wm) {
          for (const e of live.values())
            if (wm < e.w.end - 1 && e.w.end - 1 <= s.wm) expected.push(...pairsOf(e))
          for (const [id, e] of live) if (e.w.end - 1 + lateness <= s.wm) live.delete(id)
          wm = s.wm
        }
      }
      assert.deepEqual(normalize(h.take()), expected.sort(), `seed ${seed}`)
    }
  }
  assert.ok(pairs > 2000, `pairs: ${pairs}`)
  assert.ok(late > 20, `late: ${late}`)
})

test('window join over sessions joins within the merged session of both sides', () => {
  const h = new OperatorHarness(new WindowJoinOperator({ assigner: session(5), join }), { inputs: 2 })
  h.element('L1', 1, 'k', 0)
  h.element('R1', 4, 'k', 1) // same session [1, 9)
  h.element('R2', 20, 'k', 1) // its own session, no left
  h.element('L2', 8, 'k', 0) // extends to [1, 13)
  h.watermark(100)
  assert.deepEqual(normalize(h.take()), ['k@12=L1+R1 in 1', 'k@12=L2+R1 in 1'])
})
