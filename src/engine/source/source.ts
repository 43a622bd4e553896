// The entry operator of a pipeline: records arrive on one channel per source partition (ctx.input is
// the partition). It assigns event timestamps, runs one watermark generator per partition and merges
// their watermarks as the minimum (watermarks/merger.ts). With idleTimeout, a partition that has
// delivered nothing for that long (processing time) is left out of the minimum until it delivers
// again, so one silent partition does not stall event time; if all are idle the source tells
// downstream it is idle. Watermarks pushed from outside (end of input, tests) pass through.
import { RiffleError } from '../../core/errors.ts'
import { MIN_WATERMARK, type StreamRecord, type ValueBatch } from '../model/record.ts'
import type { Operator, OperatorContext } from '../operator/operator.ts'
import type { Plain } from '../serde/plain.ts'
import type { Timer } from '../timers/timer-service.ts'
import { WatermarkMerger } from '../watermarks/merger.ts'
import { type WatermarkGenerator, type WatermarkStrategy, createGenerator } from '../watermarks/strategies.ts'

export interface SourceConfig<T = unknown> {
  /** Number of input partitions (channels). Default 1. */
  partitions?: number
  /** Event time of a record. Default: the record's own timestamp (e.g. the Kafka record's). */
  timestamp?(value: T, record: StreamRecord<T>): number
  /** Default: none (only watermarks pushed from outside). */
  watermarks?: WatermarkStrategy
  /** Milliseconds of processing time after which a silent partition stops holding back event time. */
  idleTimeout?: number
}

const IDLE_CHECK = 'idle'

/** `r` with another timestamp (key and partition only when set, as readers make records). */
function withTimestamp<T>(r: StreamRecord<T>, timestamp: number): StreamRecord<T> {
  const out: StreamRecord<T> = { value: r.value, timestamp }
  if (r.key !== undefined) out.key = r.key
  if (r.partition !== undefined) out.partition = r.partition
  return out
}

interface SourceSnapshot {
  generators: unknown[]
  merger: Plain
  lastActive: number[] | null
  scheduled: number | null
}

export class SourceOperator<T> implements Operator<T, T> {
  private readonly config: SourceConfig<T>
  private readonly generators: WatermarkGenerator[]
  private readonly merger: WatermarkMerger
  private lastActive: number[] | null = null
  /** Processing time of the pending idleness check, if one is scheduled. */
  private scheduled: number | null = null
  /** processValues' running batch maximum (see there). */
  private readonly max = new Float64Array(1)

