// Drives one operator (through the same OperatorRunner production uses) over input the test writes
// out step by step: elements, per-input watermarks, idleness and a virtual processing-time clock.
// Every output — main records, side outputs, watermarks, idleness — is logged in order. snapshot()
// returns what a checkpoint would store, after a JSON round trip; restore() loads it into the
// harness's (fresh) operator, so a test can cut a run anywhere and check the continuation equals
// the uninterrupted run.
import type { Key, StreamRecord } from '../model/record.ts'
import { LATE_TAG } from '../model/record.ts'
import type { Operator } from '../operator/operator.ts'
import { OperatorRunner } from '../operator/runner.ts'
import { type Plain, roundTrip } from '../serde/plain.ts'
import { VirtualClock } from './virtual-clock.ts'

export type HarnessEvent =
  | { kind: 'record'; record: StreamRecord }
  | { kind: 'side'; tag: string; record: StreamRecord }
  | { kind: 'watermark'; watermark: number }
  | { kind: 'idle' }

export interface OperatorHarnessOptions {
  /** Number of inputs (2 for joins). Default 1. */
  inputs?: number
  /** Initial processing time. Default 0. */
  processingTime?: number
}

export interface HarnessSnapshot {
  processingTime: number
  runner: Plain
}

export function record<T>(value: T, timestamp: number, key?: Key): StreamRecord<T> {
  const r: StreamRecord<T> = { value, timestamp }
  if (key !== undefined) r.key = key
  return r
}

export class OperatorHarness<I = unknown, O = unknown> {
  readonly clock: VirtualClock
  readonly runner: OperatorRunner
  private readonly log: HarnessEvent[] = []
  private taken = 0

  constructor(operator: Operator<I, O>, options: OperatorHarnessOptions = {}) {
    this.clock = new VirtualClock(options.processingTime ?? 0)
    this.runner = new OperatorRunner(operator as Operator, {
      clock: this.clock,
      inputs: options.inputs ?? 1,
      output: {
        records: (batch) => {
          for (const record of batch) this.log.push({ kind: 'record', record })
        },
        side: (tag, batch) => {
          for (const record of batch) this.log.push({ kind: 'side', tag, record })
        },
        watermark: (watermark) => this.log.push({ kind: 'watermark', watermark }),
        idle: () => this.log.push({ kind: 'idle' }),
      },
    })
  }

  element(value: I, timestamp: number, key?: Key, input = 0): this {
    return this.batch([record(value, timestamp, key)], input)
  }

  batch(records: readonly StreamRecord<I>[], input = 0): this {
    this.runner.processBatch(records, input)
    return this
  }

  /** A watermark on one input, or on all inputs if none is given. */
  watermark(watermark: number, input?: number): this {
    if (input !== undefined) this.runner.processWatermark(watermark, input)
    else for (let i = 0; i < this.runner.inputs; i++) this.runner.processWatermark(watermark, i)
    return this
  }

  idle(input = 0): this {
    this.runner.markIdle(input)
    return this
  }

  /** Moves the virtual clock to `time` and fires due processing-time timers. */
  setProcessingTime(time: number): this {
    this.clock.set(time)
    this.runner.advanceProcessingTime()
    return this
  }

  /** End of input: the maximum watermark on every input. */
  finish(): this {
    return this.watermark(Number.POSITIVE_INFINITY)
  }

  close(): this {
    this.runner.close()
    return this
  }

  get events(): readonly HarnessEvent[] {
    return this.log
  }

  /** Events since the previous take(). */
  take(): HarnessEvent[] {
    const out = this.log.slice(this.taken)
    this.taken = this.log.length
    return out
  }

  records(): StreamRecord<O>[] {
    return this.log.flatMap((e) => (e.kind === 'record' ? [e.record as StreamRecord<O>] : []))
  }

  values(): O[] {
    return this.records().map((r) => r.value)
  }

  side(tag: string = LATE_TAG): StreamRecord[] {
    return this.log.flatMap((e) => (e.kind === 'side' && e.tag === tag ? [e.record] : []))
  }

  watermarks(): number[] {
    return this.log.flatMap((e) => (e.kind === 'watermark' ? [e.watermark] : []))
  }

  /** A checkpoint: plain JSON data, as it would come back from disk. */
  snapshot(): HarnessSnapshot {
    return roundTrip({ processingTime: this.clock.now(), runner: this.runner.snapshot() })
  }

  restore(snapshot: HarnessSnapshot): this {
    this.clock.set(snapshot.processingTime)
    this.runner.restore(snapshot.runner)
    return this
  }
}
