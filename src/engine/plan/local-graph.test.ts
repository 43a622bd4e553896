// Plans end to end in one LocalGraph: stateless operators, keyBy partitioning, sources with
// per-partition watermarks and idleness feeding windows, unions that merge watermarks across
// edges (with idleness propagated downstream), side-output edges, joins with explicit input
// indices, validation, and snapshot/restore of a whole graph.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isRiffleError } from '../../core/errors.ts'
import type { AggregateFunction } from '../model/functions.ts'
import type { StreamRecord } from '../model/record.ts'
import { partitionFor } from '../partitioning/partition.ts'
import { PlanHarness } from '../testing/plan-harness.ts'
import { boundedOutOfOrderness } from '../watermarks/strategies.ts'
import { tumbling } from '../windowing/assigners/spec.ts'
import { buildOperator } from './build.ts'
import { INPUTS, type OperatorKind, type Plan, type PlanNode } from './plan.ts'

const sum: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (v, acc) => acc + v,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
}

const r = (value: unknown, timestamp: number): StreamRecord => ({ value, timestamp })

test('stateless operators, process side outputs and keyBy partitions', () => {
  const plan: Plan = {
    nodes: [
      { id: 'in', operator: 'source', config: {} },
      { id: 'words', operator: 'flatMap', config: { flatMap: (line) => String(line).split(' ') } },
      { id: 'long', operator: 'filter', config: { filter: (w) => String(w).length > 2 } },
      { id: 'upper', operator: 'map', config: { map: (w) => String(w).toUpperCase() } },
      {
        id: 'tag',
        operator: 'process',
        config: {
          processElement(w, ctx) {
            if (String(w).startsWith('T')) ctx.output('t-words', w, ctx.timestamp + 1)
            else ctx.emit(w)
          },
        },
      },
      { id: 'key', operator: 'keyBy', config: { key: (w) => String(w)[0]!, partitions: 4 } },
    ],
    edges: [
      { from: 'in', to: 'words' },
      { from: 'words', to: 'long' },
      { from: 'long', to: 'upper' },
      { from: 'upper', to: 'tag' },
      { from: 'tag', to: 'key' },
    ],
  }
  const h = new PlanHarness(plan)
  h.push('in', [r('the quick brown fox', 5), r('jumps over the lazy dog', 7)])
  assert.deepEqual(h.values('tag', 't-words'), ['THE', 'THE'])
  assert.deepEqual(
    h.records('tag', 't-words').map((x) => x.timestamp),
    [6, 8],
  )
  assert.deepEqual(
    h.records('key'),
    ['QUICK', 'BROWN', 'FOX', 'JUMPS', 'OVER', 'LAZY', 'DOG'].map((w, i) => ({
      value: w,
      timestamp: i < 3 ? 5 : 7,
      key: w[0]!,
      partition: partitionFor(w[0]!, 4),
    })),
  )
})

function windowPlan(): Plan {
  return {
    nodes: [
      {
        id: 'src',
        operator: 'source',
        config: { partitions: 2, watermarks: boundedOutOfOrderness(0), idleTimeout: 1000 },
      },
      { id: 'key', operator: 'keyBy', config: { key: (v) => (v as { k: string }).k } },
      { id: 'amount', operator: 'map', config: { map: (v) => (v as { n: number }).n } },
      {
        id: 'sum',
        operator: 'window',
        config: { assigner: tumbling(10), allowedLateness: 10, aggregate: sum as AggregateFunction },
      },
      { id: 'late', operator: 'map', config: { map: (v) => `late ${v}` } },
    ],
    edges: [
      { from: 'src', to: 'key' },
      { from: 'key', to: 'amount' },
      { from: 'amount', to: 'sum' },
      { from: 'sum', to: 'late', tag: 'late' },
    ],
  }
}

type GraphStep =
  | { push: number; at: number; values: [string, number, number][] }
  | { tick: number }
  | { finish: true }

