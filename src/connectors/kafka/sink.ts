// A topic sink on an external cluster, through @platformatic/kafka (acks=all). Records are sent as
// they come (partition chosen as Kafka's default partitioner would, as by
// the embedded sink: murmur2 of the key bytes, round robin without a key), with a bounded number of
// sends in flight, and prepare() waits until every send is acknowledged, so a checkpoint covers only
// acknowledged output. At least once (a plain Producer): after a crash, what followed the last
// checkpoint is written again. Exactly once (KafkaTransactions, shared by the pipeline's sinks): the
// sends go into the interval's transaction, which commits once the checkpoint is durable.
import type { Producer } from '@platformatic/kafka'
import { encodeKey, encodeValue } from '../../engine/io/formats.ts'
import type { SinkWriter } from '../../engine/io/io.ts'
import type { StreamRecord } from '../../engine/model/record.ts'
import { murmur2 } from '../../engine/partitioning/murmur2.ts'
import type { TopicSinkSpec } from '../../engine/runtime/job.ts'
import type { Plain } from '../../engine/serde/plain.ts'
import type { RecordInput } from '../../protocol/records/record.ts'
import type { KafkaTransactions } from './transactions.ts'

const MAX_BATCH_RECORDS = 500
const MAX_IN_FLIGHT = 16

type AnyProducer = Producer<Buffer, Buffer, Buffer, Buffer>
type Message = Parameters<AnyProducer['send']>[0]['messages'][number]

function toBuffer(v: Buffer | string | null | undefined): Buffer | undefined {
  if (v === null || v === undefined) return undefined
  return typeof v === 'string' ? Buffer.from(v) : v
}

export class KafkaSinkWriter implements SinkWriter {
  private readonly producer: AnyProducer | null
  private readonly txns: KafkaTransactions | null
  private readonly spec: TopicSinkSpec
  private readonly partitions: number
  private readonly encodeRecord: ((r: StreamRecord) => RecordInput) | undefined
  private buffer: Message[] = []
  private inflight: Promise<void>[] = []
  private failure: unknown = null
  private roundRobin = 0

  /** `to`: a producer (at least once) or the pipeline's transactions (exactly once). */
  constructor(
    to: AnyProducer | KafkaTransactions,
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
        partition: this.partitionOf(key),
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

  private send(): void {
    if (this.buffer.length === 0) return
    const messages = this.buffer
    this.buffer = []
    const sent = this.txns ? this.txns.send(messages) : this.producer!.send({ messages, acks: -1 })
    this.inflight.push(
      sent.then(
        () => {},
        (e: unknown) => {
          this.failure ??= e
        },
      ),
    )
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
