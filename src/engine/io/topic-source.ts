// Reads a topic of the embedded log straight from its PartitionLogs (no sockets, no fetch protocol):
// one input channel per partition, positions as offsets. read_committed (the default) reads only
// below the last stable offset and drops records of aborted transactions, exactly as a Kafka
// consumer does with a fetch response's aborted-transaction list; control batches are never data.
// A bounded source stops at the end offsets it saw when it was opened.
import { childLogger } from '../../core/logging.ts'
import type { PartitionLog } from '../../log/partition-log.ts'
import type { LogStore } from '../../log/store.ts'
import { CONTROL_ABORT, controlType } from '../../protocol/records/control.ts'
import { checkBatch, endOffsetOf } from '../../protocol/records/header.ts'
import * as L from '../../protocol/records/layout.ts'
import { type KafkaRecord, decodeRecordBatch } from '../../protocol/records/record.ts'
import type { StreamRecord } from '../model/record.ts'
import type { TopicSourceSpec } from '../runtime/job.ts'
import type { Plain } from '../serde/plain.ts'
import { decodeValue, isRecordFormatError } from './formats.ts'
import type { BadRecord, SourceBatch, SourceReader } from './io.ts'

const FETCH_BYTES = 1024 * 1024
const log = childLogger('pipeline')

interface Decoded {
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

interface ReadAhead {
  records: Decoded[]
  /** The offset after the last batch the read covered. */
  end: number
}

interface TopicPosition {
  offsets: number[]
  next: number
}

export class TopicSourceReader implements SourceReader {
  private readonly spec: TopicSourceSpec
  private readonly logs: PartitionLog[]
  /** Next offset to hand out, per partition. */
  private offsets: number[]
  /** Bounded: the offsets to stop at. */
  private readonly ends: number[] | null
  /** Decoded records not handed out yet (read ahead within a fetched batch), per partition. */
  private readonly ahead: (ReadAhead | null)[]
  private next = 0

  constructor(store: LogStore, spec: TopicSourceSpec) {
    this.spec = spec
    const topic = store.topic(spec.topic) ?? store.createTopic(spec.topic, spec.partitions ?? 1)
    this.logs = topic.partitions.slice()
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
    return this.spec.isolation === 'read_committed' ? p.lastStableOffset : p.highWatermark
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
        { topic: this.spec.topic, partition: p, from: this.offsets[p], to: partition.logStartOffset },
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
      ahead = {
        records: visibleRecords(read.bytes, aborted).filter((d) => d.offset >= from && d.offset < limit),
        // What the read covered but did not yield (control batches, aborted data) is passed over.
        end: Math.min(endOffsetOf(read.bytes), limit),
      }
    }
    const take = ahead.records.splice(0, maxRecords)
    const more = ahead.records.length > 0
    this.offsets[p] = more ? ahead.records[0]!.offset : ahead.end
    this.ahead[p] = more ? ahead : null
    const records: StreamRecord[] = []
    const bad: BadRecord[] = []
    for (const { offset, record } of take) {
      try {
        records.push({
          value: decodeValue(this.spec.format, record.value, `${this.spec.topic}/${p}@${offset}`),
          timestamp: record.timestamp,
        })
      } catch (e) {
        if (!isRecordFormatError(e)) throw e
        bad.push({
          partition: p,
          offset,
          timestamp: record.timestamp,
          key: record.key,
          value: record.value,
          error: e,
        })
      }
    }
    return { partition: p, records, bad }
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
