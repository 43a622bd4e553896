// Keys and values of the records in `__transaction_state`, in Kafka's own binary layout
// (TransactionLogKey v0, TransactionLogValue v0), so that Kafka's tooling could read the topic:
//
//   key   = int16 version (0) | string transactionalId
//   value = int16 version (0) | int64 producerId | int16 producerEpoch | int32 transactionTimeoutMs
//           | int8 status | nullable array of (string topic, array of int32 partition)
//           | int64 lastUpdateTimestampMs | int64 startTimestampMs
//
// Riffle adds one record of its own, the producer id block, under a key version Kafka never uses:
//
//   key   = int16 version (32767)
//   value = int16 version (0) | int64 first producer id not yet handed out by any block
//
// Strings are int16 length + UTF-8; arrays are int32 count + elements (-1: null, written for Empty).
import { Reader } from '../../protocol/codec/reader.ts'
import { Writer } from '../../protocol/codec/writer.ts'

export type TxnState =
  | 'Empty'
  | 'Ongoing'
  | 'PrepareCommit'
  | 'PrepareAbort'
  | 'CompleteCommit'
  | 'CompleteAbort'
  | 'Dead'
  | 'PrepareEpochFence'

/** Kafka's TransactionState ids, as stored in the TransactionStatus byte. */
export const TXN_STATES: readonly TxnState[] = [
  'Empty',
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'CompleteCommit',
  'CompleteAbort',
  'Dead',
  'PrepareEpochFence',
]

/** What one transactional id's record holds: the coordinator's durable view of it. */
export interface TxnRecord {
  producerId: bigint
  producerEpoch: number
  timeoutMs: number
  state: TxnState
  /** topic → partitions, each sorted. */
  partitions: Map<string, number[]>
  lastUpdateTimestamp: number
  /** -1 when no transaction has started. */
  startTimestamp: number
}

const TXN_KEY_VERSION = 0
const TXN_VALUE_VERSION = 0
const PRODUCER_ID_BLOCK_KEY_VERSION = 32767
const PRODUCER_ID_BLOCK_VALUE_VERSION = 0

export function encodeTxnKey(transactionalId: string): Buffer {
  const w = new Writer(32 + transactionalId.length * 3)
  w.int16(TXN_KEY_VERSION)
  w.string(transactionalId, 'TransactionLogKey.transactionalId')
  return w.toBuffer()
}

export function encodeTxnValue(r: TxnRecord): Buffer {
  const w = new Writer(128)
  w.int16(TXN_VALUE_VERSION)
  w.int64(r.producerId)
  w.int16(r.producerEpoch)
  w.int32(r.timeoutMs)
  w.int8(TXN_STATES.indexOf(r.state))
  if (r.partitions.size === 0) w.int32(-1)
  else {
    w.int32(r.partitions.size)
    for (const [topic, partitions] of r.partitions) {
      w.string(topic, 'TransactionLogValue.topic')
      w.int32(partitions.length)
      for (const p of partitions) w.int32(p)
    }
  }
  w.int64(BigInt(r.lastUpdateTimestamp))
  w.int64(BigInt(r.startTimestamp))
  return w.toBuffer()
}

export function encodeProducerIdBlockKey(): Buffer {
  const w = new Writer(2)
  w.int16(PRODUCER_ID_BLOCK_KEY_VERSION)
  return w.toBuffer()
}

export function encodeProducerIdBlockValue(nextBlockStart: bigint): Buffer {
  const w = new Writer(10)
  w.int16(PRODUCER_ID_BLOCK_VALUE_VERSION)
  w.int64(nextBlockStart)
  return w.toBuffer()
}

export type DecodedTxnKey =
  | { kind: 'txn'; transactionalId: string }
  | { kind: 'producer-id-block' }
  | { kind: 'unknown'; version: number }

export function decodeTxnKey(buf: Buffer): DecodedTxnKey {
  const r = new Reader(buf)
  const version = r.int16('TransactionLogKey.version')
  if (version === TXN_KEY_VERSION || version === 1)
    return { kind: 'txn', transactionalId: r.string('TransactionLogKey.transactionalId') }
  if (version === PRODUCER_ID_BLOCK_KEY_VERSION) return { kind: 'producer-id-block' }
  return { kind: 'unknown', version }
}

/** Decodes value version 0; null for other versions. */
export function decodeTxnValue(buf: Buffer): TxnRecord | null {
  const r = new Reader(buf)
  const version = r.int16('TransactionLogValue.version')
  if (version !== TXN_VALUE_VERSION) return null
  const producerId = r.int64('TransactionLogValue.producerId')
  const producerEpoch = r.int16('TransactionLogValue.producerEpoch')
  const timeoutMs = r.int32('TransactionLogValue.transactionTimeoutMs')
  const status = r.int8('TransactionLogValue.transactionStatus')
  const state = TXN_STATES[status]
  if (state === undefined) throw new Error(`unknown transaction status ${status}`)
  const partitions = new Map<string, number[]>()
  const topics = r.nullableArrayLength('TransactionLogValue.transactionPartitions')
  for (let i = 0; i < topics; i++) {
    const topic = r.string('TransactionLogValue.topic')
    const n = r.arrayLength('TransactionLogValue.partitionIds')
    const list: number[] = []
    for (let j = 0; j < n; j++) list.push(r.int32('TransactionLogValue.partitionIds'))
    partitions.set(topic, list)
  }
  const lastUpdateTimestamp = Number(r.int64('TransactionLogValue.lastUpdateTimestampMs'))
  const startTimestamp = Number(r.int64('TransactionLogValue.startTimestampMs'))
  return { producerId, producerEpoch, timeoutMs, state, partitions, lastUpdateTimestamp, startTimestamp }
}

export function decodeProducerIdBlockValue(buf: Buffer): bigint | null {
  const r = new Reader(buf)
  if (r.int16('ProducerIdBlock.version') !== PRODUCER_ID_BLOCK_VALUE_VERSION) return null
  return r.int64('ProducerIdBlock.nextBlockStart')
}
