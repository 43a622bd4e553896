// ListOffsets: earliest (-2), latest (-1), the record with the largest timestamp (-3), or the first
// offset at or after a timestamp. Under read_committed (isolation level 1) the readable end is the
// last stable offset instead of the high watermark: latest answers it, and a timestamp lookup that
// lands at or beyond it finds nothing, as in Kafka.
import { toKafkaError } from '../../protocol/errors.ts'
import { errorCode } from '../../protocol/errors.ts'
import type {
  ListOffsetsPartitionResponse,
  ListOffsetsRequest,
  ListOffsetsResponse,
} from '../../protocol/messages/list-offsets.ts'
import type { BrokerContext } from '../context.ts'

const LATEST = -1n
const EARLIEST = -2n
const MAX_TIMESTAMP = -3n
const READ_COMMITTED = 1

export async function listOffsets(b: BrokerContext, req: ListOffsetsRequest): Promise<ListOffsetsResponse> {
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p): Promise<ListOffsetsPartitionResponse> => {
          const result = (code: number, offset = -1n, timestamp = -1n): ListOffsetsPartitionResponse => ({
            partitionIndex: p.partitionIndex,
            errorCode: code,
            oldStyleOffsets: [],
            timestamp,
            offset,
            leaderEpoch: code === 0 ? 0 : -1,
          })
          const log = b.store.partition(t.name, p.partitionIndex)
          if (!log) return result(errorCode('UNKNOWN_TOPIC_OR_PARTITION'))
          const end = (): number =>
            req.isolationLevel === READ_COMMITTED ? log.lastStableOffset : log.highWatermark
          const found = (f: { offset: number; timestamp: number } | null): ListOffsetsPartitionResponse =>
            f && f.offset < end() ? result(0, BigInt(f.offset), BigInt(f.timestamp)) : result(0)
          try {
            if (p.timestamp === LATEST) return result(0, BigInt(end()))
            if (p.timestamp === EARLIEST) return result(0, BigInt(log.logStartOffset))
            if (p.timestamp === MAX_TIMESTAMP) return found(await log.maxTimestampRecord())
            return found(await log.offsetForTimestamp(Number(p.timestamp)))
          } catch (e) {
            return result(toKafkaError(e).code)
          }
        }),
      ),
    })),
  )
  return { throttleTimeMs: 0, topics }
}
