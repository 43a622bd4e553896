// A topic source on an external cluster: every partition of the topic assigned to this reader (no
// consumer group), fetched with Fetch directly from each partition's leader. read_committed (the
// default) reads below the last stable offset and drops the records of aborted transactions with the
// fetch response's aborted-transaction list, exactly as the embedded TopicSourceReader does; control
// batches are never data. Positions are the same plain data as the embedded source's ({offsets,
// next}), so checkpoints look alike and a restore resumes at the checkpointed offsets. A bounded
// source stops at the end offsets listed when the run started.
import type { Consumer } from '@platformatic/kafka'
import { RiffleError } from '../../core/errors.ts'
import { childLogger } from '../../core/logging.ts'
import { type ExchangeItem, decodeExchange } from '../../engine/io/exchange.ts'
import { decodeValue, isRecordFormatError } from '../../engine/io/formats.ts'
import type { BadRecord, ChannelMark, SourceBatch, SourceReader } from '../../engine/io/io.ts'
import type { StreamRecord } from '../../engine/model/record.ts'
import type { TopicSourceSpec } from '../../engine/runtime/job.ts'
import type { Plain } from '../../engine/serde/plain.ts'

const log = childLogger('pipeline')
const FETCH_BYTES = 1024 * 1024
const ATTR_TIMESTAMP_LOG_APPEND = 0x08
const ATTR_TRANSACTIONAL = 0x10
const ATTR_CONTROL = 0x20
const OFFSET_OUT_OF_RANGE = 1
const FETCH_API_KEY = 1
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

/**
 * Metadata of `topics` as readers and writers need it, with no offsets listed yet. Fetch v13+ names
 * topics by id, older versions by name (Riffle's broker answers up to v12).
 */
export async function describeTopics(
  consumer: AnyConsumer,
  topics: readonly string[],
  bootstrap: string,
): Promise<Map<string, TopicInfo>> {
  const infos = new Map<string, TopicInfo>()
  if (topics.length === 0) return infos
  const metadata = await consumer.metadata({ topics: [...topics] })
  const fetchApi = (await consumer.listApis()).find((a) => a.apiKey === FETCH_API_KEY)
  const byId = (fetchApi?.maxVersion ?? 0) >= 13
  for (const topic of topics) {
    const meta = metadata.topics.get(topic)
    if (!meta)
      throw new RiffleError('UNKNOWN_TOPIC_OR_PARTITION', `the cluster at ${bootstrap} has no topic ${topic}`)
    infos.set(topic, {
      topic,
      topicId: byId ? meta.id : topic,
      leaders: meta.partitions.map((p) => p.leader),
      earliest: [],
      latest: [],
    })
  }
  return infos
}

interface Decoded {
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  /** Exchange topics: the record decoded when fetched (runs are cut by its writer). */
  item?: ExchangeItem
}

interface ReadAhead {
  records: Decoded[]
  end: number
}

interface TopicPosition {
  offsets: number[]
  next: number
  ended?: number[]
}

type AnyConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>
type FetchResult = Awaited<ReturnType<AnyConsumer['fetch']>>

/**
 * The response inside a Fetch the client rejected because a partition carried an error code: the
 * client fails the whole request, but each partition's error (OFFSET_OUT_OF_RANGE after retention
 * deleted what the pipeline had not read yet) is for accept() to handle, and the other partitions'
 * records are good. Anything else is rethrown.
 */
