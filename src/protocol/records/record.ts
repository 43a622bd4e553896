// Encoding and decoding of the records inside a v2 batch. Only features that need record contents
// (timestamp lookup, compaction, the engine, tests) decode them; storage and transport never do.
import { type VarintRead, readVarint, varintSize, writeVarint } from '../../core/varint.ts'
import { type CompressionCodec, compress, decompress } from '../compression/index.ts'
import { type BatchHeader, batchProblemError, checkBatch, readBatchHeader, restampCrc } from './header.ts'
import * as L from './layout.ts'

export interface RecordHeader {
  key: string
  value: Buffer | null
}

/** A decoded record with its absolute offset and timestamp. */
export interface KafkaRecord {
  offset: bigint
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

/** What a producer supplies for one record; strings are encoded as UTF-8. */
export interface RecordInput {
  key?: Buffer | string | null
  value: Buffer | string | null
  timestamp?: number
  headers?: ReadonlyArray<{ key: string; value: Buffer | string | null }>
  /** Offset delta within the batch; defaults to the record's index (compaction keeps gaps). */
  offsetDelta?: number
}

export interface BatchOptions {
  baseOffset?: bigint
  compression?: CompressionCodec
  /** LogAppendTime instead of CreateTime. */
  logAppendTime?: boolean
  producerId?: bigint
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
  control?: boolean
  partitionLeaderEpoch?: number
  /** Overrides lastOffsetDelta (compaction may drop the batch's last record but keeps the delta). */
  lastOffsetDelta?: number
  /** Timestamp used for an empty batch and when records carry none. */
  baseTimestamp?: number
}

function toBytes(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null
  return typeof v === 'string' ? Buffer.from(v) : v
}

/** Builds a complete v2 record batch with a valid CRC. */
export function encodeRecordBatch(records: ReadonlyArray<RecordInput>, options: BatchOptions = {}): Buffer {
  const now = options.baseTimestamp ?? Date.now()
  let baseTimestamp = Number.POSITIVE_INFINITY
  let maxTimestamp = Number.NEGATIVE_INFINITY
  for (const r of records) {
    const t = r.timestamp ?? now
    if (t < baseTimestamp) baseTimestamp = t
    if (t > maxTimestamp) maxTimestamp = t
  }
  if (records.length === 0) baseTimestamp = maxTimestamp = now

  // First pass: sizes, so the uncompressed records section is written into one exact buffer.
  const prepared = records.map((r, i) => {
    const key = toBytes(r.key)
    const value = toBytes(r.value)
    const headers = (r.headers ?? []).map((h) => ({ key: Buffer.from(h.key), value: toBytes(h.value) }))
    const offsetDelta = r.offsetDelta ?? i
    const timestampDelta = (r.timestamp ?? now) - baseTimestamp
    let body = 1 + varintSize(timestampDelta) + varintSize(offsetDelta)
    body += key === null ? 1 : varintSize(key.length) + key.length
    body += value === null ? 1 : varintSize(value.length) + value.length
    body += varintSize(headers.length)
    for (const h of headers) {
      body += varintSize(h.key.length) + h.key.length
      body += h.value === null ? 1 : varintSize(h.value.length) + h.value.length
    }
    return { key, value, headers, offsetDelta, timestampDelta, body }
  })
  let recordsSize = 0
  for (const p of prepared) recordsSize += varintSize(p.body) + p.body
  let section: Buffer = Buffer.allocUnsafe(recordsSize)
  let o = 0
  for (const p of prepared) {
    o = writeVarint(section, o, p.body)
    section[o++] = 0
    o = writeVarint(section, o, p.timestampDelta)
    o = writeVarint(section, o, p.offsetDelta)
    o = writeBytes(section, o, p.key)
    o = writeBytes(section, o, p.value)
    o = writeVarint(section, o, p.headers.length)
    for (const h of p.headers) {
      o = writeBytes(section, o, h.key)
      o = writeBytes(section, o, h.value)
    }
  }
  const codec = options.compression ?? 0
  if (codec !== 0) section = compress(codec, section)

  const size = L.HEADER_SIZE + section.length
  const buf = Buffer.allocUnsafe(size)
  let attributes = codec
  if (options.logAppendTime) attributes |= L.ATTR_TIMESTAMP_TYPE
  if (options.transactional) attributes |= L.ATTR_TRANSACTIONAL
  if (options.control) attributes |= L.ATTR_CONTROL
  const lastDelta = prepared.length === 0 ? 0 : Math.max(...prepared.map((p) => p.offsetDelta))
  buf.writeBigInt64BE(options.baseOffset ?? 0n, L.BASE_OFFSET)
  buf.writeInt32BE(size - L.LOG_OVERHEAD, L.BATCH_LENGTH)
  buf.writeInt32BE(options.partitionLeaderEpoch ?? -1, L.PARTITION_LEADER_EPOCH)
  buf.writeInt8(2, L.MAGIC)
  buf.writeInt16BE(attributes, L.ATTRIBUTES)
  buf.writeInt32BE(options.lastOffsetDelta ?? lastDelta, L.LAST_OFFSET_DELTA)
  buf.writeBigInt64BE(BigInt(baseTimestamp), L.BASE_TIMESTAMP)
  buf.writeBigInt64BE(BigInt(maxTimestamp), L.MAX_TIMESTAMP)
  buf.writeBigInt64BE(options.producerId ?? L.NO_PRODUCER_ID, L.PRODUCER_ID)
  buf.writeInt16BE(options.producerEpoch ?? -1, L.PRODUCER_EPOCH)
  buf.writeInt32BE(options.baseSequence ?? L.NO_SEQUENCE, L.BASE_SEQUENCE)
  buf.writeInt32BE(prepared.length, L.RECORDS_COUNT)
  section.copy(buf, L.HEADER_SIZE)
  restampCrc(buf, 0, size)
  return buf
}

function writeBytes(buf: Buffer, o: number, bytes: Buffer | null): number {
  if (bytes === null) return writeVarint(buf, o, -1)
  o = writeVarint(buf, o, bytes.length)
  bytes.copy(buf, o)
  return o + bytes.length
}

export interface DecodedBatch {
  header: BatchHeader
  records: KafkaRecord[]
}

/** Validates and decodes the batch at `pos`, decompressing its records if needed. */
export function decodeRecordBatch(buf: Buffer, pos = 0): DecodedBatch {
  const checked = checkBatch(buf, pos)
  if (typeof checked !== 'number') throw batchProblemError(checked, 'decoding record batch')
  const header = readBatchHeader(buf, pos)
  let section = buf.subarray(pos + L.HEADER_SIZE, pos + checked)
  const codec = (header.attributes & L.ATTR_COMPRESSION_MASK) as CompressionCodec
  if (codec !== 0) section = decompress(codec, section)
  return { header, records: decodeRecords(section, header) }
}

/**
 * Decodes an uncompressed records section. With LogAppendTime every record's timestamp is the
 * batch's maxTimestamp, as Kafka defines it.
 */
export function decodeRecords(section: Buffer, header: BatchHeader): KafkaRecord[] {
  const out: KafkaRecord[] = new Array(header.recordsCount)
  const v: VarintRead = { value: 0, next: 0 }
  const baseTs = Number(header.baseTimestamp)
  const logAppend = (header.attributes & L.ATTR_TIMESTAMP_TYPE) !== 0
  const maxTs = Number(header.maxTimestamp)
  let o = 0
  for (let i = 0; i < header.recordsCount; i++) {
    readVarint(section, o, v)
    const end = v.next + v.value
    if (v.value < 0 || end > section.length) throw new RangeError('record length runs past the batch')
    o = v.next + 1 // attributes (unused)
    o = readVarint(section, o, v).next
    const timestampDelta = v.value
    o = readVarint(section, o, v).next
    const offsetDelta = v.value
    const key = readBytes(section, o, v, end)
    o = v.next
    const value = readBytes(section, o, v, end)
    o = v.next
    o = readVarint(section, o, v).next
    const headerCount = v.value
    if (headerCount < 0 || headerCount > end - o) throw new RangeError('invalid record header count')
    const headers: RecordHeader[] = new Array(headerCount)
    for (let h = 0; h < headerCount; h++) {
      const hk = readBytes(section, o, v, end)
      o = v.next
      const hv = readBytes(section, o, v, end)
      o = v.next
      headers[h] = { key: hk === null ? '' : hk.toString('utf8'), value: hv }
    }
    if (o !== end) throw new RangeError('record length does not match its fields')
    out[i] = {
      offset: header.baseOffset + BigInt(offsetDelta),
      timestamp: logAppend ? maxTs : baseTs + timestampDelta,
      key,
      value,
      headers,
    }
  }
  return out
}

function readBytes(buf: Buffer, o: number, v: VarintRead, end: number): Buffer | null {
  readVarint(buf, o, v)
  const len = v.value
  if (len < 0) return null
  const start = v.next
  if (start + len > end) throw new RangeError('record field runs past the record')
  v.next = start + len
  return buf.subarray(start, start + len)
}
