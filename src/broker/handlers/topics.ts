// Topic administration: create, delete, add partitions, delete records. Replication settings are
// accepted when they describe this single node (factor 1 or the -1 default), as a one-broker Kafka
// cluster would.
import { RiffleError } from '../../core/errors.ts'
import { applyConfig, describeConfig } from '../../log/config.ts'
import { validateTopicName } from '../../log/store.ts'
import { errorCode, toKafkaError } from '../../protocol/errors.ts'
import type {
  CreatePartitionsRequest,
  CreatePartitionsResponse,
} from '../../protocol/messages/create-partitions.ts'
import type {
  CreatableTopicResult,
  CreateTopicsRequest,
  CreateTopicsResponse,
} from '../../protocol/messages/create-topics.ts'
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '../../protocol/messages/delete-records.ts'
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/messages/delete-topics.ts'
import { INTERNAL_TOPIC_PREFIX } from '../auto-create.ts'
import type { BrokerContext } from '../context.ts'

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'
/** DescribeConfigs/CreateTopics config sources. */
export const SOURCE_TOPIC = 1
export const SOURCE_DEFAULT = 5

export function createTopics(b: BrokerContext, req: CreateTopicsRequest): CreateTopicsResponse {
  const topics = req.topics.map((t): CreatableTopicResult => {
    const fail = (e: unknown): CreatableTopicResult => {
      const k = toKafkaError(e)
      return {
        name: t.name,
        topicId: ZERO_UUID,
        errorCode: k.code,
        errorMessage: k.message,
        topicConfigErrorCode: 0,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      }
    }
    try {
      validateTopicName(t.name)
      if (t.replicationFactor !== -1 && t.replicationFactor !== 1 && t.assignments.length === 0) {
        throw new RiffleError(
          'INVALID_ARGUMENT',
          `replication factor ${t.replicationFactor} exceeds the 1 broker available`,
        )
      }
      if (t.assignments.some((a) => a.brokerIds.some((id) => id !== b.nodeId))) {
        throw new RiffleError('INVALID_ARGUMENT', `replica assignments may only name broker ${b.nodeId}`)
      }
      const partitions =
        t.assignments.length > 0
          ? t.assignments.length
          : t.numPartitions === -1
            ? b.defaultPartitions
            : t.numPartitions
      const configs: Record<string, string> = {}
      for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value
      const effective = applyConfig(b.store.defaults, configs)
      if (b.store.topic(t.name))
        throw new RiffleError('TOPIC_ALREADY_EXISTS', `topic '${t.name}' already exists`)
      if (!Number.isInteger(partitions) || partitions < 1) {
        return {
          ...fail(new RiffleError('INVALID_ARGUMENT', `invalid partition count ${partitions}`)),
          errorCode: errorCode('INVALID_PARTITIONS'),
        }
      }
      const id = req.validateOnly ? ZERO_UUID : b.store.createTopic(t.name, partitions, configs).meta.id
      const described = describeConfig(effective)
      return {
        name: t.name,
        topicId: id,
        errorCode: 0,
        errorMessage: null,
        topicConfigErrorCode: 0,
        numPartitions: partitions,
        replicationFactor: 1,
        configs: Object.entries(described).map(([name, value]) => ({
          name,
          value,
          readOnly: false,
          configSource: name in configs ? SOURCE_TOPIC : SOURCE_DEFAULT,
          isSensitive: false,
        })),
      }
    } catch (e) {
      const r = fail(e)
      if (
        e instanceof RiffleError &&
        e.code === 'INVALID_ARGUMENT' &&
        /replication|assignment/.test(e.message)
      ) {
        r.errorCode = errorCode(
          /replication/.test(e.message) ? 'INVALID_REPLICATION_FACTOR' : 'INVALID_REPLICA_ASSIGNMENT',
        )
      }
      return r
    }
  })
  return { throttleTimeMs: 0, topics }
}

export async function deleteTopics(
  b: BrokerContext,
  req: DeleteTopicsRequest,
  version: number,
  onDeleted: (topic: string) => Promise<void>,
): Promise<DeleteTopicsResponse> {
  const wanted =
    version >= 6
      ? req.topics.map((t) => ({
          name: t.name ?? b.store.listTopics().find((m) => m.id === t.topicId)?.name ?? null,
          topicId: t.topicId,
        }))
      : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }))
  const responses = []
  for (const w of wanted) {
    const topic = w.name === null ? undefined : b.store.topic(w.name)
    if (!topic || w.name === null) {
      responses.push({
        name: w.name,
        topicId: w.topicId,
        errorCode: errorCode('UNKNOWN_TOPIC_OR_PARTITION'),
        errorMessage: 'no such topic',
      })
      continue
    }
    if (w.name.startsWith(INTERNAL_TOPIC_PREFIX)) {
      responses.push({
        name: w.name,
        topicId: topic.meta.id,
        errorCode: errorCode('INVALID_TOPIC_EXCEPTION'),
        errorMessage: 'internal topics cannot be deleted',
      })
      continue
    }
    const id = topic.meta.id
    try {
      await b.store.deleteTopic(w.name)
      await onDeleted(w.name)
      responses.push({ name: w.name, topicId: id, errorCode: 0, errorMessage: null })
    } catch (e) {
      const k = toKafkaError(e)
      responses.push({ name: w.name, topicId: id, errorCode: k.code, errorMessage: k.message })
    }
  }
  return { throttleTimeMs: 0, responses }
}

export function createPartitions(b: BrokerContext, req: CreatePartitionsRequest): CreatePartitionsResponse {
  return {
    throttleTimeMs: 0,
    results: req.topics.map((t) => {
      const topic = b.store.topic(t.name)
      if (!topic)
        return {
          name: t.name,
          errorCode: errorCode('UNKNOWN_TOPIC_OR_PARTITION'),
          errorMessage: 'no such topic',
        }
      if (t.count <= topic.meta.partitions) {
        return {
          name: t.name,
          errorCode: errorCode('INVALID_PARTITIONS'),
          errorMessage: `topic has ${topic.meta.partitions} partitions; the new count must be larger`,
        }
      }
      if (t.assignments?.some((a) => a.brokerIds.some((id) => id !== b.nodeId))) {
        return {
          name: t.name,
          errorCode: errorCode('INVALID_REPLICA_ASSIGNMENT'),
          errorMessage: `only broker ${b.nodeId} exists`,
        }
      }
      try {
        if (!req.validateOnly) b.store.addPartitions(t.name, t.count)
        return { name: t.name, errorCode: 0, errorMessage: null }
      } catch (e) {
        const k = toKafkaError(e)
        return { name: t.name, errorCode: k.code, errorMessage: k.message }
      }
    }),
  }
}

export async function deleteRecords(
  b: BrokerContext,
  req: DeleteRecordsRequest,
): Promise<DeleteRecordsResponse> {
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p) => {
          const log = b.store.partition(t.name, p.partitionIndex)
          if (!log)
            return {
              partitionIndex: p.partitionIndex,
              lowWatermark: -1n,
              errorCode: errorCode('UNKNOWN_TOPIC_OR_PARTITION'),
            }
          try {
            // -1 means "up to the high watermark".
            const target = p.offset === -1n ? log.highWatermark : Number(p.offset)
            const low = await log.deleteRecords(target)
            return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(low), errorCode: 0 }
          } catch (e) {
            return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: toKafkaError(e).code }
          }
        }),
      ),
    })),
  )
  return { throttleTimeMs: 0, topics }
}
