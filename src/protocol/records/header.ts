// Reading and validating batch headers straight from bytes. The log and the broker only ever look at
// headers; records stay as opaque (and often compressed) bytes unless a feature needs them.
import { crc32c } from '../../core/crc32c.ts'
import { RiffleError } from '../../core/errors.ts'
import * as L from './layout.ts'

export interface BatchHeader {
  baseOffset: bigint
  /** Total size of the batch in bytes, including baseOffset and batchLength. */
  size: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: bigint
  maxTimestamp: bigint
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  recordsCount: number
}

/** Reads the header of the batch at `pos` without checking it. The caller ensures HEADER_SIZE bytes. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(pos + L.BASE_OFFSET),
    size: buf.readInt32BE(pos + L.BATCH_LENGTH) + L.LOG_OVERHEAD,
    partitionLeaderEpoch: buf.readInt32BE(pos + L.PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(pos + L.MAGIC),
    crc: buf.readUInt32BE(pos + L.CRC),
    attributes: buf.readInt16BE(pos + L.ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(pos + L.LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(pos + L.BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(pos + L.MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(pos + L.PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + L.PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + L.BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(pos + L.RECORDS_COUNT),
  }
}

/** Why a batch is not acceptable; `incomplete` means the bytes simply end too early. */
export type BatchProblem = 'incomplete' | 'too-small' | 'bad-magic' | 'bad-crc' | 'bad-counts'

/**
 * Checks the batch starting at `pos`: enough bytes, a sane length, magic 2, a matching CRC and
 * consistent counts. Returns the batch size in bytes, or the problem. Cheap enough for every append
 * and for recovery scans: one CRC pass over the batch and no allocation.
 */
export function checkBatch(buf: Buffer, pos: number, end = buf.length): number | BatchProblem {
  if (end - pos < L.LOG_OVERHEAD) return 'incomplete'
  const length = buf.readInt32BE(pos + L.BATCH_LENGTH)
  if (length < L.HEADER_SIZE - L.LOG_OVERHEAD) return 'too-small'
  const size = length + L.LOG_OVERHEAD
  if (end - pos < size) return 'incomplete'
  if (buf[pos + L.MAGIC] !== 2) return 'bad-magic'
  const stored = buf.readUInt32BE(pos + L.CRC)
  if (crc32c(buf.subarray(pos + L.ATTRIBUTES, pos + size)) !== stored) return 'bad-crc'
  const lastOffsetDelta = buf.readInt32BE(pos + L.LAST_OFFSET_DELTA)
  const count = buf.readInt32BE(pos + L.RECORDS_COUNT)
  if (lastOffsetDelta < 0 || count < 0 || count > lastOffsetDelta + 1) return 'bad-counts'
  return size
}

const PROBLEM_TEXT: Record<BatchProblem, string> = {
  incomplete: 'the batch is truncated',
  'too-small': 'the batch length is smaller than a v2 batch header',
  'bad-magic': 'the batch is not a v2 record batch (magic byte is not 2)',
  'bad-crc': 'the batch CRC-32C does not match its contents',
  'bad-counts': 'the record count does not match the last offset delta',
}

export function batchProblemError(problem: BatchProblem, where: string): RiffleError {
  return new RiffleError('CORRUPT_MESSAGE', `${where}: ${PROBLEM_TEXT[problem]}`)
}

/** Offset of the last record in the batch at `pos`. */
export function lastOffsetOf(buf: Buffer, pos = 0): bigint {
  return buf.readBigInt64BE(pos + L.BASE_OFFSET) + BigInt(buf.readInt32BE(pos + L.LAST_OFFSET_DELTA))
}

/** The offset after the last whole, valid batch of concatenated `bytes` (as a log read returns them), or -1. */
export function endOffsetOf(bytes: Buffer): number {
  let end = -1
  for (let pos = 0; pos < bytes.length; ) {
    const size = checkBatch(bytes, pos)
    if (typeof size !== 'number') break
    end = Number(lastOffsetOf(bytes, pos)) + 1
    pos += size
  }
  return end
}

/** Recomputes and stores the CRC of the batch at `pos` after a header field it covers was changed. */
export function restampCrc(buf: Buffer, pos: number, size: number): void {
  buf.writeUInt32BE(crc32c(buf.subarray(pos + L.ATTRIBUTES, pos + size)), pos + L.CRC)
}
