// Operator chaining: which nodes LocalGraph fuses, and that a fused chain produces exactly what the
// operators produce one by one (records as separate objects, no undefined fields, same batches, the
// terminal node's id at the sink), while watermarks, idleness, snapshots and restores still see
// every node.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { StreamRecord } from '../model/record.ts'
import { OperatorRunner } from '../operator/runner.ts'
import { partitionFor } from '../partitioning/partition.ts'
import { buildOperator } from '../plan/build.ts'
import { LocalGraph } from '../plan/local-graph.ts'
import type { Plan, PlanNode } from '../plan/plan.ts'
import { roundTrip } from '../serde/plain.ts'
import { PlanHarness } from '../testing/plan-harness.ts'
import { VirtualClock } from '../testing/virtual-clock.ts'
import { boundedOutOfOrderness } from '../watermarks/strategies.ts'
import { chainOf, chainable } from './chain.ts'

const r = (value: unknown, timestamp: number, key?: string): StreamRecord =>
  key === undefined ? { value, timestamp } : { value, timestamp, key }

const stateless: PlanNode[] = [
  { id: 'words', operator: 'flatMap', config: { flatMap: (line) => String(line).split(' ') } },
  { id: 'long', operator: 'filter', config: { filter: (w) => String(w).length > 3 } },
  { id: 'upper', operator: 'map', config: { map: (w) => String(w).toUpperCase() } },
  { id: 'key', operator: 'keyBy', config: { key: (w) => String(w)[0]!, partitions: 3 } },
  { id: 'out', operator: 'union', config: {} },
]

/** The same nodes as separate runners, each feeding the next: the unfused reference. */
function unfused(nodes: readonly PlanNode[], input: readonly StreamRecord[]): StreamRecord[][] {
  let batches: StreamRecord[][] = [input.slice()]
  for (const node of nodes) {
    const next: StreamRecord[][] = []
    const runner = new OperatorRunner(buildOperator(node), {
      clock: new VirtualClock(),
      output: { records: (b) => next.push(b), side: () => {}, watermark: () => {}, idle: () => {} },
    })
    for (const b of batches) runner.processBatch(b)
    batches = next
  }
  return batches
}

const input = [r('the quick brown fox', 5), r('jumps over the lazy dog', 7, 'k'), r('a b c', 9)]

test('a fused chain emits exactly what the operators emit one by one', () => {
  const emitted: StreamRecord[] = []
  const emit = chainOf(stateless)((x) => emitted.push(x))
  for (const x of input) emit(x)
  const expected = unfused(stateless, input).flat()
  assert.deepStrictEqual(emitted, expected)
  assert.deepStrictEqual(
    emitted,
    ['QUICK', 'BROWN', 'JUMPS', 'OVER', 'LAZY'].map((w, i) => ({
      value: w,
      timestamp: i < 2 ? 5 : 7,
      key: w[0]!,
      partition: partitionFor(w[0]!, 3),
    })),
  )
  // Every record is its own object (the steps' temporary records never leave the chain).
  assert.equal(new Set(emitted).size, emitted.length)
  // Without a step that makes records, the chain passes the records it got.
  const passed: StreamRecord[] = []
  const filterOnly = chainOf([stateless[1]!, stateless[4]!])((x) => passed.push(x))
  const words = [r('tiny', 1), r('no', 2), r('longer', 3, 'k')]
  for (const x of words) filterOnly(x)
  assert.equal(passed[0], words[0])
  assert.equal(passed[1], words[2])
  assert.deepStrictEqual(passed, unfused([stateless[1]!, stateless[4]!], words).flat())
  assert.deepStrictEqual(stateless.map(chainable), [true, true, true, true, true])
})

test('every shape of chain (fresh last step, copy after a filter, keyBy then filter) matches unfused', () => {
  const [words, long, upper, key, out] = stateless as [PlanNode, PlanNode, PlanNode, PlanNode, PlanNode]
  const key1: PlanNode = { id: 'key1', operator: 'keyBy', config: { key: (w) => String(w).length } }
  const shapes: PlanNode[][] = [
    [upper],
    [words, upper],
    [upper, long],
    [words, long],
    [key, long],
    [words, key, long, out],
    [long, upper, long, key],
    [out, out],
    [upper, long, out],
    [key1, long],
    [words, key1],
  ]
  const words2 = [r('alpha beta gamma', 1), r('delta', 2, 'k'), r('no', 3)]
  for (const shape of shapes) {
    const got: StreamRecord[] = []
    const emit = chainOf(shape)((x) => got.push(x))
    const source = shape[0] === words ? words2 : words2.map((x) => ({ ...x }))
    for (const x of source) emit(x)
    assert.deepStrictEqual(got, unfused(shape, source).flat(), shape.map((n) => n.id).join(' → '))
    if (shape.some((n) => n.operator !== 'filter' && n.operator !== 'union'))
      assert.equal(new Set([...got, ...source]).size, got.length + source.length)
  }
})

