// Watermark strategies as plain data (so they can sit in a plan) and the generators built from them.
// A generator sees every element's timestamp and is asked for its watermark at the end of each batch:
// batch boundaries are the engine's "periodic emit", which keeps generation deterministic.
//
// boundedOutOfOrderness(b) emits maxTimestamp - b - 1, as Flink does: a watermark W promises that no
// element with timestamp ≤ W follows, and elements up to b ms behind the maximum are still expected.
import { RiffleError } from '../../core/errors.ts'
import { MIN_WATERMARK } from '../model/record.ts'

export interface WatermarkGenerator<T = unknown> {
  /**
   * True if onEvent only keeps the maximum timestamp (values ignored): the source may then call it
   * once per batch with the batch's maximum instead of once per element.
   */
  readonly tracksMaximum?: boolean
  onEvent(timestamp: number, value: T): void
  /** The watermark after the elements seen so far (MIN_WATERMARK for none yet). */
  currentWatermark(): number
  /** Serialisable state (serde/plain.ts), for checkpoints. */
  snapshot(): unknown
  restore(state: unknown): void
}

export type WatermarkStrategy =
  | { kind: 'boundedOutOfOrderness'; maxOutOfOrderness: number }
  | { kind: 'monotonous' }
  | { kind: 'custom'; create(): WatermarkGenerator }
  /** No generated watermarks: only those pushed from outside (and end of input). */
  | { kind: 'none' }

export const boundedOutOfOrderness = (maxOutOfOrderness: number): WatermarkStrategy => ({
  kind: 'boundedOutOfOrderness',
  maxOutOfOrderness,
})
export const monotonous = (): WatermarkStrategy => ({ kind: 'monotonous' })
export const customWatermarks = (create: () => WatermarkGenerator): WatermarkStrategy => ({
  kind: 'custom',
  create,
})
export const noWatermarks = (): WatermarkStrategy => ({ kind: 'none' })

class BoundedOutOfOrdernessGenerator implements WatermarkGenerator {
  readonly tracksMaximum = true
  private maxTimestamp = MIN_WATERMARK
  private readonly bound: number

  constructor(bound: number) {
    if (!(bound >= 0)) throw new RiffleError('INVALID_ARGUMENT', `out-of-orderness must be ≥ 0, got ${bound}`)
    this.bound = bound
  }

  onEvent(timestamp: number): void {
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp
  }

  currentWatermark(): number {
    return this.maxTimestamp - this.bound - 1
  }

  snapshot(): unknown {
    return this.maxTimestamp
  }

  restore(state: unknown): void {
    this.maxTimestamp = state as number
  }
}

class NoWatermarks implements WatermarkGenerator {
  readonly tracksMaximum = true
  onEvent(): void {}
  currentWatermark(): number {
    return MIN_WATERMARK
  }
  snapshot(): unknown {
    return null
  }
  restore(): void {}
}

export function createGenerator(strategy: WatermarkStrategy): WatermarkGenerator {
  switch (strategy.kind) {
    case 'boundedOutOfOrderness':
      return new BoundedOutOfOrdernessGenerator(strategy.maxOutOfOrderness)
    case 'monotonous':
      return new BoundedOutOfOrdernessGenerator(0)
    case 'custom':
      return strategy.create()
    case 'none':
      return new NoWatermarks()
    default: {
      const unknown: never = strategy
      throw new RiffleError('INVALID_ARGUMENT', `unknown watermark strategy ${JSON.stringify(unknown)}`)
    }
  }
}
