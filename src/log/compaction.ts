// Log compaction (cleanup.policy=compact): keep only the latest record per key in the closed
// segments. It runs as partition maintenance, never inside the append path: the active segment is
// not touched, a cleaned segment is written beside the old one and swapped in atomically, and
// in-flight reads finish on the old file.
//
// Tombstones (null values) are kept for delete.retention.ms after their own timestamp, so that
// consumers catching up still see the delete, then dropped.
import fs from 'node:fs'
import type { CompressionCodec } from '../protocol/compression/index.ts'
import * as L from '../protocol/records/layout.ts'
import { decodeRecordBatch, encodeRecordBatch } from '../protocol/records/record.ts'
import { batchesOf } from './batch-cursor.ts'
import { datasync, fsyncDir } from './fsio.ts'
import type { PartitionLog } from './partition-log.ts'
import { Segment } from './segment.ts'

export interface CompactionStats {
  segmentsCleaned: number
  recordsRemoved: number
  bytesBefore: number
  bytesAfter: number
}

/** A key as a map key: latin1 maps each byte to one char, so distinct byte strings stay distinct. */
const keyOf = (key: Buffer): string => key.toString('latin1')

export function compactPartition(log: PartitionLog, now = Date.now()): Promise<CompactionStats> {
  return log.exclusive(async () => {
    const stats: CompactionStats = { segmentsCleaned: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 }
    const { compact } = log.config.cleanupPolicy
    if (!compact) return stats
    // Cleanable: closed segments wholly below the last stable offset (durable, no open transaction)
    // and old enough for min.compaction.lag.ms, as a prefix of the log.
    const cleanable: Segment[] = []
    for (const s of log.segments.slice(0, -1)) {
      if (s.nextOffset > log.lastStableOffset || s.maxTimestamp > now - log.config.minCompactionLagMs) break
      cleanable.push(s)
    }
    if (cleanable.length === 0) return stats

    // Records of aborted transactions never count as a key's latest value, and are removed.
    const aborted = log.producers.abortedOverlapping(0, cleanable[cleanable.length - 1]!.nextOffset)
    const isAborted = (producerId: bigint, transactional: boolean, offset: number): boolean =>
      transactional &&
      aborted.some((a) => a.producerId === producerId && a.firstOffset <= offset && offset <= a.lastOffset)
    const latest = new Map<string, number>()
    // The last data batch of each producer survives (empty if need be), as in Kafka, so that the
    // producer's sequence numbers can still be rebuilt from the log.
    const lastBatchOf = new Map<bigint, number>()
    for (const seg of cleanable) {
      for await (const b of batchesOf(seg, 0, seg.durableSize)) {
        if (isControl(b.buf, b.at)) continue
        const { header, records } = decodeRecordBatch(b.buf, b.at)
        if (header.producerId >= 0n) lastBatchOf.set(header.producerId, b.baseOffset)
        const transactional = (header.attributes & L.ATTR_TRANSACTIONAL) !== 0
        if (isAborted(header.producerId, transactional, b.baseOffset)) continue
        for (const r of records) {
          if (r.key !== null) latest.set(keyOf(r.key), Number(r.offset))
        }
      }
    }

    const tombstoneHorizon = now - log.config.deleteRetentionMs
    for (const seg of cleanable) {
      const out: Buffer[] = []
      let removed = 0
      for await (const b of batchesOf(seg, 0, seg.durableSize)) {
        const bytes = b.buf.subarray(b.at, b.at + b.size)
        if (isControl(b.buf, b.at)) {
          out.push(bytes)
          continue
        }
        const { header, records } = decodeRecordBatch(b.buf, b.at)
        const abortedBatch = isAborted(
          header.producerId,
          (header.attributes & L.ATTR_TRANSACTIONAL) !== 0,
          b.baseOffset,
        )
        const kept = abortedBatch
          ? []
          : records.filter(
              (r) =>
                r.key === null ||
                (latest.get(keyOf(r.key)) === Number(r.offset) &&
                  (r.value !== null || r.timestamp >= tombstoneHorizon)),
            )
        removed += records.length - kept.length
        const producersLast = header.producerId >= 0n && lastBatchOf.get(header.producerId) === b.baseOffset
        if (kept.length === records.length) out.push(Buffer.from(bytes))
        else if (kept.length > 0 || producersLast) {
          out.push(
            encodeRecordBatch(
              kept.map((r) => ({
                key: r.key,
                value: r.value,
                headers: r.headers,
                timestamp: r.timestamp,
                offsetDelta: Number(r.offset - header.baseOffset),
              })),
              {
                baseOffset: header.baseOffset,
                compression: (header.attributes & L.ATTR_COMPRESSION_MASK) as CompressionCodec,
                logAppendTime: (header.attributes & L.ATTR_TIMESTAMP_TYPE) !== 0,
                transactional: (header.attributes & L.ATTR_TRANSACTIONAL) !== 0,
                producerId: header.producerId,
                producerEpoch: header.producerEpoch,
                baseSequence: header.baseSequence,
                partitionLeaderEpoch: header.partitionLeaderEpoch,
                lastOffsetDelta: header.lastOffsetDelta,
                baseTimestamp: Number(header.baseTimestamp),
              },
            ),
          )
        }
      }
      if (removed === 0) continue
      stats.segmentsCleaned++
      stats.recordsRemoved += removed
      stats.bytesBefore += seg.size
      const cleaned = await rewriteSegment(log, seg, out)
      stats.bytesAfter += cleaned.size
    }
    return stats
  })
}

function isControl(buf: Buffer, at: number): boolean {
  return (buf.readInt16BE(at + L.ATTRIBUTES) & L.ATTR_CONTROL) !== 0
}

/**
 * Replaces a segment's file with `batches`. The old indexes are removed before the rename so that a
 * crash at any point leaves either the old or the new log file, and indexes that get rebuilt.
 */
async function rewriteSegment(log: PartitionLog, seg: Segment, batches: Buffer[]): Promise<Segment> {
  const target = seg.path('.log')
  const tmp = `${target}.cleaned`
  const fd = fs.openSync(tmp, 'w')
  try {
    for (const b of batches) fs.writeSync(fd, b)
    await datasync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.rmSync(seg.path('.index'), { force: true })
  fs.rmSync(seg.path('.timeindex'), { force: true })
  fs.renameSync(tmp, target)
  fsyncDir(log.dir)
  const { segment } = Segment.open(log.dir, seg.baseOffset, log.config.indexIntervalBytes, {
    fullScan: true,
    strict: false,
  })
  segment.sealTimeIndex()
  segment.rewriteIndexFiles()
  await log.replaceSegment(seg, segment)
  return segment
}
