// Combines the watermarks of several channels (a source's partitions, or an operator's input edges)
// into one, as Flink's StatusWatermarkValve does: the combined watermark is the minimum over active
// channels, an idle channel is left out of the minimum until it shows activity again, and the
// combined watermark never goes backwards (a channel that wakes up behind it holds nothing back; its
// late elements are late). When the last active channel goes idle, the combined watermark moves to
// the maximum over all channels: nothing is left that could still hold it back.
import { RiffleError } from '../../core/errors.ts'
import { MIN_WATERMARK } from '../model/record.ts'
import { type Plain, fromPlain, toPlain } from '../serde/plain.ts'

interface MergerSnapshot {
  watermarks: number[]
  idle: boolean[]
  combined: number
}

export class WatermarkMerger {
  private watermarks: number[]
  private idle: boolean[]
  private combined = MIN_WATERMARK

  constructor(channels: number) {
    this.watermarks = new Array<number>(channels).fill(MIN_WATERMARK)
    this.idle = new Array<boolean>(channels).fill(false)
  }

  get channels(): number {
    return this.watermarks.length
  }

  get current(): number {
    return this.combined
  }

  get allIdle(): boolean {
    return this.idle.length > 0 && this.idle.every(Boolean)
  }

  isIdle(channel: number): boolean {
    return this.idle[channel]!
  }

  watermarkOf(channel: number): number {
    return this.watermarks[channel]!
  }

  /** A channel's watermark; returns the new combined watermark if it advanced. */
  advance(channel: number, watermark: number): number | undefined {
    this.idle[channel] = false
    if (watermark > this.watermarks[channel]!) this.watermarks[channel] = watermark
    return this.recompute()
  }

  /** A channel showed activity (data); it counts in the minimum again. Never advances. */
  activate(channel: number): void {
    this.idle[channel] = false
  }

  /** A channel went idle; returns the new combined watermark if that advanced it. */
  markIdle(channel: number): number | undefined {
    if (this.idle[channel]) return undefined
    this.idle[channel] = true
    return this.recompute()
  }

  private recompute(): number | undefined {
    // One channel (most operators, one-partition sources; every batch): active or idle, its own.
    if (this.watermarks.length === 1) {
      const only = this.watermarks[0]!
      if (only <= this.combined) return undefined
      this.combined = only
      return only
    }
    let min = Number.POSITIVE_INFINITY
    let max = MIN_WATERMARK
    let active = 0
    for (let i = 0; i < this.watermarks.length; i++) {
      max = Math.max(max, this.watermarks[i]!)
      if (this.idle[i]) continue
      active++
      min = Math.min(min, this.watermarks[i]!)
    }
    const candidate = active > 0 ? min : max
    if (candidate <= this.combined) return undefined
    this.combined = candidate
    return candidate
  }

  snapshot(): Plain {
    return toPlain({ watermarks: this.watermarks, idle: this.idle, combined: this.combined })
  }

  restore(snapshot: Plain): void {
    const s = fromPlain(snapshot) as MergerSnapshot
    if (s.watermarks.length !== this.watermarks.length)
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `snapshot has ${s.watermarks.length} input channels, this operator has ${this.watermarks.length}`,
      )
    this.watermarks = s.watermarks
    this.idle = s.idle
    this.combined = s.combined
  }
}
