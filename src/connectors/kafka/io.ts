// TaskIO against an external Kafka-protocol cluster (`riffle run --bootstrap`), through
// @platformatic/kafka. Topic sources and sinks go to the cluster; generators, files and stdout are
// the embedded ones. connectKafkaIO() does everything asynchronous up front (metadata, missing
// topics, start and end offsets) so that the runtime's synchronous openSource/openSink work as for
// the embedded log.
//
// Guarantees: at-least-once writes through one plain producer; exactly-once through the pipeline's
// transactions (transactions.ts), shared by all its topic sinks. File sinks are cut back to their
// checkpointed length as with the embedded log.
import { Admin, Consumer, Producer } from '@platformatic/kafka'
import type { Clock } from '../../core/time.ts'
import { type TaskIO, taskIO } from '../../engine/io/task-io.ts'
import type { Job } from '../../engine/runtime/job.ts'
import { KafkaSinkWriter } from './sink.ts'
import { KafkaSourceReader, describeTopics } from './source.ts'
import { KafkaTransactions } from './transactions.ts'

export interface KafkaIOOptions {
  /** host:port[,host:port…] of the cluster. */
  bootstrap: string
  job: Job
  clock: Clock
  clientId?: string
}

export interface KafkaIO extends TaskIO {
  /** Closes the clients (after the task has closed its readers and writers). */
  close(): Promise<void>
}

const EARLIEST = -2n
const LATEST = -1n
const READ_COMMITTED = 1

export async function connectKafkaIO(o: KafkaIOOptions): Promise<KafkaIO> {
  const { job } = o
  const exactlyOnce = job.options.guarantee === 'exactly-once'
  const bootstrapBrokers = o.bootstrap.split(',').map((s) => s.trim())
  const clientId = o.clientId ?? `riffle-pipeline-${job.name}`
  const admin = new Admin({ clientId, bootstrapBrokers })
  const consumer = new Consumer({ clientId, bootstrapBrokers, groupId: `riffle-pipeline-${job.name}` })
  const producer = new Producer({ clientId, bootstrapBrokers, acks: -1, idempotent: false })
  const txns = exactlyOnce ? new KafkaTransactions(bootstrapBrokers, clientId, job.name) : null
  const to = txns ?? producer
  const closeAll = async (): Promise<void> => {
    await Promise.allSettled([admin.close(), consumer.close(true), producer.close(), txns?.close()])
  }
  try {
    // Every topic the job names, created when missing (as the embedded log does).
    const wanted = new Map<string, number>()
    for (const s of Object.values(job.sources))
      if (s.kind === 'topic') wanted.set(s.topic, Math.max(wanted.get(s.topic) ?? 0, s.partitions ?? 1))
    for (const s of Object.values(job.sinks))
      if (s.kind === 'topic') wanted.set(s.topic, Math.max(wanted.get(s.topic) ?? 0, s.partitions ?? 1))
    const dlq = typeof job.options.onBadRecord === 'object' ? job.options.onBadRecord.deadLetter : null
    if (dlq) wanted.set(dlq, Math.max(wanted.get(dlq) ?? 0, 1))
    if (wanted.size > 0) {
      const existing = new Set(await admin.listTopics())
      for (const [topic, partitions] of wanted)
        if (!existing.has(topic)) await admin.createTopics({ topics: [topic], partitions, replicas: 1 })
    }
    const topics = [...wanted.keys()]
    const infos = await describeTopics(consumer, topics, o.bootstrap)
    for (const s of Object.values(job.sources)) {
      if (s.kind !== 'topic') continue
      const info = infos.get(s.topic)!
      if (info.earliest.length > 0) continue
      const earliest = await consumer.listOffsets({ topics: [s.topic], timestamp: EARLIEST })
      const latest = await consumer.listOffsets({
        topics: [s.topic],
        timestamp: LATEST,
        isolationLevel: s.isolation === 'read_committed' ? READ_COMMITTED : 0,
      })
      info.earliest = (earliest.get(s.topic) ?? []).map(Number)
      info.latest = (latest.get(s.topic) ?? []).map(Number)
    }
    const partitionsOf = (topic: string): number => infos.get(topic)!.leaders.length
    return {
      ...taskIO(
        {
          source: (spec) => new KafkaSourceReader(consumer, spec, infos.get(spec.topic)!),
          sink: (spec, encode) => new KafkaSinkWriter(to, spec, partitionsOf(spec.topic), encode),
        },
        { clock: o.clock, exactlyOnce },
      ),
      close: closeAll,
    }
  } catch (e) {
    await closeAll()
    throw e
  }
}
