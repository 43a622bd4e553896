// A topic source on an external cluster: every partition of the topic assigned to this reader (no
// consumer group), fetched with Fetch directly from each partition's leader. read_committed (the
// default) reads below the last stable offset and drops the records of aborted transactions with the
// fetch response's aborted-transaction list, exactly as the embedded TopicSourceReader does; control
// batches are never data. Positions are the same plain data as the embedded source's ({offsets,
// next}), so checkpoints look alike and a restore resumes at the checkpointed offsets. A bounded
// source stops at the end offsets listed when the run started.
import type { Consumer } from '@platformatic/kafka'
import { childLogger } from '../../core/logging.ts'
import { decodeValue, isRecordFormatError } from '../../engine/io/formats.ts'
import type { BadRecord, SourceBatch, SourceReader } from '../../engine/io/io.ts'
import type { StreamRecord } from '../../engine/model/record.ts'
import type { TopicSourceSpec } from '../../engine/runtime/job.ts'
import type { Plain } from '../../engine/serde/plain.ts'

const log = childLogger('pipeline')
const FETCH_BYTES = 1024 * 1024
const ATTR_TIMESTAMP_LOG_APPEND = 0x08
const ATTR_TRANSACTIONAL = 0x10
const ATTR_CONTROL = 0x20
const OFFSET_OUT_OF_RANGE = 1
/** How long a fetch waits at the broker for data while the task has nothing else to do. */
const LONG_POLL_MS = 200

export interface TopicInfo {
  topic: string
  /** What Fetch names the topic by: its id (Fetch v13+) or its name (older versions). */
  topicId: string
  /** Leader broker per partition. */
  leaders: number[]
  /** Per partition, listed when the run started (source topics only). */
  earliest: number[]
  latest: number[]
}

interface Decoded {
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
}

interface ReadAhead {
  records: Decoded[]
  end: number
}

interface TopicPosition {
  offsets: number[]
  next: number
}

type AnyConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>
type FetchResult = Awaited<ReturnType<AnyConsumer['fetch']>>
type Batch = NonNullable<FetchResult['responses'][number]['partitions'][number]['records']>[number]

/** The data records of fetched batches a read_committed (or read_uncommitted) consumer would see. */
export function visibleBatchRecords(
  batches: readonly Batch[],
  aborted: ReadonlyArray<{ producerId: bigint; firstOffset: bigint }>,
): Decoded[] {
  const out: Decoded[] = []
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
  const open = new Set<bigint>()
  let next = 0
  for (const batch of batches) {
    const base = Number(batch.firstOffset)
    const last = base + batch.lastOffsetDelta
    while (next < pending.length && Number(pending[next]!.firstOffset) <= last)
      open.add(pending[next++]!.producerId)
    if ((batch.attributes & ATTR_CONTROL) !== 0) {
      // Control record key: version (int16), type (int16); 0 = ABORT.
      const key = batch.records[0]?.key
      if (key && key.length >= 4 && key.readInt16BE(2) === 0) open.delete(batch.producerId)
      continue
    }
    if ((batch.attributes & ATTR_TRANSACTIONAL) !== 0 && open.has(batch.producerId)) continue
    const logAppend = (batch.attributes & ATTR_TIMESTAMP_LOG_APPEND) !== 0
    for (const r of batch.records)
      out.push({
        offset: base + r.offsetDelta,
        timestamp: Number(logAppend ? batch.maxTimestamp : batch.firstTimestamp + r.timestampDelta),
        key: r.key,
        value: r.value,
      })
  }
  return out
}

export class KafkaSourceReader implements SourceReader {
  private readonly consumer: AnyConsumer
  private readonly spec: TopicSourceSpec
  private readonly info: TopicInfo
  private offsets: number[]
  private readonly ends: number[] | null
  private readonly ahead: (ReadAhead | null)[]
  private next = 0
  private fetching: Promise<void> | null = null
  private failure: unknown = null

  constructor(consumer: AnyConsumer, spec: TopicSourceSpec, info: TopicInfo) {
    this.consumer = consumer
    this.spec = spec
    this.info = info
    const n = info.leaders.length
    this.offsets = Array.from({ length: n }, (_, p) =>
      spec.startFrom === 'earliest' ? (info.earliest[p] ?? 0) : (info.latest[p] ?? 0),
    )
    this.ends = spec.bounded ? Array.from({ length: n }, (_, p) => info.latest[p] ?? 0) : null
    this.ahead = Array.from({ length: n }, () => null)
  }

  get partitions(): number {
    return this.info.leaders.length
  }

  get finished(): boolean {
    return this.ends !== null && this.offsets.every((o, p) => o >= this.ends![p]!)
  }

  describe(): string {
    return `topic ${this.spec.topic}`
  }

  private wanted(p: number): boolean {
    return this.ahead[p] === null && (this.ends === null || this.offsets[p]! < this.ends[p]!)
  }

