// The data the log benchmarks write: v2 record batches of 1 KiB records, uncompressed, each batch
// holding as many records as fit in the batch size (Kafka's batch.size semantics).
import { randomBytes } from 'node:crypto'
import * as L from '../../src/protocol/records/layout.ts'
import { type RecordInput, encodeRecordBatch } from '../../src/protocol/records/record.ts'

export interface Workload {
  /** One complete batch; appenders copy it into buffers of their own. */
  batch: Buffer
  recordsPerBatch: number
  recordBytes: number
}

/** The largest batch of `recordBytes`-byte values (null keys, random bytes) not above `batchBytes`. */
export function buildWorkload(batchBytes: number, recordBytes: number): Workload {
  const timestamp = Date.now()
  const records: RecordInput[] = []
  const encode = (n: number): Buffer => {
    while (records.length < n) records.push({ key: null, value: randomBytes(recordBytes), timestamp })
    return encodeRecordBatch(records.slice(0, n))
  }
  const perRecord = encode(2).length - encode(1).length
  let n = Math.max(1, Math.floor((batchBytes - L.HEADER_SIZE) / perRecord))
  while (n > 1 && encode(n).length > batchBytes) n--
  while (encode(n + 1).length <= batchBytes) n++
  const batch = encode(n)
  if (batch.length > batchBytes)
    throw new Error(`a single ${recordBytes}-byte record does not fit in ${batchBytes} bytes`)
  return { batch, recordsPerBatch: n, recordBytes }
}

/** The offset after the last batch in `bytes` (whole batches, as log.read returns them). */
export function nextOffsetAfter(bytes: Buffer): number {
  let pos = 0
  let last = -1
  while (pos + L.LOG_OVERHEAD <= bytes.length) {
    last = pos
    pos += bytes.readInt32BE(pos + L.BATCH_LENGTH) + L.LOG_OVERHEAD
  }
  if (last < 0) throw new Error('no batch in the bytes read')
  return (
    Number(bytes.readBigInt64BE(last + L.BASE_OFFSET)) + bytes.readInt32BE(last + L.LAST_OFFSET_DELTA) + 1
  )
}
