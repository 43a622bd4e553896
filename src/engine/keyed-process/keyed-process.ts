// Flink's KeyedProcessFunction as an operator: per element, the user function gets the element's
// key, keyed state and a timer service scoped to that key, the watermark, and side outputs; timers
// call back onTimer with the timer's key current. Emitted records carry the current key and, by
// default, the element's timestamp (in onTimer: the timer's timestamp).
import type { Key, OutputTag, StreamRecord, TimeDomain } from '../model/record.ts'
import type { Operator, OperatorContext } from '../operator/operator.ts'
import type { KeyedState } from '../state/descriptors.ts'
import type { Timer, TimerService } from '../timers/timer-service.ts'

export interface KeyedProcessContext<O = unknown> {
  readonly key: Key | undefined
  /** The element's timestamp, or the firing timer's. */
  readonly timestamp: number
  readonly watermark: number
  readonly processingTime: number
  readonly state: KeyedState
  readonly timers: TimerService
  emit(value: O, timestamp?: number): void
  output(tag: string | OutputTag, value: unknown, timestamp?: number): void
}

export interface KeyedTimerContext<O = unknown> extends KeyedProcessContext<O> {
  readonly domain: TimeDomain
}

export interface KeyedProcessFunction<I = unknown, O = unknown> {
  processElement(value: I, ctx: KeyedProcessContext<O>): void
  onTimer?(timestamp: number, ctx: KeyedTimerContext<O>): void
}

export class KeyedProcessOperator<I, O> implements Operator<I, O> {
  private readonly fn: KeyedProcessFunction<I, O>
  private timestamp = 0
  private domain: TimeDomain = 'event'

  constructor(fn: KeyedProcessFunction<I, O>) {
    this.fn = fn
  }

  private context(ctx: OperatorContext<O>): KeyedTimerContext<O> {
    const self = this
    const record = <X>(value: X, timestamp?: number): StreamRecord<X> => {
      const r: StreamRecord<X> = { value, timestamp: timestamp ?? self.timestamp }
      if (ctx.currentKey !== undefined) r.key = ctx.currentKey
      return r
    }
    return {
      get key() {
        return ctx.currentKey
      },
      get timestamp() {
        return self.timestamp
      },
      get watermark() {
        return ctx.watermark
      },
      get processingTime() {
        return ctx.processingTime
      },
      get domain() {
        return self.domain
      },
      state: ctx.state,
      timers: ctx.timers,
      emit: (value, timestamp) => ctx.emit(record(value, timestamp)),
      output: (tag, value, timestamp) => ctx.output(tag, record(value, timestamp)),
    }
  }

  processBatch(batch: readonly StreamRecord<I>[], ctx: OperatorContext<O>): void {
    const pctx = this.context(ctx)
    for (const r of batch) {
      ctx.setCurrentKey(r.key)
      this.timestamp = r.timestamp
      this.fn.processElement(r.value, pctx)
    }
  }

  onTimer(timer: Timer, ctx: OperatorContext<O>): void {
    if (!this.fn.onTimer) return
    this.timestamp = timer.timestamp
    this.domain = timer.domain
    this.fn.onTimer(timer.timestamp, this.context(ctx))
  }
}
