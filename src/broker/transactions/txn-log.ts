// The transaction coordinator's durable state: the compacted internal topic `__transaction_state`
// (one partition). Each transactional id's latest record is its state; the producer id block record
// says which producer ids have been handed out. Appends resolve once durable, and opening is a
// replay of the partition.
import { childLogger } from '../../core/logging.ts'
import type { PartitionLog } from '../../log/partition-log.ts'
import { forEachBatch } from '../../log/replay.ts'
import type { LogStore } from '../../log/store.ts'
import * as L from '../../protocol/records/layout.ts'
import { decodeRecordBatch, encodeRecordBatch } from '../../protocol/records/record.ts'
import {
  type TxnRecord,
  decodeProducerIdBlockValue,
  decodeTxnKey,
  decodeTxnValue,
  encodeProducerIdBlockKey,
  encodeProducerIdBlockValue,
  encodeTxnKey,
  encodeTxnValue,
} from './txn-records.ts'

export const TRANSACTION_STATE_TOPIC = '__transaction_state'
export const TRANSACTION_STATE_CONFIGS: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'compact',
})

const log = childLogger('transactions')

export interface ReplayedState {
  /** transactional id → its latest record (tombstoned ids are absent). */
  transactions: Map<string, TxnRecord>
  /** The first producer id no block has covered yet (0 for a new log). */
  nextBlockStart: bigint
}

export class TransactionStateLog {
  private readonly partition: PartitionLog

  private constructor(partition: PartitionLog) {
    this.partition = partition
  }

  /** Creates `__transaction_state` if missing and replays it. */
  static async open(store: LogStore): Promise<{ log: TransactionStateLog; state: ReplayedState }> {
    if (!store.topic(TRANSACTION_STATE_TOPIC))
      store.createTopic(TRANSACTION_STATE_TOPIC, 1, { ...TRANSACTION_STATE_CONFIGS })
    const log = new TransactionStateLog(store.partition(TRANSACTION_STATE_TOPIC, 0)!)
    return { log, state: await log.replay() }
  }

  private async replay(): Promise<ReplayedState> {
    const state: ReplayedState = { transactions: new Map(), nextBlockStart: 0n }
    await forEachBatch(this.partition, (bytes, pos) => {
      if ((bytes.readInt16BE(pos + L.ATTRIBUTES) & L.ATTR_CONTROL) !== 0) return
      for (const r of decodeRecordBatch(bytes, pos).records) {
        if (r.key === null) continue
        try {
          const key = decodeTxnKey(r.key)
          if (key.kind === 'txn') {
            const value = r.value === null ? null : decodeTxnValue(r.value)
            if (r.value === null) state.transactions.delete(key.transactionalId)
            else if (value === null)
              log.warn({ offset: Number(r.offset) }, 'skipping an unknown value version')
            else state.transactions.set(key.transactionalId, value)
          } else if (key.kind === 'producer-id-block' && r.value !== null) {
            const block = decodeProducerIdBlockValue(r.value)
            if (block !== null && block > state.nextBlockStart) state.nextBlockStart = block
          }
        } catch (e) {
          log.warn(
            { offset: Number(r.offset), err: e },
            `skipping an undecodable ${TRANSACTION_STATE_TOPIC} record`,
          )
        }
      }
    })
    return state
  }

  /** Appends a transactional id's new state; resolves once durable. */
  async writeTransaction(transactionalId: string, record: TxnRecord, now: number): Promise<void> {
    await this.partition.append(
      encodeRecordBatch([
        { key: encodeTxnKey(transactionalId), value: encodeTxnValue(record), timestamp: now },
      ]),
    )
  }

  /** Records that producer ids below `nextBlockStart` are handed out; resolves once durable. */
  async writeProducerIdBlock(nextBlockStart: bigint, now: number): Promise<void> {
    await this.partition.append(
      encodeRecordBatch([
        {
          key: encodeProducerIdBlockKey(),
          value: encodeProducerIdBlockValue(nextBlockStart),
          timestamp: now,
        },
      ]),
    )
  }
}
