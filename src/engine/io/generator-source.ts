// A data generator: record i is generate(i), so a replay from a checkpointed index produces the same
// records. Optionally bounded (count) and rate-limited (records per second of processing time). The
// task reads it as value batches: a record is generated when the source operator asks for it.
import type { Clock } from '../../core/time.ts'
import type { StreamRecord } from '../model/record.ts'
import type { GeneratorSourceSpec } from '../runtime/job.ts'
import type { Plain } from '../serde/plain.ts'
import type { SourceBatch, SourceReader, ValueBatch } from './io.ts'

export class GeneratorSourceReader implements SourceReader {
  readonly partitions = 1
  private readonly spec: GeneratorSourceSpec
  private readonly clock: Clock
  private nextIndex = 0
  /** Rate limiting counts from here: (processing time, index) when the reader started or restored. */
  private origin: { time: number; index: number }

  constructor(spec: GeneratorSourceSpec, clock: Clock) {
    this.spec = spec
    this.clock = clock
    this.origin = { time: clock.now(), index: 0 }
  }

  get finished(): boolean {
    return this.spec.count !== undefined && this.nextIndex >= this.spec.count
  }

  describe(): string {
    return 'generator'
  }

  private allowed(): number {
    let limit = this.spec.count ?? Number.POSITIVE_INFINITY
    const rate = this.spec.ratePerSecond
    if (rate !== undefined)
      limit = Math.min(
        limit,
        this.origin.index + Math.floor(((this.clock.now() - this.origin.time) * rate) / 1000),
      )
    return limit
  }

  async poll(maxRecords: number): Promise<SourceBatch | null> {
    const b = this.next(maxRecords)
    if (b === null) return null
    const records: StreamRecord[] = new Array(b.length)
    for (let i = 0; i < b.length; i++) {
      const value = b.value(i)
      records[i] = { value, timestamp: b.timestamp(i, value) }
    }
    return { partition: 0, records, bad: [] }
  }

  async pollValues(maxRecords: number): Promise<ValueBatch | null> {
    return this.next(maxRecords)
  }

  private next(maxRecords: number): GeneratorBatch | null {
    const from = this.nextIndex
    const end = Math.min(this.allowed(), from + maxRecords)
    if (end <= from) return null
    this.nextIndex = end
    return new GeneratorBatch(this.spec, this.clock, from, end - from)
  }

  waitForData(signal: AbortSignal): Promise<void> {
    const rate = this.spec.ratePerSecond
    const wait = this.finished ? Number.POSITIVE_INFINITY : rate === undefined ? 0 : Math.ceil(1000 / rate)
    return new Promise((resolve) => {
      if (signal.aborted) return resolve()
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = Number.isFinite(wait) ? setTimeout(done, wait) : undefined
      signal.addEventListener('abort', done)
    })
  }

  position(): Plain {
    return { next: this.nextIndex }
  }

  restore(position: Plain): void {
    this.nextIndex = (position as { next: number }).next
    this.origin = { time: this.clock.now(), index: this.nextIndex }
  }

  async close(): Promise<void> {}
}

/** Records from..from+length-1, generated when the source operator asks for them. */
class GeneratorBatch implements ValueBatch {
  readonly partition = 0
  readonly length: number
  private readonly spec: GeneratorSourceSpec
  private readonly clock: Clock
  private readonly from: number

  constructor(spec: GeneratorSourceSpec, clock: Clock, from: number, length: number) {
    this.spec = spec
    this.clock = clock
    this.from = from
    this.length = length
  }

  value(i: number): unknown {
    return this.spec.generate(this.from + i)
  }

  timestamp(i: number, value: unknown): number {
    const spec = this.spec
    return spec.timestamp !== undefined ? spec.timestamp(this.from + i, value) : this.clock.now()
  }
}
