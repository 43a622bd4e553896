// Reading a whole partition in order, batch by batch: how the internal topics (committed offsets,
// transaction state) rebuild their in-memory state on start.
import { batchProblemError, checkBatch, lastOffsetOf } from '../protocol/records/header.ts'
import type { PartitionLog } from './partition-log.ts'

const READ_BYTES = 1024 * 1024

/**
 * Calls `visit(bytes, pos)` for every stored batch from the log start up to the high watermark as it
 * was at the call, in offset order. A batch that fails its check stops the replay with an error.
 */
export async function forEachBatch(
  log: PartitionLog,
  visit: (bytes: Buffer, pos: number) => void,
): Promise<void> {
  let next = log.logStartOffset
  const end = log.highWatermark
  while (next < end) {
    const { bytes } = await log.read(next, READ_BYTES)
    if (bytes.length === 0) break
    for (let pos = 0; pos < bytes.length; ) {
      const size = checkBatch(bytes, pos)
      if (typeof size !== 'number')
        throw batchProblemError(size, `${log.dir}: replaying the batch at offset ${next}`)
      next = Number(lastOffsetOf(bytes, pos)) + 1
      visit(bytes, pos)
      pos += size
    }
  }
}
