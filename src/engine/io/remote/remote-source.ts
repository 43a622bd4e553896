// A topic source in a worker thread: the LogHost reads raw batches from the partition logs, this
// reader keeps the positions, the read-ahead and the round robin, and decodes records here, with the
// embedded reader's own helpers, so both hand out the same batches. It reads `spec.assigned` only:
// the channel count must be known before the host has answered.
//
// Offsets the host has not told yet are placeholders: START (where the reader starts per startFrom)
// and EARLIEST (the log start, for partitions a checkpoint lacks). The host resolves them; they show
// in position() only if a checkpoint is taken before its answer to `source.open` arrived.
import { RiffleError } from '../../../core/errors.ts'
import { childLogger } from '../../../core/logging.ts'
import type { TopicSourceSpec } from '../../runtime/job.ts'
import type { Plain } from '../../serde/plain.ts'
import type { SourceBatch, SourceReader } from '../io.ts'
import { type ReadAhead, type TopicPosition, checkAssigned, readAhead, takeAhead } from '../topic-source.ts'
import type { Link } from './link.ts'
import type { SourceOpened } from './protocol.ts'

export const EARLIEST = -1
export const START = -2

const log = childLogger('pipeline')

export class RemoteSourceReader implements SourceReader {
  readonly partitions: number
  private readonly spec: TopicSourceSpec
  private readonly link: Link
  private readonly id: number
  private readonly assigned: number[]
  private offsets: number[]
  private readonly ahead: (ReadAhead | null)[]
  private next = 0
  /** The host's answer to `source.open`: start offsets and bounded ends. */
  private known: SourceOpened | null = null
  private readonly opened: Promise<void>
  /** A notification came while nobody waited: the next wait returns at once. */
  private hint = false
  private readonly waiters = new Set<() => void>()
  private readonly offNotify: () => void

  constructor(link: Link, spec: TopicSourceSpec) {
    const assigned = checkAssigned(spec)
    if (!assigned)
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `topic ${spec.topic}: a reader in a worker thread needs the partitions it reads (spec.assigned)`,
      )
    this.spec = spec
    this.link = link
    this.assigned = assigned.slice()
    this.partitions = assigned.length
    this.offsets = assigned.map(() => START)
    this.ahead = assigned.map(() => null)
    this.id = link.handle()
    this.offNotify = link.onNotify(this.id, () => this.notified())
    const { topic, partitions, startFrom, bounded, isolation } = spec
    // Sent now, as the embedded reader reads its start and end offsets when it is made.
    this.opened = link
      .request('source.open', {
        reader: this.id,
        spec: { topic, partitions, assigned: this.assigned, startFrom, bounded, isolation },
      })
      .then((known) => {
        this.known = known
        this.offsets = this.offsets.map((o, i) => this.resolved(i, o))
      })
    this.opened.catch(() => {}) // reported by the first poll
  }

  get finished(): boolean {
    const ends = this.known?.ends
    return !!ends && this.offsets.every((o, i) => o >= ends[i]!)
  }

  describe(): string {
    return `topic ${this.spec.topic}`
  }

  private resolved(i: number, offset: number): number {
    if (!this.known) return offset
    if (offset === START) return this.known.start[i]!
    return offset === EARLIEST ? this.known.logStart[i]! : offset
  }

  async poll(maxRecords: number): Promise<SourceBatch | null> {
    await this.opened
    const n = this.partitions
    const order = Array.from({ length: n }, (_, i) => (this.next + i) % n)
    // Channels up to the first one with read-ahead go to the host in one request, in turn order.
    const firstAhead = order.findIndex((c) => this.ahead[c] !== null)
    const ask = firstAhead < 0 ? order : order.slice(0, firstAhead)
    if (ask.length > 0) {
      this.hint = false
      const res = await this.link.request('source.fetch', {
        reader: this.id,
        channels: ask.map((c) => [c, this.offsets[c]!]),
        arm: firstAhead < 0,
      })
      for (const [c, from] of res.moved) {
        if (this.offsets[c]! >= 0)
          log.warn(
            { topic: this.spec.topic, partition: this.assigned[c], from: this.offsets[c], to: from },
            'records were deleted before the pipeline read them; continuing at the log start',
          )
        this.offsets[c] = from
      }
      if (res.hit) {
        const { channel, from, limit, bytes, aborted } = res.hit
        return this.take(channel, readAhead(Buffer.from(bytes), aborted, from, limit), maxRecords)
      }
    }
    return firstAhead < 0 ? null : this.take(order[firstAhead]!, this.ahead[order[firstAhead]!]!, maxRecords)
  }

  private take(channel: number, ahead: ReadAhead, maxRecords: number): SourceBatch {
    const { batch, offset, rest } = takeAhead(this.spec, ahead, maxRecords, channel, this.assigned[channel]!)
    this.offsets[channel] = offset
    this.ahead[channel] = rest
    this.next = (channel + 1) % this.partitions
    return batch
  }

  private notified(): void {
    if (this.waiters.size === 0) this.hint = true
    for (const wake of [...this.waiters]) wake()
  }

  waitForData(signal: AbortSignal): Promise<void> {
    if (this.hint || signal.aborted) {
      this.hint = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiters.delete(done)
        signal.removeEventListener('abort', done)
        resolve()
      }
      this.waiters.add(done)
      signal.addEventListener('abort', done)
    })
  }

  position(): Plain {
    const s: TopicPosition = { offsets: this.offsets.slice(), next: this.next }
    return s as unknown as Plain
  }

  restore(position: Plain): void {
    const s = position as unknown as TopicPosition
    if (s.offsets.length > this.partitions)
      throw new Error(
        `topic ${this.spec.topic}: the reader has ${this.partitions} partitions, the checkpoint has ${s.offsets.length}`,
      )
    // Partitions added since the checkpoint start at their beginning.
    this.offsets = this.assigned.map((_, i) => this.resolved(i, s.offsets[i] ?? EARLIEST))
    this.next = s.next % this.partitions
    this.ahead.fill(null)
  }

  async close(): Promise<void> {
    this.offNotify()
    for (const wake of [...this.waiters]) wake()
    try {
      await this.opened
      await this.link.request('source.close', { reader: this.id })
    } catch {
      // Nothing is lost: the host drops the reader with the port anyway.
    }
  }
}
