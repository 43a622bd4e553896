// Hosts one operator instance: owns its keyed state, timers and input-watermark merging, builds
// the context, and turns the operator's emissions into output batches. Everything that drives an
// operator — the test harness, the in-process graph, later a worker thread — goes through this one
// class, so event-time rules (timers fire before the watermark is forwarded; watermarks never go
// backwards; records emitted before a watermark are delivered before it) hold the same everywhere.
//
// Output is buffered per call and flushed at the end of it, or before a watermark or idle signal,
// so downstream gets batches while the order of records relative to watermarks is preserved.
import { RiffleError } from '../../core/errors.ts'
import type { Clock } from '../../core/time.ts'
import type { Chain } from '../basic/chain.ts'
import { MIN_WATERMARK, type StreamRecord, type ValueBatch, tagId } from '../model/record.ts'
import { type Plain, fromPlain, toPlain } from '../serde/plain.ts'
import { KeyedStateBackend } from '../state/backend.ts'
import { TimerQueues } from '../timers/timer-service.ts'
import { WatermarkMerger } from '../watermarks/merger.ts'
import { RunnerContext } from './context.ts'
import type { Operator } from './operator.ts'

export interface RunnerOutput {
  /** `batch` is the receiver's to keep: every batch is a fresh array. */
  records(batch: StreamRecord[]): void
  /**
   * False when `records` is done with the array once it returns (in-process runners downstream):
   * the runner then fills each batch by index into an array made with the last batch's length.
   * Default true: batches are pushed into a packed array, as sinks get them.
   */
  readonly keepsBatches?: boolean
  side(tag: string, batch: StreamRecord[]): void
  watermark(watermark: number): void
  idle(): void
}

export interface RunnerOptions {
  clock: Clock
  output: RunnerOutput
  /** Input channels whose watermarks are merged (edges, or a source's partitions). Default 1. */
  inputs?: number
  /** Stateless operators fused after this one (basic/chain.ts): what the operator emits runs through them. */
  chain?: Chain
}

/** Largest capacity a fresh output batch is made with (source batches are 1000 records by default). */
const MAX_CAPACITY = 16_384

interface RunnerSnapshot {
  inputs: Plain
  outWatermark: Plain
  state: Plain
  timers: Plain
  operator: Plain
}

export class OperatorRunner {
  readonly operator: Operator
  readonly state: KeyedStateBackend
  readonly timers = new TimerQueues()
  private readonly clock: Clock
  private readonly out: RunnerOutput
  private readonly merger: WatermarkMerger
  private outWatermark = MIN_WATERMARK
  private pending: StreamRecord[] = []
  /** Records in `pending` when it is filled by index (see collect). */
  private filled = 0
  private readonly byIndex: boolean
  private pendingSide = new Map<string, StreamRecord[]>()
  private closed = false
  private readonly ctx: RunnerContext

  constructor(operator: Operator, options: RunnerOptions) {
    this.operator = operator
    this.clock = options.clock
    this.out = options.output
    this.state = new KeyedStateBackend(options.clock)
    this.merger = new WatermarkMerger(options.inputs ?? 1)
    this.byIndex = options.output.keepsBatches === false
    // By index into an array made with the last batch's length (flush), not pushed into one grown
    // from nothing. Each batch is a fresh, young array: refilling one long-lived (old) array would
    // put every young record through the write barrier's remembered set, and keep the last batch's
    // records alive through every scavenge until overwritten.
    const collect = this.byIndex
      ? (record: StreamRecord): void => {
          this.pending[this.filled++] = record
        }
      : (record: StreamRecord): void => {
          this.pending.push(record)
        }
    this.ctx = new RunnerContext({
      clock: options.clock,
      merger: this.merger,
      state: this.state,
      timers: this.timers.scoped(this.state),
      emit: options.chain ? options.chain(collect) : collect,
      output: (tag, record) => {
        const id = tagId(tag)
        let list = this.pendingSide.get(id)
        if (list === undefined) this.pendingSide.set(id, (list = []))
        list.push(record)
      },
      emitWatermark: (watermark) => {
        if (!(watermark > this.outWatermark)) return
        this.flush()
        this.outWatermark = watermark
        this.out.watermark(watermark)
      },
      emitIdle: () => {
        this.flush()
        this.out.idle()
      },
    })
  }

  /** The combined input watermark: this operator's event time. */
  get watermark(): number {
    return this.merger.current
  }

  get inputs(): number {
    return this.merger.channels
  }

