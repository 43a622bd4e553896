// Splitting a job into stages for scale-out across processes. In one process a whole plan runs in
// one LocalGraph; spread over several, a keyed operator must see every record of its keys wherever
// they were read, so each keyBy becomes an exchange through a topic of the cluster (Kafka Streams'
// repartition topics): the stage before it writes each record to the partition its key hashes to,
// the stage after it reads one partition per task. Cut at every keyBy, the plan falls apart into
// connected pieces, the stages; each runs as `parallelism` independent tasks, and task p reads
// partition p of every topic its stage reads. State lives only after a keyBy, so a task's state is
// exactly the state of its partition's keys and moves with the partition.
//
// Nothing here does I/O: the result is plain Jobs the runtime runs as it runs any other.
import { RiffleError } from '../../core/errors.ts'
import type { Plan, PlanEdge, PlanNode } from '../plan/plan.ts'
import type { Job, SinkSpec, SourceSpec, TopicSinkSpec, TopicSourceSpec } from './job.ts'

export interface Stage {
  /** The id of its first node (a source, or the keyBy it reads from). */
  id: string
  /** Number of tasks: task p reads partition p of each topic the stage reads. */
  parallelism: number
  /** The stage as a job; taskJob() makes the job of one task. */
  job: Job
}

export interface Exchange {
  topic: string
  partitions: number
  /** The stage that writes it and the one that reads it. */
  from: string
  to: string
}

export interface StagedJob {
  /** In dependency order: a stage comes after the stages it reads from. */
  stages: Stage[]
  exchanges: Exchange[]
}

export interface StageOptions {
  /** Partitions of a topic the job reads. */
  partitionsOf(topic: string): number
  /** Partitions of exchange topics, and so tasks of every stage after a keyBy. At least the
   * partitions of any source topic; default exactly that. */
  exchangePartitions?: number
}

/** Topic names allow [a-zA-Z0-9._-]; node ids may hold anything. */
function topicPart(s: string): string {
  return s.replace(/[^a-zA-Z0-9._-]/g, '_')
}

export function exchangeTopic(pipeline: string, keyBy: string): string {
  return `riffle-${pipeline}-${topicPart(keyBy)}-exchange`
}

export function stateTopic(pipeline: string, stage: string): string {
  return `riffle-${pipeline}-${topicPart(stage)}-state`
}

/** The node a keyBy's output becomes in the upstream stage: a terminal union the exchange sink writes. */
function exchangeSinkId(keyBy: string): string {
  return `${keyBy}.exchange`
}

