// The pipeline API compiles to exactly the expected plain-data plan, and the functions it puts into
// that plan behave as written (run here through the engine's PlanHarness, without any I/O).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import clicksPerPage, { type Click } from '../../examples/clicks-per-page.ts'
import { isRiffleError } from '../core/errors.ts'
import { PlanHarness, type PlanNode, type StreamRecord } from '../engine/index.ts'
import {
  type AggregateFunction,
  avg,
  boundedOutOfOrderness,
  combine,
  count,
  countTrigger,
  file,
  generator,
  max,
  min,
  outputTag,
  pipeline,
  reduce,
  session,
  sliding,
  stdout,
  sum,
  timeEvictor,
  topic,
  tumbling,
} from './index.ts'

/** The plan with every function replaced by 'fn', so it can be compared exactly. */
function shape(value: unknown): unknown {
  if (typeof value === 'function') return 'fn'
  if (Array.isArray(value)) return value.map(shape)
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]))
  return value
}

const r = (value: unknown, timestamp: number): StreamRecord => ({ value, timestamp })

test('the example compiles to the expected job, exactly', () => {
  const job = clicksPerPage.compile()
  assert.deepEqual(shape(job), {
    name: 'clicks-per-page',
    plan: {
      nodes: [
        {
          id: 'source-1',
          operator: 'source',
          config: { timestamp: 'fn', watermarks: { kind: 'boundedOutOfOrderness', maxOutOfOrderness: 5000 } },
        },
        { id: 'filter-2', operator: 'filter', config: { filter: 'fn' } },
        { id: 'keyBy-3', operator: 'keyBy', config: { key: 'fn' } },
        {
          id: 'window-4',
          operator: 'window',
          config: {
            assigner: { kind: 'tumbling', size: 60_000, offset: 0, time: 'event' },
            aggregate: { createAccumulator: 'fn', add: 'fn', getResult: 'fn', merge: 'fn' },
            process: 'fn',
          },
        },
        { id: 'sink-5', operator: 'union', config: {} },
      ],
      edges: [
        { from: 'source-1', to: 'filter-2' },
        { from: 'filter-2', to: 'keyBy-3' },
        { from: 'keyBy-3', to: 'window-4' },
        { from: 'window-4', to: 'sink-5' },
      ],
    },
    sources: {
      'source-1': {
        kind: 'topic',
        topic: 'clicks',
        format: 'json',
        startFrom: 'earliest',
        bounded: false,
        isolation: 'read_committed',
      },
    },
    sinks: { 'sink-5': { kind: 'topic', topic: 'clicks-per-minute', format: 'json', keyFormat: 'auto' } },
    options: {
      checkpointEvery: 10_000,
      guarantee: 'exactly-once',
      onBadRecord: 'fail',
      maxBatchRecords: 1000,
      keepCheckpoints: 3,
    },
  })
})

test("the example's plan counts clicks per page per minute of event time", () => {
  const h = new PlanHarness(clicksPerPage.compile().plan)
  const click = (page: string, ts: number): StreamRecord => r({ page, user: 'u', ts } satisfies Click, 0)
  h.push('source-1', [click('/a', 1_000), click('/b', 2_000), click('/health', 3_000), click('/a', 59_999)])
  assert.deepEqual(h.records('sink-5'), [], 'the watermark, 59 999 - 5 000 - 1, is inside the first minute')
  h.push('source-1', [click('/a', 30_000), click('/a', 66_000)]) // out of order, then watermark 60 999
  assert.deepEqual(h.records('sink-5'), [
    { value: { key: '/a', start: 0, end: 60_000, value: 3 }, timestamp: 59_999, key: '/a' },
    { value: { key: '/b', start: 0, end: 60_000, value: 1 }, timestamp: 59_999, key: '/b' },
  ])
  h.finish()
  assert.deepEqual(h.values('sink-5').slice(2), [{ key: '/a', start: 60_000, end: 120_000, value: 1 }])
})