  private enter(input: number): void {
    if (this.closed) throw new RiffleError('CLOSED', 'operator is closed')
    if (!(Number.isInteger(input) && input >= 0 && input < this.merger.channels))
      throw new RiffleError('INVALID_ARGUMENT', `input ${input} out of range 0..${this.merger.channels - 1}`)
    this.ctx.input = input
    this.state.setCurrentKey(undefined)
  }

  processBatch(batch: readonly StreamRecord[], input = 0): void {
    this.enter(input)
    this.merger.activate(input)
    if (batch.length > 0) this.operator.processBatch(batch, this.ctx)
    this.flush()
  }

  /** A source batch made on demand (model/record.ts ValueBatch); only for operators with processValues. */
  processValues(batch: ValueBatch, input = 0): void {
    const process = this.operator.processValues
    if (process === undefined)
      throw new RiffleError('INVALID_ARGUMENT', 'this operator takes no value batches')
    this.enter(input)
    this.merger.activate(input)
    if (batch.length > 0) process.call(this.operator, batch, this.ctx)
    this.flush()
  }

  processWatermark(watermark: number, input = 0): void {
    this.enter(input)
    const combined = this.merger.advance(input, watermark)
    if (combined !== undefined) this.advanceEventTime(combined)
    this.flush()
  }

  /** The channel is idle: it no longer holds back event time. */
  markIdle(input = 0): void {
    this.enter(input)
    const combined = this.merger.markIdle(input)
    if (combined !== undefined) this.advanceEventTime(combined)
    if (this.merger.allIdle) this.ctx.emitIdle()
    this.flush()
  }

  /** Fires processing-time timers due at the clock's current time, in timestamp order. */
  advanceProcessingTime(): void {
    // The task calls this after every poll, for every runner: most have no timers at all.
    if (this.timers.size === 0 && !this.closed) return
    this.enter(0)
    const now = this.clock.now()
    for (let t = this.timers.pollDue('processing', now); t; t = this.timers.pollDue('processing', now)) {
      this.state.setCurrentKey(t.key)
      this.operator.onTimer?.(t, this.ctx)
    }
    this.state.setCurrentKey(undefined)
    this.flush()
  }

  private advanceEventTime(watermark: number): void {
    // Every batch's watermark passes every runner downstream, most of them without timers.
    if (this.timers.size > 0) {
      for (let t = this.timers.pollDue('event', watermark); t; t = this.timers.pollDue('event', watermark)) {
        this.state.setCurrentKey(t.key)
        this.operator.onTimer?.(t, this.ctx)
      }
      this.state.setCurrentKey(undefined)
    }
    if (this.operator.onWatermark) this.operator.onWatermark(watermark, this.ctx)
    else this.ctx.emitWatermark(watermark)
  }

  /** The channel showed activity, as a batch arriving on it does (for operators fused upstream). */
  activate(input = 0): void {
    this.merger.activate(input)
  }

  private flush(): void {
    if (this.byIndex) {
      const filled = this.filled
      if (filled > 0) {
        const batch = this.pending
        // Made with the last batch's length: a shorter batch cuts off the holes beyond it.
        if (batch.length !== filled) batch.length = filled
        this.filled = 0
        this.pending = new Array(Math.min(filled, MAX_CAPACITY))
        this.out.records(batch)
      }
    } else if (this.pending.length > 0) {
      const batch = this.pending
      this.pending = []
      this.out.records(batch)
    }
    if (this.pendingSide.size > 0) {
      const sides = this.pendingSide
      this.pendingSide = new Map()
      for (const [tag, batch] of sides) this.out.side(tag, batch)
    }
  }

  /** Everything needed to continue in a fresh runner around a fresh operator: plain JSON data. */
  snapshot(): Plain {
    // Books kept of held timers may keep part of the keyed state too (timers/timer-service.ts
    // TimerBooks): settled before either is snapshotted.
    this.timers.settle()
    const s: RunnerSnapshot = {
      inputs: this.merger.snapshot(),
      outWatermark: toPlain(this.outWatermark),
      state: this.state.snapshot(),
      timers: this.timers.snapshot(),
      operator: toPlain(this.operator.snapshot?.() ?? null),
    }
    return s as unknown as Plain
  }

  restore(snapshot: Plain): void {
    const s = snapshot as unknown as RunnerSnapshot
    this.merger.restore(s.inputs)
    this.outWatermark = fromPlain(s.outWatermark) as number
    this.state.restore(s.state)
    this.timers.restore(s.timers)
    this.operator.restore?.(fromPlain(s.operator))
  }

  close(): void {
    if (this.closed) return
    this.enter(0)
    this.operator.close?.(this.ctx)
    this.flush()
    this.closed = true
  }
}
