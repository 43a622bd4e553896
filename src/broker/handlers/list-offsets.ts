// ListOffsets: earliest (-2), latest (-1), the record with the largest timestamp (-3), or the first
// offset at or after a timestamp. Until transactions exist the last stable offset is the high
// watermark, so both isolation levels see the same latest offset.
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
          try {
            if (p.timestamp === LATEST) return result(0, BigInt(log.highWatermark))
            if (p.timestamp === EARLIEST) return result(0, BigInt(log.logStartOffset))
            if (p.timestamp === MAX_TIMESTAMP) {
              const found = await log.maxTimestampRecord()
              return found ? result(0, BigInt(found.offset), BigInt(found.timestamp)) : result(0)
            }
            const found = await log.offsetForTimestamp(Number(p.timestamp))
            return found ? result(0, BigInt(found.offset), BigInt(found.timestamp)) : result(0)
          } catch (e) {
            return result(toKafkaError(e).code)
          }
        }),
      ),
    })),
  )
  return { throttleTimeMs: 0, topics }
}