const graphSteps: GraphStep[] = [
  {
    push: 0,
    at: 0,
    values: [
      ['a', 1, 2],
      ['b', 10, 4],
    ],
  },
  { push: 1, at: 10, values: [['a', 100, 3]] }, // partitions at 3 and 2 (bounded 0: ts - 1): watermark 2
  {
    push: 0,
    at: 20,
    values: [
      ['a', 1, 12],
      ['a', 2, 15],
    ],
  }, // partition 0 at 14, partition 1 holds at 2
  { tick: 1010 }, // partition 1 silent since 10: idle; watermark 14 fires [0, 10)
  { push: 0, at: 1020, values: [['a', 1000, 9]] }, // late within lateness: re-fires a's [0, 10)
  { push: 0, at: 1030, values: [['b', 7, 30]] }, // watermark 29: cleans [0, 10), fires [10, 20)
  { push: 0, at: 1040, values: [['b', 5, 3]] }, // too late: to the 'late' edge
  { finish: true },
]

function runGraph(h: PlanHarness, steps: readonly GraphStep[]): void {
  for (const s of steps) {
    if ('push' in s) {
      h.clock.set(s.at)
      h.push(
        'src',
        s.values.map(([k, n, ts]) => r({ k, n }, ts)),
        s.push,
      )
    } else if ('tick' in s) h.setProcessingTime(s.tick)
    else h.finish()
  }
}

test('source partitions, idleness, keyed windows, lateness and a late-data edge, end to end', () => {
  const h = new PlanHarness(windowPlan())
  runGraph(h, graphSteps)
  assert.deepEqual(
    h.records('sum').map((x) => `${String(x.key)}@${x.timestamp}=${x.value}`),
    ['a@9=101', 'b@9=10', 'a@9=1101', 'a@19=3', 'b@39=7'],
  )
  assert.deepEqual(h.values('late'), ['late 5'])
  assert.deepEqual(h.watermarks('late'), [2, 14, 29, Number.POSITIVE_INFINITY])
})

test('a whole graph snapshot/restore at every step continues like the uninterrupted run', () => {
  const full = new PlanHarness(windowPlan())
  runGraph(full, graphSteps)
  for (let cut = 0; cut <= graphSteps.length; cut++) {
    const a = new PlanHarness(windowPlan())
    runGraph(a, graphSteps.slice(0, cut))
    const b = new PlanHarness(windowPlan()).restore(a.snapshot())
    runGraph(b, graphSteps.slice(cut))
    assert.deepEqual([...a.events, ...b.events], full.events, `cut ${cut}`)
  }
})

test('union merges watermarks across edges; an idle source stops holding it back', () => {
  const plan: Plan = {
    nodes: [
      { id: 'a', operator: 'source', config: { watermarks: boundedOutOfOrderness(0), idleTimeout: 50 } },
      { id: 'b', operator: 'source', config: { watermarks: boundedOutOfOrderness(0), idleTimeout: 50 } },
      { id: 'u', operator: 'union', config: {} },
    ],
    edges: [
      { from: 'a', to: 'u' },
      { from: 'b', to: 'u' },
    ],
  }
  const h = new PlanHarness(plan)
  h.push('a', [r('a1', 100)])
  h.push('b', [r('b1', 20)])
  assert.deepEqual(h.watermarks('u'), [19])
  h.push('a', [r('a2', 200)])
  assert.deepEqual(h.watermarks('u'), [19])
  h.clock.set(40)
  h.push('a', [r('a3', 300)])
  h.setProcessingTime(50) // b silent for 50: idle, so u follows a alone
  assert.deepEqual(h.watermarks('u'), [19, 299])
  h.push('b', [r('b2', 400)]) // b is back and ahead; a now holds the minimum
  h.setProcessingTime(95) // a silent since 40: idle; b alone
  assert.deepEqual(h.watermarks('u'), [19, 299, 399])
  h.setProcessingTime(200) // both idle: u is idle too
  assert.equal(h.events.at(-1)?.kind, 'idle')
  assert.deepEqual(h.values('u'), ['a1', 'b1', 'a2', 'a3', 'b2'])
})

