import assert from 'node:assert/strict'
import { test } from 'node:test'
import { count, generator, pipeline, topic, tumbling } from '../../api/index.ts'
import { validatePlan } from '../plan/local-graph.ts'
import type { Job, TopicSinkSpec, TopicSourceSpec } from './job.ts'
import { type Stage, splitStages, taskJob } from './stages.ts'

const partitions: Record<string, number> = { clicks: 4, left: 2, right: 3, numbers: 3 }
const partitionsOf = (t: string): number => partitions[t] ?? 1

/** A stage as data that is easy to compare: nodes as `id:operator`, edges as `from>to`. */
function shape(s: Stage) {
  return {
    id: s.id,
    parallelism: s.parallelism,
    nodes: s.job.plan.nodes.map((n) => `${n.id}:${n.operator}`),
    edges: s.job.plan.edges.map((e) => `${e.from}>${e.to}`),
    sources: Object.fromEntries(
      Object.entries(s.job.sources).map(([id, x]) => [id, x.kind === 'topic' ? `${x.topic}` : x.kind]),
    ),
    sinks: Object.fromEntries(
      Object.entries(s.job.sinks).map(([id, x]) => [id, x.kind === 'topic' ? x.topic : x.kind]),
    ),
  }
}

test('a stateless pipeline is one stage with a task per source partition', () => {
  const p = pipeline('plain')
  p.from(topic<{ n: number }>('numbers'))
    .named('in')
    .map((v) => v.n)
    .named('double')
    .to(topic('out'))
  const job = p.compile()
  const staged = splitStages(job, { partitionsOf })
  assert.deepEqual(staged.exchanges, [])
  assert.equal(staged.stages.length, 1)
  const [s] = staged.stages
  assert.deepEqual(shape(s!), {
    id: 'in',
    parallelism: 3,
    nodes: job.plan.nodes.map((n) => `${n.id}:${n.operator}`),
    edges: job.plan.edges.map((e) => `${e.from}>${e.to}`),
    sources: { in: 'numbers' },
    sinks: { [Object.keys(job.sinks)[0]!]: 'out' },
  })
  // Task 2 reads partition 2 only.
  assert.equal((taskJob(s!, 2, partitionsOf).sources.in as TopicSourceSpec).partition, 2)
  assert.throws(() => taskJob(s!, 3, partitionsOf), /stage in has no task 3/)
})

test('a keyed window is cut at its keyBy: the exchange topic carries the keyed stream to the next stage', () => {
  const p = pipeline('pages')
  p.from(topic<{ page: string; ts: number }>('clicks'))
    .named('in')
    .filter((c) => c.page !== '/health')
    .named('visible')
    .keyBy((c) => c.page)
    .named('by-page')
    .window(tumbling('1m'))
    .aggregate(count())
    .named('counts')
    .to(topic('page-counts'))
  const job = p.compile()
  const sink = Object.keys(job.sinks)[0]!
  const { stages, exchanges } = splitStages(job, { partitionsOf })
  assert.deepEqual(exchanges, [
    { topic: 'riffle-pages-by-page-exchange', partitions: 4, from: 'in', to: 'by-page' },
  ])
  assert.deepEqual(stages.map(shape), [
    {
      id: 'in',
      parallelism: 4,
      nodes: ['in:source', 'visible:filter', 'by-page:keyBy', 'by-page.exchange:union'],
      edges: ['in>visible', 'visible>by-page', 'by-page>by-page.exchange'],
      sources: { in: 'clicks' },
      sinks: { 'by-page.exchange': 'riffle-pages-by-page-exchange' },
    },
    {
      id: 'by-page',
      parallelism: 4,
      nodes: ['by-page:source', 'counts:window', `${sink}:union`],
      edges: ['by-page>counts', `counts>${sink}`],
      sources: { 'by-page': 'riffle-pages-by-page-exchange' },
      sinks: { [sink]: 'page-counts' },
    },
  ])
  for (const s of stages) validatePlan(s.job.plan)
  // keyBy hashes into the exchange's partitions; each upstream task writes as itself.
  const up = taskJob(stages[0]!, 3, partitionsOf)
  const keyBy = up.plan.nodes.find((n) => n.id === 'by-page')!
  assert.equal(keyBy.operator === 'keyBy' && keyBy.config.partitions, 4)
  assert.deepEqual((up.sinks['by-page.exchange'] as TopicSinkSpec).exchange, { writer: 3 })
  // Downstream task 1 reads partition 1 of the exchange, whose 4 writers are its input channels.
  const down = taskJob(stages[1]!, 1, partitionsOf).sources['by-page'] as TopicSourceSpec
  assert.deepEqual(
    { partition: down.partition, exchange: down.exchange, isolation: down.isolation, from: down.startFrom },
    { partition: 1, exchange: { writers: 4 }, isolation: 'read_committed', from: 'earliest' },
  )
})

