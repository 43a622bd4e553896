// A topic sink on an external cluster, through @platformatic/kafka (acks=all). Records are sent as
// they come (partition chosen as Kafka's default partitioner would, as by the embedded sink: murmur2
// of the key bytes, round robin without a key; an exchange routes on keyBy's partition), with a
// bounded number of sends in flight, and prepare() waits until every send is acknowledged, so a
// checkpoint covers only acknowledged output. At least once (a plain Producer): after a crash, what
// followed the last checkpoint is written again. Exactly once (the task's TaskTransaction): the sends
// go into the interval's transaction, which the checkpoint commits.
import type { Producer } from '@platformatic/kafka'
import {
  encodeExchangeIdle,
  encodeExchangeRecord,
  encodeExchangeWatermark,
} from '../../engine/io/exchange.ts'
import { encodeKey, encodeValue } from '../../engine/io/formats.ts'
import type { SinkWriter } from '../../engine/io/io.ts'
import type { StreamRecord } from '../../engine/model/record.ts'
import { murmur2 } from '../../engine/partitioning/murmur2.ts'
import type { TopicSinkSpec } from '../../engine/runtime/job.ts'
import type { Plain } from '../../engine/serde/plain.ts'
import type { RecordInput } from '../../protocol/records/record.ts'

const MAX_BATCH_RECORDS = 500
const MAX_IN_FLIGHT = 16

type AnyProducer = Producer<Buffer, Buffer, Buffer, Buffer>
export type Message = Parameters<AnyProducer['send']>[0]['messages'][number]

/** What an exactly-once sink writes through: the task's transaction (TaskTransaction). */
export interface TransactionalOutput {
  send(messages: Message[]): Promise<void>
  /** The writers have drained their sends: what the checkpoint must remember. */
  prepare(): Plain
  /** Once the checkpoint is durable (called by every writer). */
  commit(): Promise<void>
  /** Before anything else, with what the latest checkpoint remembered (called by every writer). */
  recover(prepared: Plain | undefined): Promise<void>
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | undefined {
  if (v === null || v === undefined) return undefined
  return typeof v === 'string' ? Buffer.from(v) : v
}

export class KafkaSinkWriter implements SinkWriter {
  private readonly producer: AnyProducer | null
  private readonly txns: TransactionalOutput | null
  private readonly spec: TopicSinkSpec
  private readonly partitions: number
  private readonly encodeRecord: ((r: StreamRecord) => RecordInput) | undefined
  private buffer: Message[] = []
  private inflight: Promise<void>[] = []
  /** The last send: the next starts only once it is acknowledged, so the client cannot reorder them. */
  private last: Promise<void> = Promise.resolve()
  private failure: unknown = null
  private roundRobin = 0
  /** Exchange sinks: the watermark (or idleness) to pass on with the next send, and the last passed. */
  private mark: number | 'idle' | null = null
  private lastMark: number | 'idle' | null = null

  /** `to`: a producer (at least once) or the pipeline's transactions (exactly once). */
  constructor(
    to: AnyProducer | TransactionalOutput,
    spec: TopicSinkSpec,
    partitions: number,
    encode?: (r: StreamRecord) => RecordInput,
  ) {
    this.txns = 'prepare' in to ? to : null
    this.producer = 'prepare' in to ? null : to
    this.spec = spec
    this.partitions = partitions
    this.encodeRecord = encode
  }

  describe(): string {
    return `topic ${this.spec.topic}`
  }

  private encode(r: StreamRecord): RecordInput {
    if (this.encodeRecord) return this.encodeRecord(r)
    if (this.spec.exchange) return encodeExchangeRecord(this.spec.exchange.writer, r)
    const key = this.spec.key ? this.spec.key(r.value) : r.key
    return {
      key: encodeKey(this.spec.keyFormat, key),
      value: encodeValue(this.spec.format, r.value),
      timestamp: Number.isFinite(r.timestamp) ? Math.floor(r.timestamp) : Date.now(),
    }
  }

  private partitionOf(key: Buffer | undefined): number {
    if (key === undefined) return this.roundRobin++ % this.partitions
    return (murmur2(key) & 0x7fffffff) % this.partitions
  }

  write(records: readonly StreamRecord[]): void {
    this.throwIfFailed()
    for (const r of records) {
      const input = this.encode(r)
      const key = toBuffer(input.key)
      const message: Message = {
        topic: this.spec.topic,
        // An exchange routes on the partition keyBy chose (the hash of the key, whatever its type).
        partition: this.spec.exchange && r.partition !== undefined ? r.partition : this.partitionOf(key),
        key,
        value: toBuffer(input.value),
        timestamp: BigInt(input.timestamp ?? Date.now()),
      }
      if (input.headers && input.headers.length > 0) {
        const headers = new Map<Buffer, Buffer>()
        for (const h of input.headers) headers.set(Buffer.from(h.key), toBuffer(h.value) ?? Buffer.alloc(0))
        message.headers = headers
      }
      this.buffer.push(message)
      if (this.buffer.length >= MAX_BATCH_RECORDS) this.send()
    }
  }

  watermark(watermark: number): void {
    if (this.spec.exchange) this.mark = watermark
  }

  idle(): void {
    if (this.spec.exchange) this.mark = 'idle'
  }

  /**
   * Marks go to every partition after the data before them, in the same stream of sends, so a
   * reader sees a writer's watermark only after everything the writer sent before it.
   */
  private appendMarks(): void {
    const mark = this.mark
    this.mark = null
    if (mark === null || mark === this.lastMark) return
    if (typeof mark === 'number' && typeof this.lastMark === 'number' && mark < this.lastMark) return
    this.lastMark = mark
    const writer = this.spec.exchange!.writer
    const input = mark === 'idle' ? encodeExchangeIdle(writer) : encodeExchangeWatermark(writer, mark)
    for (let partition = 0; partition < this.partitions; partition++)
      this.buffer.push({
        topic: this.spec.topic,
        partition,
        value: toBuffer(input.value),
        timestamp: BigInt(input.timestamp ?? Date.now()),
      })
  }

  private send(): void {
    if (this.spec.exchange) this.appendMarks()
    if (this.buffer.length === 0) return
    const messages = this.buffer
    this.buffer = []
    // @platformatic/kafka assigns a send's sequence numbers after asynchronous steps (metadata,
    // partitions added to the transaction), so concurrent sends can overtake each other; one at a
    // time keeps each partition's order (and exchange marks behind the data they follow).
    const sent = this.last.then(async () => {
      if (this.failure) return
      if (this.txns) await this.txns.send(messages)
      else await this.producer!.send({ messages, acks: -1 })
    })
    this.last = sent.then(
      () => {},
      (e: unknown) => {
        this.failure ??= e
      },
    )
    this.inflight.push(this.last)
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure
  }

  async flush(): Promise<void> {
    this.send()
    while (this.inflight.length > MAX_IN_FLIGHT) await this.inflight.shift()
    this.throwIfFailed()
  }

  async prepare(): Promise<Plain> {
    this.send()
    const all = this.inflight
    this.inflight = []
    await Promise.all(all)
    this.throwIfFailed()
    return this.txns ? this.txns.prepare() : null
  }

  async commit(): Promise<void> {
    await this.txns?.commit()
  }

  async recover(prepared: Plain | undefined): Promise<void> {
    await this.txns?.recover(prepared)
  }

  async close(): Promise<void> {
    const all = this.inflight
    this.inflight = []
    await Promise.all(all)
  }
}
