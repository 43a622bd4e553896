// The OperatorContext an OperatorRunner hands its operator. A class, not an object literal: a
// literal with getters is created in dictionary mode, which turns every ctx.emit, ctx.state or
// ctx.setCurrentKey in an operator's per-record loop into a hash lookup. Function members are own
// closures (callable detached, as before); the getters live on the prototype.
import type { Clock } from '../../core/time.ts'
import type { Key, OutputTag, StreamRecord } from '../model/record.ts'
import type { KeyedStateBackend } from '../state/backend.ts'
import type { TimerService } from '../timers/timer-service.ts'
import type { WatermarkMerger } from '../watermarks/merger.ts'
import type { OperatorContext } from './operator.ts'

export interface ContextParts {
  clock: Clock
  merger: WatermarkMerger
  state: KeyedStateBackend
  timers: TimerService
  emit(record: StreamRecord): void
  output(tag: string | OutputTag, record: StreamRecord): void
  emitWatermark(watermark: number): void
  emitIdle(): void
}

export class RunnerContext implements OperatorContext {
  /** Set by the runner as each batch, watermark or timer comes in. */
  input = 0
  readonly state: KeyedStateBackend
  readonly timers: TimerService
  readonly emit: (record: StreamRecord) => void
  readonly output: (tag: string | OutputTag, record: StreamRecord) => void
  readonly emitWatermark: (watermark: number) => void
  readonly emitIdle: () => void
  readonly setCurrentKey: (key: Key | undefined) => void
  private readonly clock: Clock
  private readonly merger: WatermarkMerger

  constructor(parts: ContextParts) {
    this.clock = parts.clock
    this.merger = parts.merger
    this.state = parts.state
    this.timers = parts.timers
    this.emit = parts.emit
    this.output = parts.output
    this.emitWatermark = parts.emitWatermark
    this.emitIdle = parts.emitIdle
    const state = parts.state
    this.setCurrentKey = (key) => state.setCurrentKey(key)
  }

  get watermark(): number {
    return this.merger.current
  }

  get processingTime(): number {
    return this.clock.now()
  }

  get currentKey(): Key | undefined {
    return this.state.key
  }
}
