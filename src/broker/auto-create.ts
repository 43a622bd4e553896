// Topic lookup with Kafka's auto-creation: a topic named by a metadata or produce request is created
// with the broker's default partition count when auto-creation is on.
import { isRiffleError } from '../core/errors.ts'
import type { Topic } from '../log/store.ts'
import type { KafkaErrorName } from '../protocol/errors.ts'
import type { BrokerContext } from './context.ts'

export const INTERNAL_TOPIC_PREFIX = '__'

export function lookupTopic(b: BrokerContext, name: string, allowCreate: boolean): Topic | KafkaErrorName {
  const existing = b.store.topic(name)
  if (existing) return existing
  if (!allowCreate || !b.autoCreateTopics || name.startsWith(INTERNAL_TOPIC_PREFIX))
    return 'UNKNOWN_TOPIC_OR_PARTITION'
  try {
    return b.store.createTopic(name, b.defaultPartitions)
  } catch (e) {
    if (isRiffleError(e, 'INVALID_TOPIC')) return 'INVALID_TOPIC_EXCEPTION'
    if (isRiffleError(e, 'TOPIC_ALREADY_EXISTS')) return b.store.topic(name) ?? 'UNKNOWN_TOPIC_OR_PARTITION'
    throw e
  }
}
