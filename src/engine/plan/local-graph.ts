// Runs a whole plan inside one task, synchronously: one OperatorRunner per node, outputs delivered
// straight to the downstream runners along the edges (depth first, so order is deterministic).
// This is the in-process form the runtime will reuse for an operator chain inside a worker, and
// what the plan test harness drives. Output no edge consumes (terminal nodes, unconsumed side
// outputs) goes to the `sink` callback; watermarks and idleness of terminal nodes too.
//
// Chains of stateless operators (map, filter, flatMap, keyBy) that are the only consumer of their
// upstream's only output edge are fused into that upstream's runner (basic/chain.ts): records go
// through them inside its emit and leave as the last fused node's output. Their runners still exist
// and still pass watermarks and idleness along the chain, so snapshots, restores and runner(id)
// are as without fusion.
import { RiffleError } from '../../core/errors.ts'
import type { Clock } from '../../core/time.ts'
import { type Chain, chainOf, chainable } from '../basic/chain.ts'
import { MAX_WATERMARK, type StreamRecord, type ValueBatch } from '../model/record.ts'
import { OperatorRunner, type RunnerOutput } from '../operator/runner.ts'
import type { Plain } from '../serde/plain.ts'
import { SourceOperator } from '../source/source.ts'
import { buildOperator } from './build.ts'
import { INPUTS, type Plan, type PlanEdge, type PlanNode } from './plan.ts'

export type GraphOutput =
  | { kind: 'records'; node: string; tag?: string; records: StreamRecord[] }
  | { kind: 'watermark'; node: string; watermark: number }
  | { kind: 'idle'; node: string }

export interface LocalGraphOptions {
  clock: Clock
  sink(output: GraphOutput): void
}

interface Target {
  runner: OperatorRunner
  input: number
}

interface Vertex {
  node: PlanNode
  runner: OperatorRunner
  main: Target[]
  sides: Map<string, Target[]>
  all: Target[]
}

/** For each head of a fused chain, the chained nodes after it, in order (see the top of this file). */
function fusedChains(plan: Plan): Map<string, PlanNode[]> {
  const out = new Map<string, PlanEdge[]>()
  const into = new Map<string, PlanEdge[]>()
  for (const e of plan.edges) {
    out.set(e.from, [...(out.get(e.from) ?? []), e])
    into.set(e.to, [...(into.get(e.to) ?? []), e])
  }
  const nodes = new Map(plan.nodes.map((n) => [n.id, n]))
  /** The node fused after `id`, if any. */
  const fusedAfter = (id: string): PlanNode | undefined => {
    const edges = out.get(id)
    if (edges?.length !== 1 || edges[0]!.tag !== undefined) return undefined
    const next = nodes.get(edges[0]!.to)!
    return chainable(next) && into.get(next.id)!.length === 1 ? next : undefined
  }
  const chains = new Map<string, PlanNode[]>()
  for (const n of plan.nodes) {
    // Heads only: a node that is itself fused belongs to its upstream's chain.
    const up = into.get(n.id)
    if (up?.length === 1 && chainable(n) && fusedAfter(up[0]!.from) === n) continue
    const chain: PlanNode[] = []
    for (let next = fusedAfter(n.id); next !== undefined; next = fusedAfter(next.id)) chain.push(next)
    if (chain.length > 0) chains.set(n.id, chain)
  }
  return chains
}

function invalid(message: string): never {
  throw new RiffleError('INVALID_ARGUMENT', `invalid plan: ${message}`)
}

/** Node ids in topological order; throws on unknown ids, cycles and wrong input counts. */
export function validatePlan(plan: Plan): string[] {
  const nodes = new Map<string, PlanNode>()
  for (const n of plan.nodes) {
    if (nodes.has(n.id)) invalid(`duplicate node id '${n.id}'`)
    nodes.set(n.id, n)
  }
  const inputs = new Map<string, number[]>([...nodes.keys()].map((id) => [id, []]))
  for (const e of plan.edges) {
    if (!nodes.has(e.from)) invalid(`edge from unknown node '${e.from}'`)
    if (!nodes.has(e.to)) invalid(`edge to unknown node '${e.to}'`)
    const list = inputs.get(e.to)!
    list.push(e.input ?? list.length)
  }
  for (const [id, list] of inputs) {
    const want = INPUTS[nodes.get(id)!.operator]
    if (want === 'none' ? list.length !== 0 : want === 'many' ? list.length < 1 : list.length !== want)
      invalid(`node '${id}' (${nodes.get(id)!.operator}) has ${list.length} inputs`)
    if ([...list].sort((a, b) => a - b).some((x, i) => x !== i))
      invalid(`node '${id}' has input indices ${list.join(', ')}; they must be 0..${list.length - 1}`)
  }
  const indegree = new Map([...inputs].map(([id, list]) => [id, list.length]))
  const order = [...indegree].filter(([, d]) => d === 0).map(([id]) => id)
  for (let i = 0; i < order.length; i++)
    for (const e of plan.edges)
      if (e.from === order[i]) {
        const d = indegree.get(e.to)! - 1
        indegree.set(e.to, d)
        if (d === 0) order.push(e.to)
      }
  if (order.length !== nodes.size) invalid('it has a cycle')
  return order
}

export class LocalGraph {
  /** Node ids in topological order. */
  readonly order: string[]
  private readonly vertices = new Map<string, Vertex>()
  private ordered: OperatorRunner[] | undefined

