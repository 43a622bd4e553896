// The LogHost's half of a worker's topic reader: the partition logs, the bounded ends captured when
// the worker opened it, and raw reads of [offset, limit) exactly as the embedded TopicSourceReader
// makes them. Positions and decoding live in the worker. A reader whose last fetch found nothing is
// "armed": the next append to one of its partitions sends one notification and disarms it, so a
// busy topic never queues more than one notification per reader.
import type { PartitionLog } from '../../../log/partition-log.ts'
import type { LogStore } from '../../../log/store.ts'
import { FETCH_BYTES, readableOffset, sourcePartitions } from '../topic-source.ts'
import {
  type ChannelFrom,
  type Fetched,
  type HostSourceSpec,
  type SourceOpened,
  transferable,
} from './protocol.ts'

export class HostReader {
  private readonly spec: HostSourceSpec
  private readonly logs: PartitionLog[]
  private readonly ends: number[] | null
  private armed = false
  private readonly offs: (() => void)[]

  constructor(store: LogStore, spec: HostSourceSpec, notify: () => void) {
    this.spec = spec
    this.logs = sourcePartitions(store, { kind: 'topic', format: 'bytes', ...spec })
    this.ends = spec.bounded ? this.logs.map((p) => this.readable(p)) : null
    const wake = (): void => {
      if (!this.armed) return
      this.armed = false
      notify()
    }
    this.offs = this.logs.map((p) => p.onAppend(wake))
  }

  private readable(p: PartitionLog): number {
    return readableOffset(p, this.spec.isolation)
  }

  opened(): SourceOpened {
    return {
      start: this.logs.map((p) => (this.spec.startFrom === 'earliest' ? p.logStartOffset : this.readable(p))),
      logStart: this.logs.map((p) => p.logStartOffset),
      ends: this.ends,
    }
  }

  /** The first of `channels` with batches to read from its offset; arms the reader first if asked. */
  async fetch(channels: readonly ChannelFrom[], arm: boolean): Promise<Fetched> {
    // Armed before looking, so an append while the reads are under way is not missed.
    if (arm) this.armed = true
    const moved: ChannelFrom[] = []
    for (const [channel, from] of channels) {
      const log = this.logs[channel]
      if (!log) throw new Error(`topic ${this.spec.topic}: no channel ${channel}`)
      let limit = this.readable(log)
      if (this.ends) limit = Math.min(limit, this.ends[channel]!)
      let start = from
      if (start < log.logStartOffset) {
        start = log.logStartOffset
        moved.push([channel, start])
      }
      if (start >= limit) continue
      const read = await log.read(start, FETCH_BYTES, limit)
      if (read.bytes.length === 0) continue
      const aborted = this.spec.isolation === 'read_committed' ? log.abortedTransactions(start, limit) : []
      this.armed = false
      return { moved, hit: { channel, from: start, limit, bytes: transferable(read.bytes), aborted } }
    }
    return { moved, hit: null }
  }

  close(): void {
    this.armed = false
    for (const off of this.offs) off()
  }
}