test('a join of two topics: each side is its own stage, co-partitioned exchanges meet in the third', () => {
  const p = pipeline('joined', { guarantee: 'at-least-once' })
  const left = p
    .from(topic<{ k: string; ts: number }>('left'))
    .named('l')
    .keyBy((v) => v.k)
    .named('lk')
  const right = p
    .from(topic<{ k: string; ts: number }>('right'))
    .named('r')
    .keyBy((v) => v.k)
    .named('rk')
  left
    .intervalJoin(right, { lower: '-1s', upper: '1s' }, (a, b) => [a, b])
    .named('pairs')
    .to(topic('pairs'))
  const job = p.compile()
  const { stages, exchanges } = splitStages(job, { partitionsOf })
  assert.deepEqual(
    stages.map((s) => [s.id, s.parallelism]),
    [
      ['l', 2],
      ['r', 3],
      ['lk', 3],
    ],
  )
  assert.deepEqual(exchanges, [
    { topic: 'riffle-joined-lk-exchange', partitions: 3, from: 'l', to: 'lk' },
    { topic: 'riffle-joined-rk-exchange', partitions: 3, from: 'r', to: 'lk' },
  ])
  const join = stages[2]!
  assert.deepEqual(join.job.plan.nodes.map((n) => `${n.id}:${n.operator}`).slice(0, 3), [
    'lk:source',
    'rk:source',
    'pairs:intervalJoin',
  ])
  const writers = (id: string) => (join.job.sources[id] as TopicSourceSpec).exchange?.writers
  assert.deepEqual([writers('lk'), writers('rk')], [2, 3])
  assert.equal((join.job.sources.lk as TopicSourceSpec).isolation, 'read_uncommitted')
  // The exchanges have as many partitions as the widest source topic, so every key lands on one of
  // the join's 3 tasks whichever side it came from.
  assert.equal((taskJob(stages[0]!, 1, partitionsOf).sources.l as TopicSourceSpec).partition, 1)
})

test('generators are read by task 0 alone; a task with no partition of a topic reads nothing', () => {
  const p = pipeline('mixed')
  const gen = p.from(generator((i) => ({ k: `g${i}` }), { count: 10 })).named('gen')
  p.from(topic<{ k: string }>('left'))
    .named('t')
    .union(gen)
    .named('both')
    .keyBy((v) => v.k)
    .named('k')
    .window(tumbling('1s'))
    .aggregate(count())
    .to(topic('out'))
  const job: Job = p.compile()
  const { stages } = splitStages(job, { partitionsOf, exchangePartitions: 5 })
  assert.deepEqual(
    stages.map((s) => [s.id, s.parallelism]),
    [
      ['gen', 2],
      ['k', 5],
    ],
  )
  const kinds = (task: number) =>
    Object.entries(taskJob(stages[0]!, task, partitionsOf).sources).map(([id, s]) =>
      s.kind === 'generator'
        ? `${id}:generator:${s.count}`
        : s.kind === 'topic'
          ? `${id}:topic:${s.partition}`
          : id,
    )
  assert.deepEqual(kinds(0), ['gen:generator:10', 't:topic:0'])
  assert.deepEqual(kinds(1), ['gen:generator:0', 't:topic:1'])
})
