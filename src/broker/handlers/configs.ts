// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs for topics (Kafka's topic config names)
// and a read-only view of the broker's defaults.
import { RiffleError } from '../../core/errors.ts'
import { CONFIG_KEYS, type ConfigKey, applyConfig, describeConfig } from '../../log/config.ts'
import { errorCode, toKafkaError } from '../../protocol/errors.ts'
import type { AlterConfigsRequest, AlterConfigsResponse } from '../../protocol/messages/alter-configs.ts'
import type {
  DescribeConfigsRequest,
  DescribeConfigsResourceResult,
  DescribeConfigsResponse,
  DescribeConfigsResult,
} from '../../protocol/messages/describe-configs.ts'
import type {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from '../../protocol/messages/incremental-alter-configs.ts'
import type { BrokerContext } from '../context.ts'
import { SOURCE_DEFAULT, SOURCE_TOPIC } from './topics.ts'

export const RESOURCE_TOPIC = 2
export const RESOURCE_BROKER = 4
const SOURCE_STATIC_BROKER = 4

/** Kafka's config value types, for DescribeConfigs v3+. */
const TYPE = { STRING: 2, INT: 3, LONG: 5, LIST: 7 } as const
const TOPIC_TYPES: Record<ConfigKey, number> = {
  'segment.bytes': TYPE.INT,
  'segment.ms': TYPE.LONG,
  'retention.ms': TYPE.LONG,
  'retention.bytes': TYPE.LONG,
  'cleanup.policy': TYPE.LIST,
  'delete.retention.ms': TYPE.LONG,
  'min.compaction.lag.ms': TYPE.LONG,
  'max.message.bytes': TYPE.INT,
  'index.interval.bytes': TYPE.INT,
  'message.timestamp.type': TYPE.STRING,
  fsync: TYPE.STRING,
}

function entry(
  name: string,
  value: string,
  source: number,
  type: number,
  readOnly: boolean,
): DescribeConfigsResourceResult {
  return {
    name,
    value,
    readOnly,
    isDefault: source === SOURCE_DEFAULT,
    configSource: source,
    isSensitive: false,
    synonyms: [],
    configType: type,
    documentation: null,
  }
}

function brokerConfigs(b: BrokerContext): DescribeConfigsResourceResult[] {
  const d = describeConfig(b.store.defaults)
  const pairs: Array<[string, string, number]> = [
    ['num.partitions', String(b.defaultPartitions), TYPE.INT],
    ['auto.create.topics.enable', String(b.autoCreateTopics), 1],
    ['log.segment.bytes', d['segment.bytes'], TYPE.INT],
    ['log.retention.ms', d['retention.ms'], TYPE.LONG],
    ['log.retention.bytes', d['retention.bytes'], TYPE.LONG],
    ['log.cleanup.policy', d['cleanup.policy'], TYPE.LIST],
    ['message.max.bytes', d['max.message.bytes'], TYPE.INT],
    ['log.message.timestamp.type', d['message.timestamp.type'], TYPE.STRING],
  ]
  return pairs.map(([name, value, type]) => entry(name, value, SOURCE_STATIC_BROKER, type, true))
}

export function describeConfigs(b: BrokerContext, req: DescribeConfigsRequest): DescribeConfigsResponse {
  const results = req.resources.map((r): DescribeConfigsResult => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName }
    let configs: DescribeConfigsResourceResult[]
    if (r.resourceType === RESOURCE_TOPIC) {
      const topic = b.store.topic(r.resourceName)
      if (!topic) {
        return {
          ...base,
          errorCode: errorCode('UNKNOWN_TOPIC_OR_PARTITION'),
          errorMessage: `topic '${r.resourceName}' does not exist`,
          configs: [],
        }
      }
      const values = describeConfig(topic.config)
      configs = CONFIG_KEYS.map((k) =>
        entry(k, values[k], k in topic.meta.configs ? SOURCE_TOPIC : SOURCE_DEFAULT, TOPIC_TYPES[k], false),
      )
    } else if (r.resourceType === RESOURCE_BROKER) {
      if (r.resourceName !== '' && r.resourceName !== String(b.nodeId)) {
        return {
          ...base,
          errorCode: errorCode('INVALID_REQUEST'),
          errorMessage: `unknown broker '${r.resourceName}'`,
          configs: [],
        }
      }
      configs = brokerConfigs(b)
    } else {
      return {
        ...base,
        errorCode: errorCode('INVALID_REQUEST'),
        errorMessage: `unsupported resource type ${r.resourceType}`,
        configs: [],
      }
    }
    if (r.configurationKeys) configs = configs.filter((c) => r.configurationKeys!.includes(c.name))
    return { ...base, errorCode: 0, errorMessage: null, configs }
  })
  return { throttleTimeMs: 0, results }
}

