// process: a non-keyed per-element function with access to the element's time, the current
// watermark and side outputs (no keyed state or timers: those need a key, see keyed-process/).
import type { Key, OutputTag, StreamRecord } from '../model/record.ts'
import type { Operator, OperatorContext } from '../operator/operator.ts'

export interface ProcessContext<O = unknown> {
  readonly timestamp: number
  readonly key: Key | undefined
  readonly watermark: number
  readonly processingTime: number
  /** Emits with the element's timestamp and key unless a timestamp is given. */
  emit(value: O, timestamp?: number): void
  output(tag: string | OutputTag, value: unknown, timestamp?: number): void
}

export interface ProcessConfig<I = unknown, O = unknown> {
  processElement(value: I, ctx: ProcessContext<O>): void
}

export class ProcessOperator<I, O> implements Operator<I, O> {
  private readonly config: ProcessConfig<I, O>
  constructor(config: ProcessConfig<I, O>) {
    this.config = config
  }

  processBatch(batch: readonly StreamRecord<I>[], ctx: OperatorContext<O>): void {
    let current: StreamRecord<I> = batch[0]!
    const record = <X>(value: X, timestamp?: number): StreamRecord<X> => {
      const r: StreamRecord<X> = { value, timestamp: timestamp ?? current.timestamp }
      if (current.key !== undefined) r.key = current.key
      return r
    }
    const pctx: ProcessContext<O> = {
      get timestamp() {
        return current.timestamp
      },
      get key() {
        return current.key
      },
      get watermark() {
        return ctx.watermark
      },
      get processingTime() {
        return ctx.processingTime
      },
      emit: (value, timestamp) => ctx.emit(record(value, timestamp)),
      output: (tag, value, timestamp) => ctx.output(tag, record(value, timestamp)),
    }
    for (const r of batch) {
      current = r
      this.config.processElement(r.value, pctx)
    }
  }
}