function responseOf(e: unknown): FetchResult {
  const last = (e as { errors?: unknown[] }).errors?.at(-1)
  for (const candidate of [e, last]) {
    const response = (candidate as { response?: unknown } | undefined)?.response
    const r = response as FetchResult | undefined
    if (r && r.errorCode === 0 && Array.isArray(r.responses)) return r
  }
  throw e
}
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
  /** The topic partitions this reader reads (all, or the one of `spec.partition`); arrays below are
   * indexed by position in this list, the slot. */
  private readonly parts: number[]
  private offsets: number[]
  private readonly ends: number[] | null
  private readonly ahead: (ReadAhead | null)[]
  private next = 0
  private fetching: Promise<void> | null = null
  private failure: unknown = null
  /** Exchange topics: the upstream tasks whose end of input (the maximum watermark) has arrived. */
  private ended = new Set<number>()

  constructor(consumer: AnyConsumer, spec: TopicSourceSpec, info: TopicInfo) {
    this.consumer = consumer
    this.spec = spec
    this.info = info
    const all = info.leaders.length
    if (spec.partition !== undefined && !(spec.partition >= 0 && spec.partition < all))
      throw new Error(`topic ${spec.topic} has ${all} partitions, no partition ${spec.partition}`)
    this.parts = spec.partition === undefined ? Array.from({ length: all }, (_, p) => p) : [spec.partition]
    this.offsets = this.parts.map((p) =>
      spec.startFrom === 'earliest' ? (info.earliest[p] ?? 0) : (info.latest[p] ?? 0),
    )
    this.ends = spec.bounded ? this.parts.map((p) => info.latest[p] ?? 0) : null
    this.ahead = this.parts.map(() => null)
  }

  /** Input channels: a channel per partition read, or per upstream task of an exchange. */
  get partitions(): number {
    return this.spec.exchange ? this.spec.exchange.writers : this.parts.length
  }

  get finished(): boolean {
    if (this.spec.exchange)
      return this.ended.size >= this.spec.exchange.writers && this.ahead.every((a) => a === null)
    return this.ends !== null && this.offsets.every((o, i) => o >= this.ends![i]!)
  }

  describe(): string {
    return this.spec.partition === undefined
      ? `topic ${this.spec.topic}`
      : `topic ${this.spec.topic} partition ${this.spec.partition}`
  }

  private wanted(i: number): boolean {
    return this.ahead[i] === null && (this.ends === null || this.offsets[i]! < this.ends[i]!)
  }

  /** One Fetch per leader for every partition with nothing read ahead; fills `ahead`. */
  private fetch(maxWaitMs: number): Promise<void> {
    if (this.fetching) return this.fetching
    const byLeader = new Map<number, number[]>()
    for (let i = 0; i < this.parts.length; i++) {
      if (!this.wanted(i)) continue
      const leader = this.info.leaders[this.parts[i]!]!
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), i])
    }
    if (byLeader.size === 0) return Promise.resolve()
    const requested = this.offsets.slice()
    this.fetching = Promise.all(
      [...byLeader].map(async ([node, slots]) => {
        const res = await this.consumer
          .fetch({
            node,
            minBytes: 1,
            maxBytes: FETCH_BYTES * slots.length,
            maxWaitTime: maxWaitMs,
            isolationLevel: this.spec.isolation === 'read_committed' ? 1 : 0,
            topics: [
              {
                topicId: this.info.topicId,
                partitions: slots.map((i) => ({
                  partition: this.parts[i]!,
                  fetchOffset: BigInt(requested[i]!),
                  partitionMaxBytes: FETCH_BYTES,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                })),
              },
            ],
          })
          .catch(responseOf)
        for (const t of res.responses)
          for (const part of t.partitions) {
            const i = this.parts.indexOf(part.partitionIndex)
            if (i >= 0) this.accept(i, part, requested[i]!)
          }
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

  private accept(
    i: number,
    part: FetchResult['responses'][number]['partitions'][number],
    from: number,
  ): void {
    const p = this.parts[i]!
    if (this.offsets[i] !== from || this.ahead[i]) return
    if (part.errorCode === OFFSET_OUT_OF_RANGE) {
      const start = Number(part.logStartOffset)
      if (start > from) {
        log.warn(
          { topic: this.spec.topic, partition: p, from, to: start },
          'records were deleted before the pipeline read them; continuing at the log start',
        )
        this.offsets[i] = start
        return
      }
    }
    if (part.errorCode !== 0)
      throw new Error(`fetch from ${this.spec.topic}/${p}@${from} failed with Kafka error ${part.errorCode}`)
    const batches = part.records ?? []
    if (batches.length === 0) return
    const limit = this.ends ? this.ends[i]! : Number.POSITIVE_INFINITY
    const lastBatch = batches[batches.length - 1]!
    const end = Math.min(Number(lastBatch.firstOffset) + lastBatch.lastOffsetDelta + 1, limit)
    const records = visibleBatchRecords(batches, part.abortedTransactions ?? []).filter(
      (d) => d.offset >= from && d.offset < limit,
    )
    if (end <= from && records.length === 0) return
    if (this.spec.exchange)
      for (const d of records) d.item = decodeExchange(d.value, this.origin(i, d.offset))
    this.ahead[i] = { records, end }
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
    const n = this.parts.length
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n
      const ahead = this.ahead[i]
      if (!ahead) continue
      const take = this.spec.exchange
        ? ahead.records.splice(0, exchangeRun(ahead.records, maxRecords))
        : ahead.records.splice(0, maxRecords)
      const more = ahead.records.length > 0
      this.offsets[i] = more ? ahead.records[0]!.offset : ahead.end
      this.ahead[i] = more ? ahead : null
      if (take.length === 0) continue
      this.next = (i + 1) % n
      return this.spec.exchange ? this.decodeExchange(take) : this.decode(i, take)
    }
    return null
  }

  private origin(i: number, offset?: number): string {
    return `${this.spec.topic}/${this.parts[i]}${offset === undefined ? '' : `@${offset}`}`
  }

  private decode(i: number, take: Decoded[]): SourceBatch {
    const records: StreamRecord[] = []
    const bad: BadRecord[] = []
    for (const d of take) {
      try {
        records.push({
          value: decodeValue(this.spec.format, d.value, this.origin(i, d.offset)),
          timestamp: d.timestamp,
        })
      } catch (e) {
        if (!isRecordFormatError(e)) throw e
        bad.push({
          partition: this.parts[i]!,
          offset: d.offset,
          timestamp: d.timestamp,
          key: d.key,
          value: d.value,
          error: e,
        })
      }
    }
    return { partition: i, records, bad }
  }

  /** A run taken by exchangeRun: data of one upstream task, or marks. */
  private decodeExchange(take: Decoded[]): SourceBatch {
    const records: StreamRecord[] = []
    const marks: ChannelMark[] = []
    let channel = 0
    for (const d of take) {
      const item = d.item!
      if (item.kind === 'data') {
        channel = item.writer
        records.push(item.record)
      } else if (item.kind === 'watermark') {
        marks.push({ channel: item.writer, watermark: item.watermark })
        if (item.watermark === Number.POSITIVE_INFINITY) this.ended.add(item.writer)
      } else marks.push({ channel: item.writer, idle: true })
    }
    return { partition: channel, records, bad: [], marks }
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
    if (this.spec.exchange) s.ended = [...this.ended]
    return s as unknown as Plain
  }

  restore(position: Plain): void {
    const s = position as unknown as TopicPosition
    if (s.offsets.length > this.parts.length)
      throw new Error(
        `${this.describe()} has ${this.parts.length} partitions to read, the checkpoint has ${s.offsets.length}`,
      )
    this.offsets = this.parts.map((p, i) => s.offsets[i] ?? this.info.earliest[p] ?? 0)
    this.next = s.next % this.parts.length
    this.ended = new Set(s.ended ?? [])
    this.ahead.fill(null)
  }

  /** Does not wait for a long-polling fetch: closing the consumer (KafkaIO.close) ends it. */
  async close(): Promise<void> {}
}

/**
 * How many of `records` to take as one batch from an exchange topic: a run of data records of one
 * upstream task (the batch's channel), or a run of marks.
 */
function exchangeRun(records: Decoded[], max: number): number {
  if (records.length === 0) return 0
  const kindOf = (d: Decoded): number => (d.item!.kind === 'data' ? d.item!.writer : -1)
  const first = kindOf(records[0]!)
  let n = 1
  while (n < records.length && n < max && kindOf(records[n]!) === first) n++
  return n
}