  /** One Fetch per leader for every partition with nothing read ahead; fills `ahead`. */
  private fetch(maxWaitMs: number): Promise<void> {
    if (this.fetching) return this.fetching
    const byLeader = new Map<number, number[]>()
    for (let p = 0; p < this.partitions; p++) {
      if (!this.wanted(p)) continue
      const leader = this.info.leaders[p]!
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p])
    }
    if (byLeader.size === 0) return Promise.resolve()
    const requested = this.offsets.slice()
    this.fetching = Promise.all(
      [...byLeader].map(async ([node, parts]) => {
        const res = await this.consumer.fetch({
          node,
          minBytes: 1,
          maxBytes: FETCH_BYTES * parts.length,
          maxWaitTime: maxWaitMs,
          isolationLevel: this.spec.isolation === 'read_committed' ? 1 : 0,
          topics: [
            {
              topicId: this.info.topicId,
              partitions: parts.map((p) => ({
                partition: p,
                fetchOffset: BigInt(requested[p]!),
                partitionMaxBytes: FETCH_BYTES,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
              })),
            },
          ],
        })
        for (const t of res.responses)
          for (const part of t.partitions) this.accept(part, requested[part.partitionIndex]!)
      }),
    ).then(
      () => {
        this.fetching = null
      },
      (e: unknown) => {
        this.fetching = null
        this.failure ??= e
      },
    )
    return this.fetching
  }

  private accept(part: FetchResult['responses'][number]['partitions'][number], from: number): void {
    const p = part.partitionIndex
    if (p < 0 || p >= this.partitions || this.offsets[p] !== from || this.ahead[p]) return
    if (part.errorCode === OFFSET_OUT_OF_RANGE) {
      const start = Number(part.logStartOffset)
      if (start > from) {
        log.warn(
          { topic: this.spec.topic, partition: p, from, to: start },
          'records were deleted before the pipeline read them; continuing at the log start',
        )
        this.offsets[p] = start
        return
      }
    }
    if (part.errorCode !== 0)
      throw new Error(`fetch from ${this.spec.topic}/${p}@${from} failed with Kafka error ${part.errorCode}`)
    const batches = part.records ?? []
    if (batches.length === 0) return
    const limit = this.ends ? this.ends[p]! : Number.POSITIVE_INFINITY
    const lastBatch = batches[batches.length - 1]!
    const end = Math.min(Number(lastBatch.firstOffset) + lastBatch.lastOffsetDelta + 1, limit)
    const records = visibleBatchRecords(batches, part.abortedTransactions ?? []).filter(
      (d) => d.offset >= from && d.offset < limit,
    )
    if (end <= from && records.length === 0) return
    this.ahead[p] = { records, end }
  }

  private throwIfFailed(): void {
    if (this.failure) {
      const e = this.failure
      this.failure = null
      throw e
    }
  }

  async poll(maxRecords: number): Promise<SourceBatch | null> {
    this.throwIfFailed()
    let batch = this.take(maxRecords)
    if (batch) return batch
    await this.fetch(0)
    this.throwIfFailed()
    batch = this.take(maxRecords)
    return batch
  }

  private take(maxRecords: number): SourceBatch | null {
    const n = this.partitions
    for (let i = 0; i < n; i++) {
      const p = (this.next + i) % n
      const ahead = this.ahead[p]
      if (!ahead) continue
      const take = ahead.records.splice(0, maxRecords)
      const more = ahead.records.length > 0
      this.offsets[p] = more ? ahead.records[0]!.offset : ahead.end
      this.ahead[p] = more ? ahead : null
      if (take.length === 0) continue
      this.next = (p + 1) % n
      return this.decode(p, take)
    }
    return null
  }

  private decode(p: number, take: Decoded[]): SourceBatch {
    const records: StreamRecord[] = []
    const bad: BadRecord[] = []
    for (const d of take) {
      try {
        records.push({
          value: decodeValue(this.spec.format, d.value, `${this.spec.topic}/${p}@${d.offset}`),
          timestamp: d.timestamp,
        })
      } catch (e) {
        if (!isRecordFormatError(e)) throw e
        bad.push({
          partition: p,
          offset: d.offset,
          timestamp: d.timestamp,
          key: d.key,
          value: d.value,
          error: e,
        })
      }
    }
    return { partition: p, records, bad }
  }

  async waitForData(signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.ahead.some((a) => a !== null)) return
    // A long-polling fetch: it resolves as soon as the broker has data (or after LONG_POLL_MS).
    const fetched = this.fetch(LONG_POLL_MS)
    await new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done)
      fetched.then(done, done)
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
        `topic ${this.spec.topic} has ${this.partitions} partitions, the checkpoint has ${s.offsets.length}`,
      )
    this.offsets = Array.from(
      { length: this.partitions },
      (_, i) => s.offsets[i] ?? this.info.earliest[i] ?? 0,
    )
    this.next = s.next % this.partitions
    this.ahead.fill(null)
  }

  /** Does not wait for a long-polling fetch: closing the consumer (KafkaIO.close) ends it. */
  async close(): Promise<void> {}
}
