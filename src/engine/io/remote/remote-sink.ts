// A topic sink in a worker thread. Records become Kafka records here (the spec's key function and
// formats cannot cross threads), are packed into one buffer per send and handed to a TopicSinkWriter
// in the LogHost, which partitions, batches and runs the transactions exactly as embedded. At most
// MAX_OUTSTANDING sends await the host's answer after a flush (backpressure); the host handles one
// writer's requests in order, so a prepare follows every write sent before it.
import type { RecordInput } from '../../../protocol/records/record.ts'
import type { StreamRecord } from '../../model/record.ts'
import type { TopicSinkSpec } from '../../runtime/job.ts'
import type { Plain } from '../../serde/plain.ts'
import type { SinkWriter } from '../io.ts'
import { encodeTopicRecord } from '../topic-sink.ts'
import type { Link } from './link.ts'
import { packRecords } from './records.ts'

const MAX_OUTSTANDING = 4
/** Buffered bytes (roughly) at which write() sends without waiting for a flush. */
const SEND_BYTES = 256 * 1024

export interface RemoteSinkOptions {
  exactlyOnce: boolean
  /** Replaces the spec's serialisation (dead letters carry ready-made records). */
  encode?(record: StreamRecord): RecordInput
}

export class RemoteSinkWriter implements SinkWriter {
  private readonly spec: TopicSinkSpec
  private readonly link: Link
  private readonly id: number
  private readonly encode: (r: StreamRecord) => RecordInput
  private readonly opened: Promise<null>
  private buffer: RecordInput[] = []
  private bufferBytes = 0
  /** Sends not answered yet, oldest first; they never reject (see `failure`). */
  private outstanding: Promise<void>[] = []
  private failure: unknown = null

  constructor(link: Link, spec: TopicSinkSpec, options: RemoteSinkOptions) {
    this.spec = spec
    this.link = link
    this.encode = options.encode ?? ((r) => encodeTopicRecord(spec, r))
    this.id = link.handle()
    this.opened = link.request('sink.open', {
      writer: this.id,
      topic: spec.topic,
      partitions: spec.partitions,
      exactlyOnce: options.exactlyOnce,
    })
    this.opened.catch((e: unknown) => {
      this.failure ??= e
    })
  }

  describe(): string {
    return `topic ${this.spec.topic}`
  }

  write(records: readonly StreamRecord[]): void {
    this.throwIfFailed()
    for (const r of records) {
      const input = this.encode(r)
      this.buffer.push(input)
      this.bufferBytes += 64 + (input.key?.length ?? 0) + (input.value?.length ?? 0)
      if (this.bufferBytes >= SEND_BYTES) this.send()
    }
  }

  private send(): void {
    if (this.buffer.length === 0) return
    const records = packRecords(this.buffer)
    this.buffer = []
    this.bufferBytes = 0
    this.outstanding.push(
      this.link.request('sink.write', { writer: this.id, records }, [records]).then(
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

  private async settle(): Promise<void> {
    const all = this.outstanding
    this.outstanding = []
    await Promise.all(all)
  }

  async flush(): Promise<void> {
    this.throwIfFailed()
    this.send()
    while (this.outstanding.length > MAX_OUTSTANDING) await this.outstanding.shift()
    this.throwIfFailed()
  }

  async prepare(): Promise<Plain> {
    this.send()
    await this.settle()
    await this.opened
    this.throwIfFailed()
    return this.link.request('sink.prepare', { writer: this.id })
  }

  async commit(): Promise<void> {
    await this.opened
    await this.link.request('sink.commit', { writer: this.id })
  }

  async recover(prepared: Plain | undefined): Promise<void> {
    await this.opened
    await this.link.request('sink.recover', { writer: this.id, prepared })
  }

  async close(): Promise<void> {
    // As embedded: what is still buffered is dropped, what was sent is waited for.
    this.buffer = []
    this.bufferBytes = 0
    await this.settle()
    try {
      await this.opened
    } catch {
      return
    }
    await this.link.request('sink.close', { writer: this.id })
  }
}
