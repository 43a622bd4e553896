// KeyedProcessFunction: keyed state and timers through the context, timers firing in timestamp
// order with dedup per (key, timestamp), TTL under the virtual clock, and snapshot/restore
// equivalence on random input.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { outputTag } from '../model/record.ts'
import { OperatorHarness } from '../testing/operator-harness.ts'
import { SeededRandom } from '../testing/random.ts'
import { type KeyedProcessFunction, KeyedProcessOperator } from './keyed-process.ts'

test('event-time timers fire in timestamp order across keys, once per (key, timestamp), before the watermark', () => {
  const fn: KeyedProcessFunction<number, string> = {
    processElement(delay, ctx) {
      ctx.timers.registerEventTimeTimer(ctx.timestamp + delay)
    },
    onTimer(ts, ctx) {
      ctx.emit(`${String(ctx.key)}@${ts}(${ctx.domain}, wm ${ctx.watermark})`)
      if (ctx.key === 'a' && ts === 15) ctx.timers.registerEventTimeTimer(16) // due now: fires in this advance
      if (ctx.key === 'a' && ts === 16) ctx.timers.registerEventTimeTimer(40) // not due yet
    },
  }
  const h = new OperatorHarness(new KeyedProcessOperator(fn))
  h.element(5, 10, 'a') // timer 15
  h.element(2, 10, 'b') // timer 12
  h.element(3, 12, 'a') // timer 15 again: deduplicated
  h.element(0, 12, 'b') // timer 12 again: deduplicated
  h.element(8, 2, 'c') // timer 10
  h.element(3, 12, 'c') // timer 15 for c: distinct key, same time
  h.watermark(14)
  h.watermark(20)
  assert.deepEqual(
    h.events.map((e) =>
      e.kind === 'record' ? e.record.value : e.kind === 'watermark' ? e.watermark : e.kind,
    ),
    [
      'c@10(event, wm 14)',
      'b@12(event, wm 14)',
      14,
      'a@15(event, wm 20)',
      'c@15(event, wm 20)',
      'a@16(event, wm 20)',
      20,
    ],
  )
  assert.deepEqual(
    h.records().map((r) => [r.key, r.timestamp]),
    [
      ['c', 10],
      ['b', 12],
      ['a', 15],
      ['c', 15],
      ['a', 16],
    ],
  )
  assert.equal(h.runner.timers.size, 1)
})

test('processing-time timers fire as the virtual clock passes them; deleted timers do not', () => {
  const fn: KeyedProcessFunction<string, string> = {
    processElement(cmd, ctx) {
      const [op, at] = cmd.split(' ')
      if (op === 'set') ctx.timers.registerProcessingTimeTimer(Number(at))
      else ctx.timers.deleteProcessingTimeTimer(Number(at))
    },
    onTimer(ts, ctx) {
      ctx.emit(`${String(ctx.key)}@${ts} now ${ctx.processingTime} ${ctx.domain}`)
    },
  }
  const h = new OperatorHarness(new KeyedProcessOperator(fn), { processingTime: 100 })
  h.element('set 150', 0, 'x')
    .element('set 120', 0, 'y')
    .element('set 150', 0, 'x')
    .element('set 130', 0, 'x')
  h.element('del 130', 0, 'x')
  h.setProcessingTime(149)
  h.watermark(1000) // event time does not fire processing timers
  h.setProcessingTime(200)
  assert.deepEqual(h.values(), ['y@120 now 149 processing', 'x@150 now 200 processing'])
})

test('state TTL: a per-key count forgets after the TTL of processing time', () => {
  const fn: KeyedProcessFunction<string, string> = {
    processElement(v, ctx) {
      const count = ctx.state.value<number>({ name: 'count', ttl: 1000 })
      const seen = ctx.state.list<string>({ name: 'seen', ttl: 1000 })
      count.update((count.value() ?? 0) + 1)
      seen.add(v)
      ctx.emit(`${String(ctx.key)}: ${count.value()} [${seen.get().join(',')}]`)
    },
  }
  const h = new OperatorHarness(new KeyedProcessOperator(fn))
  h.element('a', 0, 'k')
  h.setProcessingTime(600)
  h.element('b', 0, 'k')
  h.setProcessingTime(1599) // count rewritten at 600: alive; 'a' written at 0: expired
  h.element('c', 0, 'k')
  h.setProcessingTime(2599) // count rewritten at 1599: alive until 2599, exactly now: gone
  h.element('d', 0, 'k')
  assert.deepEqual(h.values(), ['k: 1 [a]', 'k: 2 [a,b]', 'k: 3 [b,c]', 'k: 1 [d]'])
  h.setProcessingTime(10_000)
  assert.equal(h.runner.state.cellCount(), 2)
  assert.equal(h.runner.state.purgeExpired(), 0)
})