export function splitStages(job: Job, o: StageOptions): StagedJob {
  const isolation = job.options.guarantee === 'exactly-once' ? 'read_committed' : 'read_uncommitted'
  let partitions = o.exchangePartitions ?? 1
  for (const s of Object.values(job.sources))
    if (s.kind === 'topic') partitions = Math.max(partitions, o.partitionsOf(s.topic))

  const keyBys = new Set(job.plan.nodes.filter((n) => n.operator === 'keyBy').map((n) => n.id))
  // Nodes after the cut: a keyBy stays upstream; downstream a source node of the same id reads the
  // exchange, so the edges out of it stay as they are.
  const nodes: PlanNode[] = []
  const edges: PlanEdge[] = [...job.plan.edges]
  for (const n of job.plan.nodes) {
    nodes.push(n)
    if (!keyBys.has(n.id)) continue
    nodes.push({ id: exchangeSinkId(n.id), operator: 'union', config: {} })
    edges.push({ from: n.id, to: exchangeSinkId(n.id) })
  }
  const downstreamId = (keyBy: string): string => `${keyBy}\u0000in`
  // Union-find over node ids; an edge out of a keyBy (other than to its exchange sink) joins the
  // downstream side of the cut instead.
  const parent = new Map<string, string>()
  const find = (x: string): string => {
    let r = x
    while (parent.get(r) !== r) r = parent.get(r)!
    parent.set(x, r)
    return r
  }
  const unite = (a: string, b: string): void => {
    parent.set(find(a), find(b))
  }
  for (const n of nodes) parent.set(n.id, n.id)
  for (const k of keyBys) parent.set(downstreamId(k), downstreamId(k))
  const side = (e: PlanEdge): string =>
    keyBys.has(e.from) && e.to !== exchangeSinkId(e.from) ? downstreamId(e.from) : e.from
  for (const e of edges) unite(side(e), e.to)

  // Group into stages, in the plan's node order (which the builder keeps topological).
  const groups = new Map<string, { upstream: PlanNode[]; reads: string[] }>()
  const groupOf = (root: string): { upstream: PlanNode[]; reads: string[] } => {
    let g = groups.get(root)
    if (!g) groups.set(root, (g = { upstream: [], reads: [] }))
    return g
  }
  for (const n of nodes) {
    if (keyBys.has(n.id)) {
      const down = find(downstreamId(n.id))
      if (down !== downstreamId(n.id) || edges.some((e) => side(e) === downstreamId(n.id)))
        groupOf(down).reads.push(n.id)
    }
    groupOf(find(n.id)).upstream.push(n)
  }

  const writerStage = new Map<string, string>()
  const stages: Stage[] = []
  const exchanges: Exchange[] = []
  const pending = [...groups.values()]
  const parallelismOf = (g: { upstream: PlanNode[]; reads: string[] }): number => {
    if (g.reads.length > 0) return partitions
    let n = 1
    for (const node of g.upstream) {
      const s = job.sources[node.id]
      if (s?.kind === 'topic') n = Math.max(n, o.partitionsOf(s.topic))
    }
    return n
  }
  const parallelismOfStage = new Map<string, number>()
  // Stages in dependency order: a stage is ready once every keyBy it reads has its writer placed.
  while (pending.length > 0) {
    const i = pending.findIndex((g) => g.reads.every((k) => writerStage.has(k)))
    if (i < 0) throw new RiffleError('INVALID_ARGUMENT', `pipeline '${job.name}' has a cycle through keyBy`)
    const g = pending.splice(i, 1)[0]!
    const stageNodes: PlanNode[] = []
    const sources: Record<string, SourceSpec> = {}
    const sinks: Record<string, SinkSpec> = {}
    for (const k of g.reads) {
      stageNodes.push({ id: k, operator: 'source', config: {} })
      const writers = parallelismOfStage.get(writerStage.get(k)!)!
      const spec: TopicSourceSpec = {
        kind: 'topic',
        topic: exchangeTopic(job.name, k),
        format: 'bytes',
        startFrom: 'earliest',
        bounded: false,
        isolation,
        partitions,
        exchange: { writers },
      }
      sources[k] = spec
    }
    for (const n of g.upstream) {
      stageNodes.push(n)
      if (n.id in job.sources) sources[n.id] = job.sources[n.id]!
      if (n.id in job.sinks) sinks[n.id] = job.sinks[n.id]!
    }
    const ids = new Set(stageNodes.map((n) => n.id))
    const id = stageNodes[0]!.id
    const parallelism = parallelismOf(g)
    parallelismOfStage.set(id, parallelism)
    for (const n of g.upstream) {
      if (n.operator !== 'keyBy') continue
      writerStage.set(n.id, id)
      // keyBy labels each record with its partition of the exchange topic; the sink routes on it.
      stageNodes[stageNodes.indexOf(n)] = { ...n, config: { ...n.config, partitions } }
      const spec: TopicSinkSpec = {
        kind: 'topic',
        topic: exchangeTopic(job.name, n.id),
        format: 'bytes',
        keyFormat: 'bytes',
        partitions,
        exchange: { writer: 0 },
      }
      sinks[exchangeSinkId(n.id)] = spec
    }
    const stageEdges = edges.filter((e) => ids.has(e.to) && (ids.has(e.from) || g.reads.includes(e.from)))
    const plan: Plan = { nodes: stageNodes, edges: stageEdges }
    stages.push({ id, parallelism, job: { ...job, plan, sources, sinks } })
  }
  for (const s of stages)
    for (const [k, spec] of Object.entries(s.job.sources))
      if (spec.kind === 'topic' && spec.exchange)
        exchanges.push({ topic: spec.topic, partitions, from: writerStage.get(k)!, to: s.id })
  return { stages, exchanges }
}

/** A source that never has anything: task p of a stage whose input has no partition p. */
const NOTHING: SourceSpec = { kind: 'generator', generate: () => null, count: 0 }

/**
 * The job of task `task` of a stage: each topic source reads partition `task` (or nothing, if its
 * topic has fewer partitions), other sources (generators, files) are read by task 0 alone, and
 * exchange sinks write as writer `task`.
 */
export function taskJob(stage: Stage, task: number, partitionsOf: (topic: string) => number): Job {
  if (!(Number.isInteger(task) && task >= 0 && task < stage.parallelism))
    throw new RiffleError('INVALID_ARGUMENT', `stage ${stage.id} has no task ${task}`)
  const sources: Record<string, SourceSpec> = {}
  for (const [id, s] of Object.entries(stage.job.sources)) {
    if (s.kind !== 'topic') sources[id] = task === 0 ? s : NOTHING
    else if (s.exchange) sources[id] = { ...s, partition: task }
    else sources[id] = task < partitionsOf(s.topic) ? { ...s, partition: task } : NOTHING
  }
  const sinks: Record<string, SinkSpec> = {}
  for (const [id, s] of Object.entries(stage.job.sinks))
    sinks[id] = s.kind === 'topic' && s.exchange ? { ...s, exchange: { writer: task } } : s
  return { ...stage.job, sources, sinks }
}