  constructor(config: SourceConfig<T>) {
    const partitions = config.partitions ?? 1
    if (!(Number.isInteger(partitions) && partitions >= 1))
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `source partitions must be a positive integer, got ${partitions}`,
      )
    if (config.idleTimeout !== undefined && !(config.idleTimeout > 0))
      throw new RiffleError('INVALID_ARGUMENT', `idleTimeout must be positive, got ${config.idleTimeout}`)
    this.config = config
    const strategy = config.watermarks ?? { kind: 'none' }
    this.generators = Array.from({ length: partitions }, () => createGenerator(strategy))
    this.merger = new WatermarkMerger(partitions)
  }

  get partitions(): number {
    return this.generators.length
  }

  processBatch(batch: readonly StreamRecord<T>[], ctx: OperatorContext<T>): void {
    const generator = this.generators[ctx.input]!
    // A method call (not extract.call): TurboFan can inline the extractor only at a direct call site.
    const config = this.config
    const extract = config.timestamp !== undefined
    const batchMax = generator.tracksMaximum === true
    // The batch maximum in a Float64Array cell, as in processValues (see there).
    const max = this.max
    max[0] = MIN_WATERMARK
    try {
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!
        const timestamp = extract ? config.timestamp!(r.value, r) : r.timestamp
        if (!batchMax) generator.onEvent(timestamp, r.value)
        else if (timestamp > max[0]!) max[0] = timestamp
        ctx.emit(timestamp === r.timestamp ? r : withTimestamp(r, timestamp))
      }
    } finally {
      if (batchMax) generator.onEvent(max[0]!, undefined)
    }
    this.afterBatch(generator, ctx)
  }

  /**
   * As processBatch over records made here from `batch`. The record is only passed on, so when
   * the reader, the extractor and a fused chain all inline into this loop, the compiler may keep
   * both the record and the value in registers (no allocation for a value the pipeline only reads).
   * The batch maximum lives in a Float64Array cell, not a local: a local read after the loop (or in
   * `finally`) is kept boxed, checked and re-tagged on every record; the cell also holds what the
   * records before a throwing one contributed.
   */
  processValues(batch: ValueBatch, ctx: OperatorContext<T>): void {
    const generator = this.generators[ctx.input]!
    // The extractor as a method of the config (its `this`), as processBatch calls it.
    const config = this.config
    const extract = config.timestamp !== undefined
    const n = batch.length
    if (generator.tracksMaximum !== true) {
      for (let i = 0; i < n; i++) {
        const value = batch.value(i) as T
        const r: StreamRecord<T> = { value, timestamp: batch.timestamp(i, value) }
        if (extract) r.timestamp = config.timestamp!(value, r)
        generator.onEvent(r.timestamp, value)
        ctx.emit(r)
      }
      this.afterBatch(generator, ctx)
      return
    }
    const max = this.max
    max[0] = MIN_WATERMARK
    try {
      for (let i = 0; i < n; i++) {
        const value = batch.value(i) as T
        const r: StreamRecord<T> = { value, timestamp: batch.timestamp(i, value) }
        if (extract) r.timestamp = config.timestamp!(value, r)
        if (r.timestamp > max[0]!) max[0] = r.timestamp
        ctx.emit(r)
      }
    } finally {
      generator.onEvent(max[0]!, undefined)
    }
    this.afterBatch(generator, ctx)
  }

  /** End of a batch: the partition's watermark, and its activity for idleness. */
  private afterBatch(generator: WatermarkGenerator, ctx: OperatorContext<T>): void {
    const p = ctx.input
    const advanced = this.merger.advance(p, generator.currentWatermark())
    if (advanced !== undefined) ctx.emitWatermark(advanced)
    const timeout = this.config.idleTimeout
    if (timeout !== undefined) {
      const now = ctx.processingTime
      this.lastActive ??= new Array<number>(this.partitions).fill(now)
      this.lastActive[p] = now
      if (this.scheduled === null) this.schedule(now + timeout, ctx)
    }
  }

  onTimer(timer: Timer, ctx: OperatorContext<T>): void {
    const timeout = this.config.idleTimeout
    if (timer.namespace !== IDLE_CHECK || timeout === undefined || this.lastActive === null) return
    this.scheduled = null
    const now = ctx.processingTime
    let nextCheck = Number.POSITIVE_INFINITY
    for (let p = 0; p < this.partitions; p++) {
      if (this.merger.isIdle(p)) continue
      const silentSince = this.lastActive[p]!
      if (now - silentSince >= timeout) {
        const advanced = this.merger.markIdle(p)
        if (advanced !== undefined) ctx.emitWatermark(advanced)
      } else nextCheck = Math.min(nextCheck, silentSince + timeout)
    }
    if (this.merger.allIdle) ctx.emitIdle()
    else if (nextCheck !== Number.POSITIVE_INFINITY) this.schedule(nextCheck, ctx)
  }

  private schedule(at: number, ctx: OperatorContext<T>): void {
    this.scheduled = at
    ctx.timers.registerProcessingTimeTimer(at, IDLE_CHECK)
  }

  snapshot(): unknown {
    const s: SourceSnapshot = {
      generators: this.generators.map((g) => g.snapshot()),
      merger: this.merger.snapshot(),
      lastActive: this.lastActive,
      scheduled: this.scheduled,
    }
    return s
  }

  restore(state: unknown): void {
    const s = state as SourceSnapshot
    s.generators.forEach((g, i) => this.generators[i]!.restore(g))
    this.merger.restore(s.merger)
    this.lastActive = s.lastActive
    this.scheduled = s.scheduled
  }
}