type Change = (current: Record<string, string>) => Record<string, string | null>

function alterOne(b: BrokerContext, type: number, name: string, change: Change, validateOnly: boolean) {
  const base = { resourceType: type, resourceName: name }
  try {
    if (type !== RESOURCE_TOPIC)
      throw new RiffleError('INVALID_ARGUMENT', 'only topic configs can be altered')
    const topic = b.store.topic(name)
    if (!topic)
      return {
        ...base,
        errorCode: errorCode('UNKNOWN_TOPIC_OR_PARTITION'),
        errorMessage: `topic '${name}' does not exist`,
      }
    const next = change(topic.meta.configs)
    if (validateOnly) {
      const merged: Record<string, string> = { ...topic.meta.configs }
      for (const [k, v] of Object.entries(next)) {
        if (v === null) delete merged[k]
        else merged[k] = v
      }
      applyConfig(b.store.defaults, merged)
    } else b.store.setTopicConfigs(name, next)
    return { ...base, errorCode: 0, errorMessage: null }
  } catch (e) {
    const k = toKafkaError(e)
    return {
      ...base,
      errorCode: k.name === 'INVALID_REQUEST' ? errorCode('INVALID_REQUEST') : k.code,
      errorMessage: k.message,
    }
  }
}

/** AlterConfigs replaces the whole set: keys not given return to their defaults. */
export function alterConfigs(b: BrokerContext, req: AlterConfigsRequest): AlterConfigsResponse {
  return {
    throttleTimeMs: 0,
    responses: req.resources.map((r) =>
      alterOne(
        b,
        r.resourceType,
        r.resourceName,
        (current) => {
          const next: Record<string, string | null> = {}
          for (const k of Object.keys(current)) next[k] = null
          for (const c of r.configs) next[c.name] = c.value
          return next
        },
        req.validateOnly,
      ),
    ),
  }
}

const OP_SET = 0
const OP_DELETE = 1
const OP_APPEND = 2
const OP_SUBTRACT = 3

export function incrementalAlterConfigs(
  b: BrokerContext,
  req: IncrementalAlterConfigsRequest,
): IncrementalAlterConfigsResponse {
  return {
    throttleTimeMs: 0,
    responses: req.resources.map((r) =>
      alterOne(
        b,
        r.resourceType,
        r.resourceName,
        (current) => {
          const next: Record<string, string | null> = {}
          const effective = describeConfig(applyConfig(b.store.defaults, current)) as Record<string, string>
          for (const c of r.configs) {
            const list = (next[c.name] ?? effective[c.name] ?? '').split(',').filter(Boolean)
            const items = (c.value ?? '').split(',').filter(Boolean)
            if (c.configOperation === OP_SET) next[c.name] = c.value
            else if (c.configOperation === OP_DELETE) next[c.name] = null
            else if (c.configOperation === OP_APPEND)
              next[c.name] = [...list, ...items.filter((i) => !list.includes(i))].join(',')
            else if (c.configOperation === OP_SUBTRACT)
              next[c.name] = list.filter((i) => !items.includes(i)).join(',')
            else throw new RiffleError('INVALID_ARGUMENT', `unknown config operation ${c.configOperation}`)
          }
          return next
        },
        req.validateOnly,
      ),
    ),
  }
}
