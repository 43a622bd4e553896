// The graph a pipeline builds up as its streams are derived. Nodes are referenced through shared
// NodeRef objects rather than id strings, so that `.named()` can rename a node after streams (and
// edges) already point at it; compile() turns everything into the engine's plain-data plan.
import { RiffleError } from '../core/errors.ts'
import type {
  OperatorConfigs,
  OperatorKind,
  PlanEdge,
  PlanNode,
  SinkSpec,
  SourceSpec,
} from '../engine/index.ts'

export interface NodeRef {
  id: string
}

/** One output of a node: its main output, or a side output (`tag`). */
export interface Output {
  ref: NodeRef
  tag?: string
}

interface BuiltNode {
  ref: NodeRef
  operator: OperatorKind
  config: object
}

interface BuiltEdge {
  from: NodeRef
  to: NodeRef
  tag?: string
  input?: number
}

const NODE_ID = /^[a-zA-Z0-9._:-]{1,200}$/

export class GraphBuilder {
  readonly nodes: BuiltNode[] = []
  readonly edges: BuiltEdge[] = []
  readonly sources = new Map<NodeRef, SourceSpec>()
  readonly sinks = new Map<NodeRef, SinkSpec>()
  private seq = 0

  /** Adds a node fed by `inputs` (in input-index order for joins) and returns it. */
  add<K extends OperatorKind>(
    operator: K,
    config: OperatorConfigs[K],
    inputs: readonly Output[],
    options: { indexed?: boolean; label?: string } = {},
  ): NodeRef {
    const ref: NodeRef = { id: `${options.label ?? operator}-${++this.seq}` }
    this.nodes.push({ ref, operator, config })
    inputs.forEach((from, i) => {
      const edge: BuiltEdge = { from: from.ref, to: ref }
      if (from.tag !== undefined) edge.tag = from.tag
      if (options.indexed) edge.input = i
      this.edges.push(edge)
    })
    return ref
  }

  node(ref: NodeRef): BuiltNode {
    return this.nodes.find((n) => n.ref === ref)!
  }

  rename(ref: NodeRef, id: string): void {
    if (!NODE_ID.test(id))
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `invalid node name '${id}': use 1 to 200 of a-z A-Z 0-9 . _ : -`,
      )
    if (this.nodes.some((n) => n.ref !== ref && n.ref.id === id))
      throw new RiffleError('INVALID_ARGUMENT', `a node is already named '${id}'`)
    ref.id = id
  }

  plan(): { nodes: PlanNode[]; edges: PlanEdge[] } {
    const seen = new Set<string>()
    for (const n of this.nodes) {
      if (seen.has(n.ref.id)) throw new RiffleError('INVALID_ARGUMENT', `two nodes are named '${n.ref.id}'`)
      seen.add(n.ref.id)
    }
    return {
      nodes: this.nodes.map(
        (n) => ({ id: n.ref.id, operator: n.operator, config: { ...n.config } }) as PlanNode,
      ),
      edges: this.edges.map((e) => {
        const edge: PlanEdge = { from: e.from.id, to: e.to.id }
        if (e.tag !== undefined) edge.tag = e.tag
        if (e.input !== undefined) edge.input = e.input
        return edge
      }),
    }
  }
}
