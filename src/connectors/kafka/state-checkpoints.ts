// Checkpoints of one task of a scaled-out pipeline, kept in partition <task> of the stage's state
// topic (compacted) instead of the local data directory, so a task that moves to another process
// finds its state there. Exactly once, the checkpoint is written inside the task's transaction and
// its commit is the checkpoint becoming durable; at least once, it is an acknowledged write after
// the sinks' output.
//
// A checkpoint is JSON cut into chunks (brokers refuse records over max.message.bytes, 1 MB by
// default), keyed `chunk-<i>` so compaction keeps the newest copy of each and the topic stays about
// one checkpoint long; each chunk names its checkpoint id and the chunk count, so load() takes the
// last checkpoint in the log whose chunks are all there.
import type { Consumer, Producer } from '@platformatic/kafka'
import { childLogger } from '../../core/logging.ts'
import type { Checkpoint, CheckpointStorage } from '../../engine/runtime/checkpoints.ts'
import type { Message } from './sink.ts'
import { KafkaSourceReader, type TopicInfo } from './source.ts'
import type { TaskTransaction } from './task-transaction.ts'

const log = childLogger('pipeline')
const CHUNK_CHARS = 256 * 1024
const EARLIEST = -2n
const LATEST = -1n
const READ_COMMITTED = 1

type AnyConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>
type AnyProducer = Producer<Buffer, Buffer, Buffer, Buffer>

interface Chunk {
  id: number
  n: number
  i: number
  data: string
}

export interface StateTopicOptions {
  consumer: AnyConsumer
  /** The state topic (its id, name and leaders). */
  info: TopicInfo
  partition: number
  /** Exactly once: the task's transaction. At least once: a producer. */
  output: TaskTransaction | AnyProducer
}

export class StateTopicCheckpoints implements CheckpointStorage {
  private readonly o: StateTopicOptions

  constructor(o: StateTopicOptions) {
    this.o = o
  }

  get where(): string {
    return `partition ${this.o.partition} of topic ${this.o.info.topic}`
  }

  async load(): Promise<Checkpoint | null> {
    const { consumer, info, partition, output } = this.o
    // Fence first: once the previous holder of the task cannot commit any more, what is committed
    // in the topic is final.
    if ('commitNow' in output) await output.recover()
    const [earliest, latest] = await Promise.all([
      consumer.listOffsets({ topics: [info.topic], timestamp: EARLIEST }),
      consumer.listOffsets({ topics: [info.topic], timestamp: LATEST, isolationLevel: READ_COMMITTED }),
    ])
    const reader = new KafkaSourceReader(
      consumer,
      {
        kind: 'topic',
        topic: info.topic,
        format: 'bytes',
        startFrom: 'earliest',
        bounded: true,
        isolation: 'read_committed',
        partition,
      },
      {
        ...info,
        earliest: (earliest.get(info.topic) ?? []).map(Number),
        latest: (latest.get(info.topic) ?? []).map(Number),
      },
    )
    let best: Checkpoint | null = null
    let chunks = new Map<number, string>()
    let building = -1
    while (!reader.finished) {
      const batch = await reader.poll(1000)
      if (!batch) {
        await reader.waitForData(AbortSignal.timeout(1000))
        continue
      }
      for (const r of batch.records) {
        const c = JSON.parse((r.value as Buffer).toString('utf8')) as Chunk
        if (c.id !== building) {
          building = c.id
          chunks = new Map()
        }
        chunks.set(c.i, c.data)
        // The last complete one in the log is the newest (ids restart lower after a restore from an
        // older checkpoint, so they do not order checkpoints across holders).
        if (chunks.size === c.n) {
          let text = ''
          for (let i = 0; i < c.n; i++) text += chunks.get(i)
          best = JSON.parse(text) as Checkpoint
        }
      }
    }
    log.info(
      {
        topic: info.topic,
        partition,
        checkpoint: best?.id ?? null,
        upTo: latest.get(info.topic)?.[partition],
      },
      'loaded the latest committed checkpoint of the task',
    )
    return best
  }

  async write(cp: Checkpoint): Promise<void> {
    const { info, partition, output } = this.o
    const text = JSON.stringify(cp)
    const n = Math.max(1, Math.ceil(text.length / CHUNK_CHARS))
    const messages: Message[] = []
    for (let i = 0; i < n; i++) {
      const chunk: Chunk = { id: cp.id, n, i, data: text.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS) }
      messages.push({
        topic: info.topic,
        partition,
        key: Buffer.from(`chunk-${i}`),
        value: Buffer.from(JSON.stringify(chunk)),
      })
    }
    if ('commitNow' in output) {
      await output.send(messages)
      await output.commitNow()
    } else await output.send({ messages, acks: -1 })
  }
}