  constructor(plan: Plan, options: LocalGraphOptions) {
    this.order = validatePlan(plan)
    const incoming = new Map<string, number>()
    for (const e of plan.edges) incoming.set(e.to, (incoming.get(e.to) ?? 0) + 1)
    const chains = fusedChains(plan)
    const consumed = new Set(plan.edges.filter((e) => e.tag === undefined).map((e) => e.from))
    for (const node of plan.nodes) {
      const operator = buildOperator(node)
      const vertex: Vertex = { node, runner: undefined!, main: [], sides: new Map(), all: [] }
      const id = node.id
      const chain = chains.get(id)
      // A chain's head emits the last fused node's records to that node's consumers, under its id.
      const lastId = chain === undefined ? id : chain[chain.length - 1]!.id
      let last: Vertex | undefined
      let members: Vertex[] | undefined
      const output: RunnerOutput = {
        records: (batch) => {
          last ??= this.vertices.get(lastId)!
          if (chain !== undefined) {
            members ??= chain.map((n) => this.vertices.get(n.id)!)
            // The fused runners would have seen this batch arrive.
            for (const m of members) m.runner.activate(0)
          }
          if (last.main.length === 0) options.sink({ kind: 'records', node: lastId, records: batch })
          for (const t of last.main) t.runner.processBatch(batch, t.input)
        },
        side: (tag, batch) => {
          const targets = vertex.sides.get(tag)
          if (!targets) options.sink({ kind: 'records', node: id, tag, records: batch })
          else for (const t of targets) t.runner.processBatch(batch, t.input)
        },
        watermark: (watermark) => {
          if (vertex.all.length === 0) options.sink({ kind: 'watermark', node: id, watermark })
          for (const t of vertex.all) t.runner.processWatermark(watermark, t.input)
        },
        idle: () => {
          if (vertex.all.length === 0) options.sink({ kind: 'idle', node: id })
          for (const t of vertex.all) t.runner.markIdle(t.input)
        },
        // Runners downstream are done with a batch when processBatch returns; sinks get packed ones.
        keepsBatches: !consumed.has(lastId),
      }
      const inputs = operator instanceof SourceOperator ? operator.partitions : (incoming.get(id) ?? 1)
      const fusedChain: Chain | undefined = chain && chainOf(chain)
      vertex.runner = new OperatorRunner(operator, {
        clock: options.clock,
        output,
        inputs,
        chain: fusedChain,
      })
      this.vertices.set(id, vertex)
    }
    const seen = new Map<string, number>()
    for (const e of plan.edges) {
      const to = this.vertices.get(e.to)!
      const position = seen.get(e.to) ?? 0
      seen.set(e.to, position + 1)
      const target: Target = { runner: to.runner, input: e.input ?? position }
      const from = this.vertices.get(e.from)!
      if (e.tag === undefined) from.main.push(target)
      else {
        const list = from.sides.get(e.tag) ?? []
        list.push(target)
        from.sides.set(e.tag, list)
      }
      from.all.push(target)
    }
  }

  private source(id: string): OperatorRunner {
    const v = this.vertices.get(id)
    if (v?.node.operator !== 'source')
      throw new RiffleError('INVALID_ARGUMENT', `'${id}' is not a source node`)
    return v.runner
  }

  runner(id: string): OperatorRunner {
    const v = this.vertices.get(id)
    if (!v) throw new RiffleError('INVALID_ARGUMENT', `no node '${id}'`)
    return v.runner
  }

  push(source: string, batch: readonly StreamRecord[], partition = 0): void {
    this.source(source).processBatch(batch, partition)
  }

  /** A batch of plain records made on demand (model/record.ts ValueBatch), into its partition's channel. */
  pushValues(source: string, batch: ValueBatch): void {
    this.source(source).processValues(batch, batch.partition)
  }

  /** A watermark from outside for one partition of a source, or for all of them. */
  watermark(source: string, watermark: number, partition?: number): void {
    const runner = this.source(source)
    if (partition !== undefined) runner.processWatermark(watermark, partition)
    else for (let p = 0; p < runner.inputs; p++) runner.processWatermark(watermark, p)
  }

  markIdle(source: string, partition: number): void {
    this.source(source).markIdle(partition)
  }

  /** Fires processing-time timers everywhere, upstream first. */
  advanceProcessingTime(): void {
    // After every poll: the runners in order without a map lookup each.
    const runners = (this.ordered ??= this.order.map((id) => this.vertices.get(id)!.runner))
    for (let i = 0; i < runners.length; i++) runners[i]!.advanceProcessingTime()
  }

  /** End of input: the maximum watermark into every source. */
  finish(): void {
    for (const v of this.vertices.values())
      if (v.node.operator === 'source') this.watermark(v.node.id, MAX_WATERMARK)
  }

  snapshot(): Plain {
    const out: { [id: string]: Plain } = {}
    for (const id of this.order) out[id] = this.vertices.get(id)!.runner.snapshot()
    return out
  }

  restore(snapshot: Plain): void {
    const s = snapshot as { [id: string]: Plain }
    for (const id of this.order) {
      if (!(id in s)) throw new RiffleError('INVALID_ARGUMENT', `snapshot has no state for node '${id}'`)
      this.vertices.get(id)!.runner.restore(s[id]!)
    }
  }

  close(): void {
    for (const id of this.order) this.vertices.get(id)!.runner.close()
  }
}
