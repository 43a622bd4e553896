// union: several inputs, one output. Records pass through; the runner merges the inputs' watermarks
// (the minimum), which is all the semantics a union has.
import type { StreamRecord } from '../model/record.ts'
import type { Operator, OperatorContext } from '../operator/operator.ts'

export type UnionConfig = Record<string, never>

export class UnionOperator<T> implements Operator<T, T> {
  processBatch(batch: readonly StreamRecord<T>[], ctx: OperatorContext<T>): void {
    for (const r of batch) ctx.emit(r)
  }
}
