// Reads a topic of the embedded log straight from its PartitionLogs (no sockets, no fetch protocol):
// one input channel per partition, positions as offsets. read_committed (the default) reads only
// below the last stable offset and drops records of aborted transactions, exactly as a Kafka
// consumer does with a fetch response's aborted-transaction list; control batches are never data.
// A bounded source stops at the end offsets it saw when it was opened. With `assigned` it reads only
// those partitions, channel i being partition assigned[i]. The helpers below are shared with the
// worker-thread reader (remote/), which gets the same raw batches over a MessagePort.
import { RiffleError } from '../../core/errors.ts'
import { childLogger } from '../../core/logging.ts'
import type { PartitionLog } from '../../log/partition-log.ts'
import type { LogStore } from '../../log/store.ts'
import { CONTROL_ABORT, controlType } from '../../protocol/records/control.ts'
import { checkBatch, endOffsetOf } from '../../protocol/records/header.ts'
import * as L from '../../protocol/records/layout.ts'
import { type KafkaRecord, decodeRecordBatch } from '../../protocol/records/record.ts'
import type { StreamRecord } from '../model/record.ts'
import type { Isolation, TopicSourceSpec } from '../runtime/job.ts'
import type { Plain } from '../serde/plain.ts'
import { decodeValue, isRecordFormatError } from './formats.ts'
import type { BadRecord, SourceBatch, SourceReader } from './io.ts'

export const FETCH_BYTES = 1024 * 1024
const log = childLogger('pipeline')

export interface Decoded {
  offset: number
  record: KafkaRecord
}

/** The records of whole stored batches a read_committed (or read_uncommitted) consumer would see. */
export function visibleRecords(
  bytes: Buffer,
  aborted: ReadonlyArray<{ producerId: bigint; firstOffset: number }>,
): Decoded[] {
  const out: Decoded[] = []
  const pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset)
  const open = new Set<bigint>()
  let next = 0
  for (let pos = 0; pos < bytes.length; ) {
    const size = checkBatch(bytes, pos)
    if (typeof size !== 'number') throw new Error(`corrupt batch at byte ${pos} of a read: ${size}`)
    const base = Number(bytes.readBigInt64BE(pos + L.BASE_OFFSET))
    const last = base + bytes.readInt32BE(pos + L.LAST_OFFSET_DELTA)
    const attributes = bytes.readInt16BE(pos + L.ATTRIBUTES)
    const producerId = bytes.readBigInt64BE(pos + L.PRODUCER_ID)
    while (next < pending.length && pending[next]!.firstOffset <= last) open.add(pending[next++]!.producerId)
    if ((attributes & L.ATTR_CONTROL) !== 0) {
      const marker = decodeRecordBatch(bytes, pos).records[0]
      if (controlType(marker?.key ?? null) === CONTROL_ABORT) open.delete(producerId)
    } else if (!((attributes & L.ATTR_TRANSACTIONAL) !== 0 && open.has(producerId))) {
      for (const record of decodeRecordBatch(bytes, pos).records)
        out.push({ offset: Number(record.offset), record })
    }
    pos += size
  }
  return out
}

export interface ReadAhead {
  records: Decoded[]
  /** The offset after the last batch the read covered. */
  end: number
}

export interface TopicPosition {
  offsets: number[]
  next: number
}

/** The offset readers of `isolation` may read up to. */
export function readableOffset(p: PartitionLog, isolation: Isolation): number {
  return isolation === 'read_committed' ? p.lastStableOffset : p.highWatermark
}

/** `spec.assigned`, checked (against the topic's partition count when given); undefined: all. */
export function checkAssigned(spec: TopicSourceSpec, count?: number): number[] | undefined {
  const assigned = spec.assigned
  if (assigned === undefined) return undefined
  const bad = assigned.find(
    (p, i) =>
      !Number.isInteger(p) || p < 0 || (count !== undefined && p >= count) || assigned.indexOf(p) !== i,
  )
  if (assigned.length === 0 || bad !== undefined)
    throw new RiffleError(
      'INVALID_ARGUMENT',
      `topic ${spec.topic}: assigned partitions must be distinct partitions of the topic` +
        `${count === undefined ? '' : ` (0 to ${count - 1})`}, got [${assigned.join(', ')}]`,
    )
  return assigned
}

/** The partitions a reader of `spec` reads, in channel order; creates the topic when missing. */
export function sourcePartitions(store: LogStore, spec: TopicSourceSpec): PartitionLog[] {
  const topic = store.topic(spec.topic) ?? store.createTopic(spec.topic, spec.partitions ?? 1)
  const assigned = checkAssigned(spec, topic.partitions.length)
  return assigned ? assigned.map((p) => topic.partitions[p]!) : topic.partitions.slice()
}

/** The records of a read of [from, limit) a consumer may see, and the offset after what it covered. */
export function readAhead(
  bytes: Buffer,
  aborted: ReadonlyArray<{ producerId: bigint; firstOffset: number }>,
  from: number,
  limit: number,
): ReadAhead {
  return {
    records: visibleRecords(bytes, aborted).filter((d) => d.offset >= from && d.offset < limit),
    // What the read covered but did not yield (control batches, aborted data) is passed over.
    end: Math.min(endOffsetOf(bytes), limit),
  }
}