test('every stream operation compiles to its node and edges; names, unions and side outputs', () => {
  const p = pipeline('ops', { checkpointEvery: '250ms', guarantee: 'at-least-once', onBadRecord: 'skip' })
  const words = p
    .from(file<string>('/in.txt', { format: 'string' }))
    .named('lines')
    .flatMap((line) => line.split(' '))
  const gen = p.from(generator((i) => `w${i}`, { count: 3 }))
  const tagged = words
    .union(gen)
    .process<string>((w, ctx) => (w.startsWith('#') ? ctx.output('tags', w) : ctx.emit(w)))
    .named('split')
  tagged.map((w) => w.length).to(stdout())
  tagged.sideOutput<string>('tags').to(file('/tags.jsonl'))
  const job = p.compile()
  assert.deepEqual(shape(job.plan), {
    nodes: [
      { id: 'lines', operator: 'source', config: {} },
      { id: 'flatMap-2', operator: 'flatMap', config: { flatMap: 'fn' } },
      { id: 'source-3', operator: 'source', config: {} },
      { id: 'union-4', operator: 'union', config: {} },
      { id: 'split', operator: 'process', config: { processElement: 'fn' } },
      { id: 'map-6', operator: 'map', config: { map: 'fn' } },
      { id: 'sink-7', operator: 'union', config: {} },
      { id: 'sink-8', operator: 'union', config: {} },
    ],
    edges: [
      { from: 'lines', to: 'flatMap-2' },
      { from: 'flatMap-2', to: 'union-4' },
      { from: 'source-3', to: 'union-4' },
      { from: 'union-4', to: 'split' },
      { from: 'split', to: 'map-6' },
      { from: 'map-6', to: 'sink-7' },
      { from: 'split', to: 'sink-8', tag: 'tags' },
    ],
  })
  assert.deepEqual(shape(job.sources), {
    lines: { kind: 'file', path: '/in.txt', format: 'string', follow: false },
    'source-3': { kind: 'generator', generate: 'fn', count: 3 },
  })
  assert.deepEqual(job.sinks, {
    'sink-7': { kind: 'stdout', format: 'json' },
    'sink-8': { kind: 'file', path: '/tags.jsonl', format: 'json' },
  })
  assert.deepEqual(job.options, {
    checkpointEvery: 250,
    guarantee: 'at-least-once',
    onBadRecord: 'skip',
    maxBatchRecords: 1000,
    keepCheckpoints: 3,
  })
  const h = new PlanHarness(job.plan)
  h.push('lines', [r('a #b cc', 1)])
  h.push('source-3', [r('#d', 2)])
  assert.deepEqual(h.values('sink-7'), [1, 2])
  assert.deepEqual(h.values('sink-8'), ['#b', '#d'])
})

