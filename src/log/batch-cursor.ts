// Sequential batch access within one segment, reading the file in windows so that scans (reads,
// timestamp lookups, compaction) issue a few large reads rather than one per batch.
import * as L from '../protocol/records/layout.ts'
import type { Segment } from './segment.ts'

export interface BatchView {
  /** Buffer holding the batch at [at, at + size). */
  buf: Buffer
  at: number
  size: number
  /** File position of the batch. */
  filePos: number
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
}

const WINDOW = 256 * 1024

/** Yields the batches of `segment` from file position `start` up to `limit`. */
export async function* batchesOf(
  segment: Segment,
  start: number,
  limit: number,
  window = WINDOW,
): AsyncGenerator<BatchView> {
  let pos = start
  let buf: Buffer = Buffer.alloc(0)
  let bufStart = start
  while (pos < limit) {
    let at = pos - bufStart
    let need = L.LOG_OVERHEAD
    if (buf.length - at >= L.LOG_OVERHEAD) need = buf.readInt32BE(at + L.BATCH_LENGTH) + L.LOG_OVERHEAD
    if (buf.length - at < need) {
      buf = await segment.read(pos, Math.min(Math.max(window, need), limit - pos))
      bufStart = pos
      at = 0
      if (buf.length < L.LOG_OVERHEAD) return
      need = buf.readInt32BE(L.BATCH_LENGTH) + L.LOG_OVERHEAD
      if (buf.length < need) return // the segment ends early (truncated under us)
    }
    const baseOffset = Number(buf.readBigInt64BE(at + L.BASE_OFFSET))
    yield {
      buf,
      at,
      size: need,
      filePos: pos,
      baseOffset,
      lastOffset: baseOffset + buf.readInt32BE(at + L.LAST_OFFSET_DELTA),
      maxTimestamp: Number(buf.readBigInt64BE(at + L.MAX_TIMESTAMP)),
    }
    pos += need
  }
}