/**
 * Takes up to `maxRecords` of `ahead` and decodes them as channel `channel` (topic partition
 * `partition`). `offset` is the channel's next offset; `rest` what is still ahead (null: none).
 */
export function takeAhead(
  spec: TopicSourceSpec,
  ahead: ReadAhead,
  maxRecords: number,
  channel: number,
  partition: number,
): { batch: SourceBatch; offset: number; rest: ReadAhead | null } {
  const take = ahead.records.splice(0, maxRecords)
  const more = ahead.records.length > 0
  const records: StreamRecord[] = []
  const bad: BadRecord[] = []
  for (const { offset, record } of take) {
    try {
      records.push({
        value: decodeValue(spec.format, record.value, `${spec.topic}/${partition}@${offset}`),
        timestamp: record.timestamp,
      })
    } catch (e) {
      if (!isRecordFormatError(e)) throw e
      bad.push({
        partition,
        offset,
        timestamp: record.timestamp,
        key: record.key,
        value: record.value,
        error: e,
      })
    }
  }
  return {
    batch: { partition: channel, records, bad },
    offset: more ? ahead.records[0]!.offset : ahead.end,
    rest: more ? ahead : null,
  }
}

export class TopicSourceReader implements SourceReader {
  private readonly spec: TopicSourceSpec
  private readonly logs: PartitionLog[]
  /** The topic partition of each channel. */
  private readonly ids: number[]
  /** Next offset to hand out, per partition. */
  private offsets: number[]
  /** Bounded: the offsets to stop at. */
  private readonly ends: number[] | null
  /** Decoded records not handed out yet (read ahead within a fetched batch), per partition. */
  private readonly ahead: (ReadAhead | null)[]
  private next = 0

  constructor(store: LogStore, spec: TopicSourceSpec) {
    this.spec = spec
    this.logs = sourcePartitions(store, spec)
    this.ids = spec.assigned ?? this.logs.map((_, i) => i)
    this.offsets = this.logs.map((p) => (spec.startFrom === 'earliest' ? p.logStartOffset : this.readable(p)))
    this.ends = spec.bounded ? this.logs.map((p) => this.readable(p)) : null
    this.ahead = this.logs.map(() => null)
  }

  get partitions(): number {
    return this.logs.length
  }

  get finished(): boolean {
    return this.ends !== null && this.offsets.every((o, p) => o >= this.ends![p]!)
  }

  describe(): string {
    return `topic ${this.spec.topic}`
  }

  private readable(p: PartitionLog): number {
    return readableOffset(p, this.spec.isolation)
  }

  async poll(maxRecords: number): Promise<SourceBatch | null> {
    const n = this.logs.length
    for (let i = 0; i < n; i++) {
      const p = (this.next + i) % n
      const batch = await this.pollPartition(p, maxRecords)
      if (batch) {
        this.next = (p + 1) % n
        return batch
      }
    }
    return null
  }

  private async pollPartition(p: number, maxRecords: number): Promise<SourceBatch | null> {
    const partition = this.logs[p]!
    let limit = this.readable(partition)
    if (this.ends) limit = Math.min(limit, this.ends[p]!)
    if (this.offsets[p]! < partition.logStartOffset) {
      log.warn(
        {
          topic: this.spec.topic,
          partition: this.ids[p],
          from: this.offsets[p],
          to: partition.logStartOffset,
        },
        'records were deleted before the pipeline read them; continuing at the log start',
      )
      this.offsets[p] = partition.logStartOffset
      this.ahead[p] = null
    }
    const from = this.offsets[p]!
    if (from >= limit) return null
    let ahead = this.ahead[p]
    if (!ahead) {
      const read = await partition.read(from, FETCH_BYTES, limit)
      if (read.bytes.length === 0) return null
      const aborted =
        this.spec.isolation === 'read_committed' ? partition.abortedTransactions(from, limit) : []
      ahead = readAhead(read.bytes, aborted, from, limit)
    }
    const { batch, offset, rest } = takeAhead(this.spec, ahead, maxRecords, p, this.ids[p]!)
    this.offsets[p] = offset
    this.ahead[p] = rest
    return batch
  }

  waitForData(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve()
      const offs: (() => void)[] = []
      const done = (): void => {
        for (const off of offs) off()
        signal.removeEventListener('abort', done)
        resolve()
      }
      for (const p of this.logs) offs.push(p.onAppend(done))
      signal.addEventListener('abort', done)
    })
  }

  position(): Plain {
    const s: TopicPosition = { offsets: this.offsets.slice(), next: this.next }
    return s as unknown as Plain
  }

  restore(position: Plain): void {
    const s = position as unknown as TopicPosition
    if (s.offsets.length > this.logs.length)
      throw new Error(
        `topic ${this.spec.topic} has ${this.logs.length} partitions, the checkpoint has ${s.offsets.length}`,
      )
    // Partitions added since the checkpoint start at their beginning.
    this.offsets = this.logs.map((p, i) => s.offsets[i] ?? p.logStartOffset)
    this.next = s.next % this.logs.length
    this.ahead.fill(null)
  }

  async close(): Promise<void> {}
}