test('windows: options, every aggregate, reduce, process functions and late data', () => {
  interface Sale {
    shop: string
    amount: number
    at: number
  }
  const p = pipeline('sales')
  const sales = p
    .from(topic<Sale>('sales', { partitions: 2, bounded: true, startFrom: 'latest' }))
    .withEventTime((s) => new Date(s.at), boundedOutOfOrderness(0), { idleTimeout: '1m' })
    .keyBy((s) => s.shop)
  const stats = sales
    .window(tumbling('10s'), { allowedLateness: '5s' })
    .aggregate(
      combine({
        n: count(),
        total: sum((s: Sale) => s.amount),
        low: min((s: Sale) => s.amount),
        high: max((s: Sale) => s.amount),
        mean: avg((s: Sale) => s.amount),
      }),
    )
    .named('stats')
  stats.to(topic('sales-stats', { key: (w) => `${w.key}@${w.start}` }))
  stats.lateData().to(topic('late-sales'))
  sales
    .window(sliding('10s', '5s'), { trigger: countTrigger(2), evictor: timeEvictor('1s') })
    .process<string>((elements, ctx) => ctx.emit(`${ctx.key}:${elements.map((e) => e.amount).join('+')}`))
    .named('pairs')
    .to(stdout({ format: 'string' }))
  sales
    .map((s) => s.amount)
    .keyBy(() => 'all')
    .window(session('30s'))
    .reduce((a, b) => a + b)
    .named('sessions')
    .to(stdout())
  const job = p.compile()
  const node = (id: string): PlanNode => job.plan.nodes.find((n) => n.id === id)!
  assert.deepEqual(shape(node('source-1').config), {
    timestamp: 'fn',
    watermarks: { kind: 'boundedOutOfOrderness', maxOutOfOrderness: 0 },
    idleTimeout: 60_000,
  })
  assert.deepEqual(shape(node('stats').config), {
    assigner: { kind: 'tumbling', size: 10_000, offset: 0, time: 'event' },
    aggregate: { createAccumulator: 'fn', add: 'fn', getResult: 'fn', merge: 'fn' },
    process: 'fn',
    allowedLateness: 5000,
  })
  assert.deepEqual(shape(node('pairs').config), {
    assigner: { kind: 'sliding', size: 10_000, slide: 5000, offset: 0, time: 'event' },
    process: 'fn',
    trigger: { kind: 'count', count: 2 },
    evictor: { kind: 'time', keep: 1000, after: false },
  })
  assert.deepEqual(shape(node('sessions').config), {
    assigner: { kind: 'session', gap: 30_000, time: 'event' },
    aggregate: { createAccumulator: 'fn', add: 'fn', getResult: 'fn', merge: 'fn' },
    process: 'fn',
  })
  assert.deepEqual(
    job.plan.edges.filter((e) => e.from === 'stats'),
    [
      { from: 'stats', to: 'sink-4' },
      { from: 'stats', to: 'sink-5', tag: 'late' },
    ],
  )
  assert.deepEqual(shape(job.sources['source-1']), {
    kind: 'topic',
    topic: 'sales',
    format: 'json',
    startFrom: 'latest',
    bounded: true,
    isolation: 'read_committed',
    partitions: 2,
  })
  const sink = job.sinks['sink-4']!
  assert.equal(sink.kind === 'topic' && sink.key?.({ key: 'x', start: 10, end: 20, value: 1 }), 'x@10')

  const h = new PlanHarness({
    ...job.plan,
    nodes: job.plan.nodes.map((n) =>
      n.operator === 'source' ? { ...n, config: { ...n.config, partitions: 2 } } : n,
    ),
  })
  const sale = (shop: string, amount: number, at: number) => r({ shop, amount, at }, 0)
  h.push('source-1', [sale('x', 10, 1000), sale('x', 30, 2000), sale('y', 5, 3000)], 0)
  h.push('source-1', [sale('x', 20, 1500)], 1)
  // Two elements fire both sliding windows of x; the evictor keeps the last second of each.
  assert.deepEqual(h.values('sink-7'), ['x:30', 'x:30'])
  h.push('source-1', [sale('x', 1, 13_001)], 0)
  h.push('source-1', [sale('x', 2, 13_001)], 1) // watermark 13 000: [0, 10 s) fires
  assert.deepEqual(h.values('sink-4'), [
    { key: 'x', start: 0, end: 10_000, value: { n: 3, total: 60, low: 10, high: 30, mean: 20 } },
    { key: 'y', start: 0, end: 10_000, value: { n: 1, total: 5, low: 5, high: 5, mean: 5 } },
  ])
  h.push('source-1', [sale('y', 7, 9000)], 0) // late, but within the 5 s allowed: fires again
  h.push('source-1', [sale('x', 40, 20_000), sale('x', 41, 20_000)], 0)
  h.push('source-1', [sale('x', 42, 20_000)], 1) // watermark 19 999: [0, 10 s) is cleaned up
  h.push('source-1', [sale('y', 8, 9500)], 0) // too late
  assert.deepEqual(h.values('sink-4').slice(2), [
    { key: 'y', start: 0, end: 10_000, value: { n: 2, total: 12, low: 5, high: 7, mean: 6 } },
    { key: 'x', start: 10_000, end: 20_000, value: { n: 2, total: 3, low: 1, high: 2, mean: 1.5 } },
  ])
  assert.deepEqual(h.values('sink-5'), [{ shop: 'y', amount: 8, at: 9500 }])
  h.finish()
  assert.deepEqual(h.values('sink-11'), [{ key: 'all', start: 1000, end: 50_000, value: 206 }])
})

