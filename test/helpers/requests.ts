// Request bodies for protocol-level tests, with every field a version might carry filled in.
import type { FetchRequest } from '../../src/protocol/messages/fetch.ts'
import type { ProduceRequest } from '../../src/protocol/messages/produce.ts'

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

export interface FetchOptions {
  maxWaitMs?: number
  minBytes?: number
  isolationLevel?: 0 | 1
  partition?: number
}

/** A fetch of one partition (0 unless given) from `offset`. */
export function fetchRequest(topic: string, offset: bigint, o: FetchOptions = {}): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: o.maxWaitMs ?? 0,
    minBytes: o.minBytes ?? 1,
    maxBytes: 1 << 20,
    isolationLevel: o.isolationLevel ?? 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: ZERO_UUID,
        partitions: [
          {
            partition: o.partition ?? 0,
            currentLeaderEpoch: -1,
            fetchOffset: offset,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
            replicaDirectoryId: ZERO_UUID,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  }
}

/** A produce of `records` to one partition. */
export function produceRequest(
  topic: string,
  records: Buffer,
  o: { acks?: number; partition?: number; transactionalId?: string | null } = {},
): ProduceRequest {
  return {
    transactionalId: o.transactionalId ?? null,
    acks: o.acks ?? -1,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: o.partition ?? 0, records }] }],
  }
}