const FIVES = outputTag<number>('fives')

/** A function using every kind of state and both timer domains, to checkpoint mid-stream. */
const busy: KeyedProcessFunction<number, string> = {
  processElement(v, ctx) {
    const total = ctx.state.reducing<number>({ name: 'total', reduce: (a, b) => a + b })
    const recent = ctx.state.list<number>({ name: 'recent', ttl: 50 })
    const byParity = ctx.state.map<string, bigint>({ name: 'parity' })
    const last = ctx.state.value<{ v: number; at: number }>({ name: 'last' })
    total.add(v)
    recent.add(v)
    const parity = v % 2 === 0 ? 'even' : 'odd'
    byParity.put(parity, (byParity.get(parity) ?? 0n) + BigInt(v))
    last.update({ v, at: ctx.processingTime })
    ctx.timers.registerEventTimeTimer(ctx.timestamp + (v % 7))
    if (v % 3 === 0) ctx.timers.registerProcessingTimeTimer(ctx.processingTime + (v % 11))
    if (v % 5 === 0) ctx.output(FIVES, v)
  },
  onTimer(ts, ctx) {
    const total = ctx.state.reducing<number>({ name: 'total', reduce: (a, b) => a + b })
    const recent = ctx.state.list<number>({ name: 'recent', ttl: 50 })
    const byParity = ctx.state.map<string, bigint>({ name: 'parity' })
    const last = ctx.state.value<{ v: number; at: number }>({ name: 'last' })
    ctx.emit(
      `${ctx.domain} ${String(ctx.key)}@${ts}: total ${total.get()} recent ${recent.get()} ` +
        `parity ${byParity.entries()} last ${JSON.stringify(last.value())}`,
    )
    if (ctx.domain === 'event' && ts % 4 === 0) total.clear()
  },
}

test('keyed process function: snapshot and restore anywhere equals the uninterrupted run', () => {
  type Step = ['el', number, number, string] | ['wm', number] | ['pt', number]
  for (let seed = 1; seed <= 20; seed++) {
    const rnd = new SeededRandom(seed)
    const steps: Step[] = []
    let wm = 0
    let now = 0
    for (let i = 0; i < 120; i++) {
      const r = rnd.next()
      if (r < 0.7) steps.push(['el', i, wm + rnd.int(1, 20), rnd.pick(['a', 'b', 'c'])])
      else if (r < 0.85) steps.push(['wm', (wm += rnd.int(1, 10))])
      else steps.push(['pt', (now += rnd.int(1, 30))])
    }
    steps.push(['wm', Number.POSITIVE_INFINITY])
    const apply = (h: OperatorHarness, s: Step) => {
      if (s[0] === 'el') h.element(s[1], s[2], s[3])
      else if (s[0] === 'wm') h.watermark(s[1])
      else h.setProcessingTime(s[1])
    }
    const full = new OperatorHarness(new KeyedProcessOperator(busy))
    for (const s of steps) apply(full, s)
    assert.ok(full.records().length > 50)
    assert.ok(full.side(FIVES.id).length > 5)
    for (let cut = 0; cut <= steps.length; cut += 10) {
      const a = new OperatorHarness(new KeyedProcessOperator(busy))
      for (const s of steps.slice(0, cut)) apply(a, s)
      const b = new OperatorHarness(new KeyedProcessOperator(busy)).restore(a.snapshot())
      for (const s of steps.slice(cut)) apply(b, s)
      assert.deepEqual([...a.events, ...b.events], full.events, `seed ${seed} cut ${cut}`)
    }
  }
})