test('keyed process functions with state and timers, and both joins', () => {
  interface Order {
    id: string
    at: number
  }
  interface Payment {
    order: string
    at: number
  }
  const p = pipeline('orders')
  const orders = p
    .from(topic<Order>('orders'))
    .withEventTime((o) => o.at)
    .keyBy((o) => o.id)
  const payments = p
    .from(topic<Payment>('payments'))
    .withEventTime((x) => x.at)
    .keyBy((x) => x.order)
  const unpaid = outputTag<string>('unpaid')
  type Event = Order | Payment
  const tracked = orders
    .map((o): Event => o)
    .union(payments.map((x): Event => x))
    .keyBy((v) => ('id' in v ? v.id : v.order))
  tracked
    .process<string>({
      processElement(v, ctx) {
        const seen = ctx.state.value<number>({ name: 'seen' })
        seen.update((seen.value() ?? 0) + 1)
        if ('id' in v) ctx.timers.registerEventTimeTimer(v.at + 100)
      },
      onTimer(timestamp, ctx) {
        const key: string = ctx.key
        if (ctx.state.value<number>({ name: 'seen' }).value() === 1) ctx.output(unpaid, `${key}@${timestamp}`)
      },
    })
    .sideOutput(unpaid)
    .to(stdout({ format: 'string' }))
  orders
    .intervalJoin(
      payments,
      { lower: '-10ms', upper: 50 },
      (o, x, info) => `${o.id}:${x.at - o.at}:${info.key}`,
    )
    .named('paid')
    .to(stdout({ format: 'string' }))
  orders
    .windowJoin(payments, tumbling(1000), (o, x, info) => `${o.id}/${x.order}@${info.window.start}`, {
      allowedLateness: '1s',
    })
    .named('same-second')
    .to(stdout({ format: 'string' }))
  const job = p.compile()
  const node = (id: string) => job.plan.nodes.find((n) => n.id === id)!
  assert.deepEqual(shape(node('paid').config), {
    lowerBound: -10,
    upperBound: 50,
    lowerExclusive: false,
    upperExclusive: false,
    join: 'fn',
  })
  assert.deepEqual(shape(node('same-second').config), {
    assigner: { kind: 'tumbling', size: 1000, offset: 0, time: 'event' },
    join: 'fn',
    allowedLateness: 1000,
  })
  assert.deepEqual(
    job.plan.edges.filter((e) => e.to === 'paid' || e.to === 'same-second'),
    [
      { from: 'keyBy-2', to: 'paid', input: 0 },
      { from: 'keyBy-4', to: 'paid', input: 1 },
      { from: 'keyBy-2', to: 'same-second', input: 0 },
      { from: 'keyBy-4', to: 'same-second', input: 1 },
    ],
  )
  const h = new PlanHarness(job.plan)
  h.push('source-1', [r({ id: 'a', at: 100 }, 0), r({ id: 'b', at: 150 }, 0)])
  h.push('source-3', [r({ order: 'a', at: 130 }, 0), r({ order: 'c', at: 2000 }, 0)])
  h.finish()
  const [unpaidSink, paidSink, sameSecondSink] = Object.keys(job.sinks)
  assert.deepEqual(h.values(unpaidSink!), ['b@250'])
  assert.deepEqual(h.values(paidSink!), ['a:30:a'])
  assert.deepEqual(h.values(sameSecondSink!), ['a/a@0'])
})

