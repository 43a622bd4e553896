// The one place a plan node becomes a runtime operator: an exhaustive switch over kinds, so a new
// kind in OperatorConfigs does not compile until it is handled here.
import { RiffleError } from '../../core/errors.ts'
import { KeyByOperator } from '../basic/key-by.ts'
import { FilterOperator, FlatMapOperator, MapOperator } from '../basic/map.ts'
import { ProcessOperator } from '../basic/process.ts'
import { UnionOperator } from '../basic/union.ts'
import { IntervalJoinOperator } from '../joins/interval-join.ts'
import { WindowJoinOperator } from '../joins/window-join.ts'
import { KeyedProcessOperator } from '../keyed-process/keyed-process.ts'
import type { Operator } from '../operator/operator.ts'
import { SourceOperator } from '../source/source.ts'
import { WindowOperator } from '../windowing/window-operator.ts'
import type { PlanNode } from './plan.ts'

export function buildOperator(node: PlanNode): Operator {
  switch (node.operator) {
    case 'source':
      return new SourceOperator(node.config)
    case 'map':
      return new MapOperator(node.config)
    case 'filter':
      return new FilterOperator(node.config)
    case 'flatMap':
      return new FlatMapOperator(node.config)
    case 'union':
      return new UnionOperator()
    case 'process':
      return new ProcessOperator(node.config)
    case 'keyBy':
      return new KeyByOperator(node.config)
    case 'window':
      return new WindowOperator(node.config)
    case 'keyedProcess':
      return new KeyedProcessOperator(node.config)
    case 'windowJoin':
      return new WindowJoinOperator(node.config)
    case 'intervalJoin':
      return new IntervalJoinOperator(node.config)
    default: {
      const unknown: never = node
      throw new RiffleError('INVALID_ARGUMENT', `unknown operator kind in ${JSON.stringify(unknown)}`)
    }
  }
}
