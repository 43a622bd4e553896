// Produce: each partition's record bytes go to the log as received (the log checks every batch and
// rewrites only offsets). The response waits for the topic's durability policy, so acks=1 and
// acks=-1 mean the same on a single node: on disk. Idempotent producers' retries are recognised by
// the log, which answers them with the original offsets. Transactional batches are first checked
// with the transaction coordinator (`verify`), synchronously right before the append.
import { type KafkaErrorName, errorCode, toKafkaError } from '../../protocol/errors.ts'
import type {
  PartitionProduceResponse,
  ProduceRequest,
  ProduceResponse,
} from '../../protocol/messages/produce.ts'
import { lookupTopic } from '../auto-create.ts'
import type { BrokerContext } from '../context.ts'

function partitionResult(
  index: number,
  code: number,
  message: string | null = null,
): PartitionProduceResponse {
  return {
    index,
    errorCode: code,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage: message,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  }
}

/** Checks a partition's records against the transaction coordinator: the error to answer, or null. */
export type ProduceVerifier = (
  transactionalId: string | null,
  records: Buffer,
  topic: string,
  partition: number,
) => KafkaErrorName | null

export async function produce(
  b: BrokerContext,
  req: ProduceRequest,
  version: number,
  verify: ProduceVerifier = () => null,
): Promise<ProduceResponse> {
  const badAcks = req.acks !== 0 && req.acks !== 1 && req.acks !== -1
  // Produce v0-v2 carry message sets older than the v2 record batch, which Riffle does not store.
  const oldFormat = version < 3
  const responses = await Promise.all(
    req.topicData.map(async (td) => {
      const topic = badAcks ? 'INVALID_REQUIRED_ACKS' : lookupTopic(b, td.name, true)
      const partitionResponses = await Promise.all(
        td.partitionData.map(async (pd): Promise<PartitionProduceResponse> => {
          if (badAcks)
            return partitionResult(
              pd.index,
              errorCode('INVALID_REQUIRED_ACKS'),
              `acks must be 0, 1 or -1, not ${req.acks}`,
            )
          if (oldFormat) {
            return partitionResult(
              pd.index,
              errorCode('UNSUPPORTED_FOR_MESSAGE_FORMAT'),
              `produce v${version} carries a pre-v2 message set; use produce v3 or later`,
            )
          }
          if (typeof topic === 'string') return partitionResult(pd.index, errorCode(topic))
          const log = topic.partitions[pd.index]
          if (!log) return partitionResult(pd.index, errorCode('UNKNOWN_TOPIC_OR_PARTITION'))
          if (pd.records === null || pd.records.length === 0)
            return partitionResult(pd.index, errorCode('CORRUPT_MESSAGE'))
          const refused = verify(req.transactionalId, pd.records, td.name, pd.index)
          if (refused) return partitionResult(pd.index, errorCode(refused))
          try {
            const r = await log.append(pd.records)
            return {
              ...partitionResult(pd.index, 0),
              baseOffset: BigInt(r.baseOffset),
              logAppendTimeMs: BigInt(r.logAppendTime),
              logStartOffset: BigInt(r.logStartOffset),
            }
          } catch (e) {
            const k = toKafkaError(e)
            return partitionResult(pd.index, k.code, k.message)
          }
        }),
      )
      return { name: td.name, partitionResponses }
    }),
  )
  return { responses, throttleTimeMs: 0, nodeEndpoints: [] }
}
