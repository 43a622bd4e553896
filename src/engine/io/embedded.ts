// The I/O of a task running in the process that holds the data directory: topic sources and sinks
// go straight to the LogStore's partitions, generators and files need nothing else. A task in a
// worker thread will get a TaskIO whose readers and writers proxy these over a MessagePort.
import type { TransactionApi } from '../../broker/broker.ts'
import { RiffleError } from '../../core/errors.ts'
import type { Clock } from '../../core/time.ts'
import type { LogStore } from '../../log/store.ts'
import type { Guarantee } from '../runtime/job.ts'
import { type TaskIO, taskIO } from './task-io.ts'
import { TopicSinkWriter } from './topic-sink.ts'
import { TopicSourceReader } from './topic-source.ts'

export type { TaskIO } from './task-io.ts'

export interface EmbeddedIOOptions {
  store: LogStore
  guarantee: Guarantee
  clock: Clock
  /** Producer ids for exactly-once topic sinks (the transaction coordinator's). */
  producerIds?: () => Promise<bigint>
}

export function embeddedIO(o: EmbeddedIOOptions): TaskIO {
  const transactional = o.guarantee === 'exactly-once'
  return taskIO(
    {
      source: (spec) => new TopicSourceReader(o.store, spec),
      sink: (spec, encode) =>
        new TopicSinkWriter(o.store, spec, { transactional, producerIds: o.producerIds, encode }),
    },
    { clock: o.clock, exactlyOnce: transactional },
  )
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
