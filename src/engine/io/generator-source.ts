// A data generator: record i is generate(i), so a replay from a checkpointed index produces the same
// records. Optionally bounded (count) and rate-limited (records per second of processing time).
import type { Clock } from '../../core/time.ts'
import type { GeneratorSourceSpec } from '../runtime/job.ts'
import type { Plain } from '../serde/plain.ts'
import type { SourceBatch, SourceReader } from './io.ts'

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
    const end = Math.min(this.allowed(), this.nextIndex + maxRecords)
    if (end <= this.nextIndex) return null
    const records = []
    for (let i = this.nextIndex; i < end; i++) {
      const value = this.spec.generate(i)
      records.push({
        value,
        timestamp: this.spec.timestamp ? this.spec.timestamp(i, value) : this.clock.now(),
      })
    }
    this.nextIndex = end
    return { partition: 0, records, bad: [] }
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
