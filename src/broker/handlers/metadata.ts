// Metadata: every partition is led by this node in epoch 0 with itself as the only replica.
import type { Topic } from '../../log/store.ts'
import { errorCode } from '../../protocol/errors.ts'
import type {
  MetadataRequest,
  MetadataResponse,
  MetadataResponseTopic,
} from '../../protocol/messages/metadata.ts'
import { INTERNAL_TOPIC_PREFIX, lookupTopic } from '../auto-create.ts'
import type { BrokerContext } from '../context.ts'
import { OPS_OMITTED } from './cluster.ts'

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

function describeTopic(b: BrokerContext, t: Topic): MetadataResponseTopic {
  return {
    errorCode: 0,
    name: t.meta.name,
    topicId: t.meta.id,
    isInternal: t.meta.name.startsWith(INTERNAL_TOPIC_PREFIX),
    partitions: t.partitions.map((_, i) => ({
      errorCode: 0,
      partitionIndex: i,
      leaderId: b.nodeId,
      leaderEpoch: 0,
      replicaNodes: [b.nodeId],
      isrNodes: [b.nodeId],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: OPS_OMITTED,
  }
}

export function metadata(b: BrokerContext, req: MetadataRequest, version: number): MetadataResponse {
  // v0 used an empty list for "all topics"; later versions use null.
  const all = req.topics === null || (version === 0 && req.topics.length === 0)
  const allowCreate = version < 4 || req.allowAutoTopicCreation
  const topics: MetadataResponseTopic[] = []
  if (all) {
    for (const meta of b.store.listTopics()) topics.push(describeTopic(b, b.store.topic(meta.name)!))
  } else {
    for (const requested of req.topics!) {
      const name = requested.name ?? b.store.listTopics().find((m) => m.id === requested.topicId)?.name
      const found = name === undefined ? 'UNKNOWN_TOPIC_OR_PARTITION' : lookupTopic(b, name, allowCreate)
      if (typeof found === 'string') {
        topics.push({
          errorCode: errorCode(found),
          name: name ?? null,
          topicId: requested.topicId ?? ZERO_UUID,
          isInternal: false,
          partitions: [],
          topicAuthorizedOperations: OPS_OMITTED,
        })
      } else topics.push(describeTopic(b, found))
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: b.nodeId, host: b.advertised.host, port: b.advertised.port, rack: null }],
    clusterId: b.clusterId,
    controllerId: b.nodeId,
    topics,
    clusterAuthorizedOperations: OPS_OMITTED,
  }
}
