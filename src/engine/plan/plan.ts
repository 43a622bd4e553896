// A dataflow plan is plain data: nodes `{ id, operator: <kind>, config }` and edges between them.
// The pipeline API and SQL will compile to it; the runtime will split it into tasks. Configs hold
// specs (assigners, triggers, strategies as data) plus the user's functions, typed loosely here
// (`unknown`), since the typed surface is the API layer's job.
import type { KeyByConfig } from '../basic/key-by.ts'
import type { FilterConfig, FlatMapConfig, MapConfig } from '../basic/map.ts'
import type { ProcessConfig } from '../basic/process.ts'
import type { UnionConfig } from '../basic/union.ts'
import type { IntervalJoinConfig } from '../joins/interval-join.ts'
import type { WindowJoinConfig } from '../joins/window-join.ts'
import type { KeyedProcessFunction } from '../keyed-process/keyed-process.ts'
import type { SourceConfig } from '../source/source.ts'
import type { WindowConfig } from '../windowing/window-operator.ts'

/** Every operator kind and its config. Adding a kind here breaks buildOperator until it is handled. */
export interface OperatorConfigs {
  source: SourceConfig
  map: MapConfig
  filter: FilterConfig
  flatMap: FlatMapConfig
  union: UnionConfig
  process: ProcessConfig
  keyBy: KeyByConfig
  window: WindowConfig
  keyedProcess: KeyedProcessFunction
  windowJoin: WindowJoinConfig
  intervalJoin: IntervalJoinConfig
}

export type OperatorKind = keyof OperatorConfigs

export type PlanNode = {
  [K in OperatorKind]: { id: string; operator: K; config: OperatorConfigs[K] }
}[OperatorKind]

export interface PlanEdge {
  from: string
  to: string
  /** Carries this side output of `from` instead of its main output. */
  tag?: string
  /**
   * Input index at `to` (0 = left, 1 = right for joins). Default: the edge's position among the
   * edges into `to`.
   */
  input?: number
}

export interface Plan {
  nodes: PlanNode[]
  edges: PlanEdge[]
}

/** How many inputs each kind takes: a fixed number, or 'many' (union), or 'none' (source). */
export const INPUTS: { [K in OperatorKind]: number | 'many' | 'none' } = {
  source: 'none',
  map: 1,
  filter: 1,
  flatMap: 1,
  union: 'many',
  process: 1,
  keyBy: 1,
  window: 1,
  keyedProcess: 1,
  windowJoin: 2,
  intervalJoin: 2,
}