test('aggregates', () => {
  const run = <A, R>(f: AggregateFunction<number, A, R>, values: number[]): R => {
    let acc = f.createAccumulator()
    for (const v of values) acc = f.add(v, acc)
    const [l, rest] = [values.slice(0, 1), values.slice(1)]
    let a = f.createAccumulator()
    for (const v of l) a = f.add(v, a)
    let b = f.createAccumulator()
    for (const v of rest) b = f.add(v, b)
    assert.deepEqual(f.getResult(f.merge(a, b)), f.getResult(acc), 'merge agrees with add')
    return f.getResult(acc)
  }
  const xs = [4, -2, 9, 1]
  assert.equal(run(count(), xs), 4)
  assert.equal(run(sum(), xs), 12)
  assert.equal(run(min(), xs), -2)
  assert.equal(run(max(), xs), 9)
  assert.equal(run(avg(), xs), 3)
  assert.equal(
    run(
      reduce<number>((a, b) => a * b),
      xs,
    ),
    -72,
  )
  assert.equal(
    run(
      sum((v: number) => v * 10),
      xs,
    ),
    120,
  )
  assert.deepEqual(run(combine({ c: count(), s: sum() }), xs), { c: 4, s: 12 })
})

test('invalid pipelines and options are refused with clear errors', () => {
  const refused = (f: () => unknown, message: RegExp) =>
    assert.throws(f, (e) => isRiffleError(e, 'INVALID_ARGUMENT') && message.test(e.message), String(message))
  refused(() => pipeline('has space'), /invalid pipeline name/)
  refused(() => pipeline('p', { checkpointEvery: '10 parsecs' }), /invalid duration/)
  refused(() => pipeline('p', { guarantee: 'twice' as 'exactly-once' }), /guarantee must be/)
  refused(() => pipeline('p', { onBadRecord: 'ignore' as 'skip' }), /onBadRecord must be/)
  refused(() => pipeline('p', { batchSize: 0 }), /batchSize must be a positive integer/)
  refused(() => pipeline('p').compile(), /reads nothing/)
  const p = pipeline('p')
  p.from(topic('a'))
  refused(() => p.compile(), /writes nowhere/)
  const q = pipeline('q')
  const s = q.from(topic('a'))
  s.withEventTime(() => 0)
  refused(() => s.withEventTime(() => 1), /already set/)
  refused(() => s.map((x) => x).named('source-1'), /already named/)
  refused(() => s.named('bad name'), /invalid node name/)
  refused(() => s.union(pipeline('other').from(topic('b'))), /same pipeline/)
  refused(() => generator(() => 1, { count: -1 }), /count must be/)
})

test('the types follow the values through the pipeline (checked by tsc)', () => {
  const p = pipeline('types')
  const typeChecks = () => {
    const clicks = p.from(topic<Click>('clicks'))
    // @ts-expect-error: a Click has no `url`
    clicks.map((c) => c.url)
    // @ts-expect-error: event time is set on the source only
    clicks.map((c) => c).withEventTime((c) => c.ts)
    const pages = clicks.filter((c): c is Click & { page: '/home' } => c.page === '/home').map((c) => c.page)
    // @ts-expect-error: a Stream<'/home'> cannot go to a Sink of numbers
    pages.to(topic<number>('numbers'))
    const perUser = clicks
      .keyBy((c) => c.user)
      .window(tumbling('1m'))
      .aggregate(sum((c) => c.ts))
    perUser.map((w) => {
      const key: string = w.key
      const total: number = w.value
      return `${key}=${total}`
    })
    // @ts-expect-error: the late data of a window of clicks are clicks
    perUser.lateData().map((c: number) => c)
  }
  assert.equal(typeof typeChecks, 'function')
})
