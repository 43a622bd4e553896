// Control records: the commit/abort markers a transaction coordinator writes into each partition of
// a transaction. A control batch holds one record whose key is (version int16, type int16: 0 abort,
// 1 commit) and whose value is (version int16, coordinator epoch int32).
import { encodeRecordBatch } from './record.ts'

export const CONTROL_ABORT = 0
export const CONTROL_COMMIT = 1

export interface MarkerInput {
  producerId: bigint
  producerEpoch: number
  commit: boolean
  coordinatorEpoch: number
  timestamp?: number
}

export function encodeMarkerBatch(m: MarkerInput): Buffer {
  const key = Buffer.alloc(4)
  key.writeInt16BE(0, 0)
  key.writeInt16BE(m.commit ? CONTROL_COMMIT : CONTROL_ABORT, 2)
  const value = Buffer.alloc(6)
  value.writeInt16BE(0, 0)
  value.writeInt32BE(m.coordinatorEpoch, 2)
  return encodeRecordBatch([{ key, value, timestamp: m.timestamp }], {
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    transactional: true,
    control: true,
  })
}

/** The control type (commit or abort) from a control record's key, or -1 when unreadable. */
export function controlType(key: Buffer | null): number {
  return key && key.length >= 4 ? key.readInt16BE(2) : -1
}
