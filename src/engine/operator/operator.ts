// The operator contract, after Arroyo: one required method, processBatch, and optional hooks whose
// absence means the default behaviour (onWatermark: forward it; onTimer: nothing; snapshot: no
// operator state; close: nothing). Everything an operator may touch — keyed state, timers, outputs,
// the clocks — comes through the context, which the runner (operator/runner.ts) provides; operators
// therefore hold no I/O and can be driven identically by the test harness, an in-process graph or
// a worker thread.
import type { Key, OutputTag, StreamRecord, ValueBatch } from '../model/record.ts'
import type { KeyedState } from '../state/descriptors.ts'
import type { Timer, TimerService } from '../timers/timer-service.ts'

export interface OperatorContext<O = unknown> {
  /** Channel the current batch or watermark came in on: the edge index, or a source's partition. */
  readonly input: number
  /** The operator's current event time: the combined watermark of its inputs. */
  readonly watermark: number
  /** Processing time from the injected clock. */
  readonly processingTime: number
  readonly currentKey: Key | undefined
  /** Scopes `state` and `timers` to `key` (keyed operators call it per record). */
  setCurrentKey(key: Key | undefined): void
  readonly state: KeyedState
  readonly timers: TimerService
  emit(record: StreamRecord<O>): void
  /** Sends to a named side output. */
  output(tag: string | OutputTag, record: StreamRecord): void
  /** Ignored unless it advances this operator's output watermark. */
  emitWatermark(watermark: number): void
  /** Tells downstream this output is idle: leave it out of watermark minimums until it emits again. */
  emitIdle(): void
}

export interface Operator<I = unknown, O = unknown> {
  processBatch(batch: readonly StreamRecord<I>[], ctx: OperatorContext<O>): void
  /** Sources only: a batch of plain records made on demand (model/record.ts ValueBatch). */
  processValues?(batch: ValueBatch, ctx: OperatorContext<O>): void
  /** Event time advanced to `watermark` (timers up to it have fired). Default: forward it. */
  onWatermark?(watermark: number, ctx: OperatorContext<O>): void
  /** A due timer; the current key is already the timer's key. */
  onTimer?(timer: Timer, ctx: OperatorContext<O>): void
  /** Operator (non-keyed) state; any value serde/plain.ts can encode. Keyed state and timers are
   * snapshotted by the runner. */
  snapshot?(): unknown
  restore?(state: unknown): void
  close?(ctx: OperatorContext<O>): void
}