function plan(): Plan {
  return {
    nodes: [
      { id: 'src', operator: 'source', config: { watermarks: boundedOutOfOrderness(0) } },
      ...stateless,
      // Fan-out after 'out': neither consumer is fused, 'out' still is (into 'src').
      { id: 'first', operator: 'map', config: { map: (w) => `1:${w}` } },
      { id: 'second', operator: 'filter', config: { filter: (w) => String(w) < 'M' } },
    ],
    edges: [
      { from: 'src', to: 'words' },
      { from: 'words', to: 'long' },
      { from: 'long', to: 'upper' },
      { from: 'upper', to: 'key' },
      { from: 'key', to: 'out' },
      { from: 'out', to: 'first' },
      { from: 'out', to: 'second' },
    ],
  }
}

test('in a graph: same batches per node as unfused, and watermarks, idleness and snapshots per node', () => {
  const h = new PlanHarness(plan())
  h.push('src', input.slice(0, 2)).push('src', input.slice(2))
  const keyed = unfused(stateless, input.slice(0, 2)).flat()
  assert.deepStrictEqual(
    h.records('first'),
    keyed.map((x) => ({ ...x, value: `1:${x.value}` })),
  )
  assert.deepStrictEqual(
    h.records('second'),
    keyed.filter((x) => String(x.value) < 'M'),
  )
  // Watermarks travel node by node: the fused nodes' runners hold them too.
  assert.deepStrictEqual(h.watermarks('first'), [6, 8])
  assert.equal(h.graph.runner('upper').watermark, 8)
  h.idle('src', 0)
  assert.deepStrictEqual(
    h.take().filter((e) => e.kind === 'idle'),
    [
      { kind: 'idle', node: 'first' },
      { kind: 'idle', node: 'second' },
    ],
  )
  // After idleness, records reach the fused nodes again (active, as without fusion), watermark 19.
  h.push('src', [r('alpha', 20)])
  const snapshot = h.snapshot()
  assert.deepStrictEqual(Object.keys(snapshot.graph as object).sort(), [
    'first',
    'key',
    'long',
    'out',
    'second',
    'src',
    'upper',
    'words',
  ])
  for (const id of ['words', 'long', 'upper', 'key', 'out'])
    assert.deepStrictEqual((roundTrip(snapshot.graph) as Record<string, { inputs: unknown }>)[id]!.inputs, {
      watermarks: [19],
      idle: [false],
      combined: 19,
    })
  const restored = new PlanHarness(plan()).restore(snapshot)
  restored.push('src', [r('zebra crossing', 30)]).finish()
  assert.deepStrictEqual(restored.values('first'), ['1:ZEBRA', '1:CROSSING'])
  assert.deepStrictEqual(restored.watermarks('second'), [29, Number.POSITIVE_INFINITY])
})

test('a batch the sink keeps is never refilled by later batches', () => {
  const kept: StreamRecord[][] = []
  const graph = new LocalGraph(
    {
      nodes: [
        { id: 'src', operator: 'source', config: {} },
        { id: 'double', operator: 'map', config: { map: (v) => Number(v) * 2 } },
      ],
      edges: [{ from: 'src', to: 'double' }],
    },
    { clock: new VirtualClock(), sink: (o) => o.kind === 'records' && kept.push(o.records) },
  )
  graph.push('src', [r(1, 1), r(2, 2)])
  graph.push('src', [r(3, 3)])
  assert.deepStrictEqual(
    kept.map((b) => b.map((x) => x.value)),
    [[2, 4], [6]],
  )
})

test('one-partition keyBy in a chain: partition 0 for strings and numbers, non-keys refused as unfused', () => {
  const node: PlanNode = { id: 'k', operator: 'keyBy', config: { key: (v) => v as never } }
  for (const shape of [[node], [node, stateless[1]!]]) {
    const got: StreamRecord[] = []
    const emit = chainOf(shape)((x) => got.push(x))
    const records = [r('abcd', 1), r(12345, 2), r([1, 'xy'], 3)]
    for (const x of records) emit(x)
    assert.deepStrictEqual(got, unfused(shape, records).flat())
    assert.deepStrictEqual(
      got.map((x) => [x.key, x.partition]),
      [
        ['abcd', 0],
        [12345, 0],
        [[1, 'xy'], 0],
      ],
    )
    assert.throws(() => emit(r(Number.NaN, 4)))
    assert.throws(() => unfused(shape, [r(Number.NaN, 4)]))
  }
})

test('chained functions are called as methods of their config, as the operators call them', () => {
  const map = {
    suffix: '!',
    map(this: { suffix: string }, v: unknown) {
      return `${v}${this.suffix}`
    },
  }
  const filter = {
    min: 2,
    filter(this: { min: number }, v: unknown) {
      return String(v).length > this.min
    },
  }
  const nodes: PlanNode[] = [
    { id: 'm', operator: 'map', config: map },
    { id: 'f', operator: 'filter', config: filter },
  ]
  const got: StreamRecord[] = []
  const emit = chainOf(nodes)((x) => got.push(x))
  for (const x of [r('a', 1), r('abc', 2)]) emit(x)
  assert.deepStrictEqual(got, [{ value: 'abc!', timestamp: 2 }])
})
