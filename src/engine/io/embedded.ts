// The I/O of a task running in the process that holds the data directory: topic sources and sinks
// go straight to the LogStore's partitions, generators and files need nothing else. A task in a
// worker thread will get a TaskIO whose readers and writers proxy these over a MessagePort.
import type { TransactionApi } from '../../broker/broker.ts'
import { RiffleError } from '../../core/errors.ts'
import type { Clock } from '../../core/time.ts'
import type { LogStore } from '../../log/store.ts'
import type { RecordInput } from '../../protocol/records/record.ts'
import type { StreamRecord } from '../model/record.ts'
import type { Guarantee, SinkSpec, SourceSpec } from '../runtime/job.ts'
import { FileSinkWriter } from './file-sink.ts'
import { FileSourceReader } from './file-source.ts'
import { GeneratorSourceReader } from './generator-source.ts'
import type { SinkWriter, SourceReader } from './io.ts'
import { StdoutSinkWriter } from './stdout-sink.ts'
import { TopicSinkWriter } from './topic-sink.ts'
import { TopicSourceReader } from './topic-source.ts'

export interface TaskIO {
  openSource(spec: SourceSpec): SourceReader
  openSink(spec: SinkSpec): SinkWriter
  /** A topic sink for raw Kafka records (the dead-letter topic): values are RecordInputs. */
  openDeadLetters(topic: string): SinkWriter
}

export interface EmbeddedIOOptions {
  store: LogStore
  guarantee: Guarantee
  clock: Clock
  /** Producer ids for exactly-once topic sinks (the transaction coordinator's). */
  producerIds?: () => Promise<bigint>
}

export function embeddedIO(o: EmbeddedIOOptions): TaskIO {
  const exactlyOnce = o.guarantee === 'exactly-once'
  return {
    openSource(spec) {
      switch (spec.kind) {
        case 'topic':
          return new TopicSourceReader(o.store, spec)
        case 'generator':
          return new GeneratorSourceReader(spec, o.clock)
        case 'file':
          return new FileSourceReader(spec, o.clock)
        default: {
          const unknown: never = spec
          throw new Error(`unknown source ${JSON.stringify(unknown)}`)
        }
      }
    },
    openSink(spec) {
      switch (spec.kind) {
        case 'topic':
          return new TopicSinkWriter(o.store, spec, {
            transactional: exactlyOnce,
            producerIds: o.producerIds,
          })
        case 'stdout':
          return new StdoutSinkWriter(spec)
        case 'file':
          return new FileSinkWriter(spec, { exactlyOnce })
        default: {
          const unknown: never = spec
          throw new Error(`unknown sink ${JSON.stringify(unknown)}`)
        }
      }
    },
    openDeadLetters(topic) {
      return new TopicSinkWriter(
        o.store,
        { kind: 'topic', topic, format: 'bytes', keyFormat: 'bytes' },
        {
          transactional: exactlyOnce,
          producerIds: o.producerIds,
          encode: (r: StreamRecord) => r.value as RecordInput,
        },
      )
    },
  }
}

/**
 * Producer ids the way an idempotent Kafka producer gets one: InitProducerId without a transactional
 * id, answered by the transaction coordinator from its persisted id blocks (never handed out twice).
 */
export function producerIdsFrom(transactions: Pick<TransactionApi, 'initProducerId'>): () => Promise<bigint> {
  return async () => {
    const res = await transactions.initProducerId(
      { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 },
      4,
    )
    if (res.errorCode !== 0)
      throw new RiffleError(
        'STORAGE_ERROR',
        `the transaction coordinator gave no producer id (error ${res.errorCode})`,
      )
    return res.producerId
  }
}