test('joins take their left and right inputs from the edge input indices', () => {
  const plan: Plan = {
    nodes: [
      { id: 'orders', operator: 'source', config: {} },
      { id: 'payments', operator: 'source', config: {} },
      { id: 'ko', operator: 'keyBy', config: { key: (v) => (v as string).split(':')[0]! } },
      { id: 'kp', operator: 'keyBy', config: { key: (v) => (v as string).split(':')[0]! } },
      {
        id: 'j',
        operator: 'intervalJoin',
        config: { lowerBound: 0, upperBound: 10, join: (o, p) => `${o} paid by ${p}` },
      },
      { id: 'w', operator: 'windowJoin', config: { assigner: tumbling(100), join: (o, p) => `${o}/${p}` } },
    ],
    edges: [
      { from: 'payments', to: 'kp' },
      { from: 'orders', to: 'ko' },
      { from: 'kp', to: 'j', input: 1 },
      { from: 'ko', to: 'j', input: 0 },
      { from: 'kp', to: 'w', input: 1 },
      { from: 'ko', to: 'w', input: 0 },
    ],
  }
  const h = new PlanHarness(plan)
  h.push('orders', [r('o1:order', 5), r('o2:order', 7)])
  h.push('payments', [r('o1:pay', 12), r('o2:pay', 30)])
  h.finish()
  assert.deepEqual(h.values('j'), ['o1:order paid by o1:pay'])
  assert.deepEqual(h.values('w'), ['o1:order/o1:pay', 'o2:order/o2:pay'])
})

test('plans are validated: ids, edges, input counts and indices, cycles', () => {
  const src: PlanNode = { id: 's', operator: 'source', config: {} }
  const map = (id: string): PlanNode => ({ id, operator: 'map', config: { map: (v) => v } })
  const bad: [Plan, RegExp][] = [
    [{ nodes: [src, src], edges: [] }, /duplicate/],
    [{ nodes: [src], edges: [{ from: 's', to: 'x' }] }, /unknown node 'x'/],
    [{ nodes: [src, map('m')], edges: [] }, /'m' \(map\) has 0 inputs/],
    [
      {
        nodes: [src, map('m'), map('n')],
        edges: [
          { from: 's', to: 'm' },
          { from: 'm', to: 'n' },
          { from: 'n', to: 'm' },
        ],
      },
      /has 2 inputs/,
    ],
    [
      {
        nodes: [src, { id: 'u', operator: 'union', config: {} }, map('m')],
        edges: [
          { from: 's', to: 'u' },
          { from: 'u', to: 'm' },
          { from: 'm', to: 'u' },
        ],
      },
      /cycle/,
    ],
    [
      {
        nodes: [
          src,
          { id: 'j', operator: 'intervalJoin', config: { lowerBound: 0, upperBound: 1, join: () => 0 } },
        ],
        edges: [
          { from: 's', to: 'j', input: 1 },
          { from: 's', to: 'j', input: 1 },
        ],
      },
      /input indices 1, 1/,
    ],
  ]
  for (const [plan, message] of bad)
    assert.throws(
      () => new PlanHarness(plan),
      (e) => isRiffleError(e, 'INVALID_ARGUMENT') && message.test(e.message),
      String(message),
    )
})

test('every operator kind builds', () => {
  const configs: { [K in OperatorKind]: PlanNode & { operator: K } } = {
    source: { id: 'x', operator: 'source', config: {} },
    map: { id: 'x', operator: 'map', config: { map: (v) => v } },
    filter: { id: 'x', operator: 'filter', config: { filter: () => true } },
    flatMap: { id: 'x', operator: 'flatMap', config: { flatMap: (v) => [v] } },
    union: { id: 'x', operator: 'union', config: {} },
    process: { id: 'x', operator: 'process', config: { processElement: () => {} } },
    keyBy: { id: 'x', operator: 'keyBy', config: { key: () => 'k' } },
    window: {
      id: 'x',
      operator: 'window',
      config: { assigner: tumbling(1), aggregate: sum as AggregateFunction },
    },
    keyedProcess: { id: 'x', operator: 'keyedProcess', config: { processElement: () => {} } },
    windowJoin: { id: 'x', operator: 'windowJoin', config: { assigner: tumbling(1), join: () => 0 } },
    intervalJoin: {
      id: 'x',
      operator: 'intervalJoin',
      config: { lowerBound: 0, upperBound: 0, join: () => 0 },
    },
  }
  assert.deepEqual(Object.keys(configs).sort(), Object.keys(INPUTS).sort())
  for (const node of Object.values(configs)) assert.equal(typeof buildOperator(node).processBatch, 'function')
})
