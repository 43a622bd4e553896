// Fetch: stored batches go out as they are, sliced from segment reads. A fetch that finds fewer than
// minBytes waits (long poll) until an append to one of its partitions, maxWaitMs, or shutdown.
// Riffle keeps no incremental fetch sessions: answering session id 0 tells clients to send full
// fetch requests, which the protocol allows (KIP-227).
//
// read_committed (isolation level 1) reads only below the last stable offset, the first offset of
// the earliest open transaction, and lists the aborted transactions overlapping the returned
// batches: as in Kafka the client drops those producers' records itself (and the markers).
import type { PartitionLog } from '../../log/partition-log.ts'
import { errorCode, toKafkaError } from '../../protocol/errors.ts'
import type {
  AbortedTransaction,
  FetchRequest,
  FetchResponse,
  PartitionData,
} from '../../protocol/messages/fetch.ts'
import { checkBatch, lastOffsetOf } from '../../protocol/records/header.ts'
import type { BrokerContext } from '../context.ts'

const EMPTY = Buffer.alloc(0)

const READ_COMMITTED = 1

function partitionData(
  index: number,
  code: number,
  log?: PartitionLog,
  records: Buffer = EMPTY,
  abortedTransactions: AbortedTransaction[] | null = null,
): PartitionData {
  return {
    partitionIndex: index,
    errorCode: code,
    highWatermark: BigInt(log?.highWatermark ?? -1),
    lastStableOffset: BigInt(log?.lastStableOffset ?? -1),
    logStartOffset: BigInt(log?.logStartOffset ?? -1),
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions,
    preferredReadReplica: -1,
    records,
  }
}

/** The offset after the last batch in `bytes` (whole batches, as the log returns them). */
function endOffsetOf(bytes: Buffer): number {
  let end = -1
  for (let pos = 0; pos < bytes.length; ) {
    const size = checkBatch(bytes, pos)
    if (typeof size !== 'number') break
    end = Number(lastOffsetOf(bytes, pos)) + 1
    pos += size
  }
  return end
}

async function readOnce(
  b: BrokerContext,
  req: FetchRequest,
): Promise<{ response: FetchResponse; bytes: number; errors: boolean; logs: PartitionLog[] }> {
  let budget = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff
  let bytes = 0
  let errors = false
  const logs: PartitionLog[] = []
  const responses: FetchResponse['responses'] = []
  for (const t of req.topics) {
    const topic = b.store.topic(t.topic)
    const partitions: PartitionData[] = []
    for (const p of t.partitions) {
      const log = topic?.partitions[p.partition]
      if (!log) {
        errors = true
        partitions.push(partitionData(p.partition, errorCode('UNKNOWN_TOPIC_OR_PARTITION')))
        continue
      }
      logs.push(log)
      // Once the response is full, further partitions report their offsets without data;
      // the first partition always gets at least one batch so a consumer always progresses.
      if (budget <= 0 && bytes > 0) {
        partitions.push(partitionData(p.partition, 0, log))
        continue
      }
      try {
        const committed = req.isolationLevel === READ_COMMITTED
        const from = Number(p.fetchOffset)
        const { bytes: records } = await log.read(
          from,
          Math.min(p.partitionMaxBytes, budget),
          committed ? log.lastStableOffset : undefined,
        )
        budget -= records.length
        bytes += records.length
        let aborted: AbortedTransaction[] | null = null
        if (committed) {
          const to = records.length > 0 ? endOffsetOf(records) : from
          aborted = log
            .abortedTransactions(from, to)
            .map((a) => ({ producerId: a.producerId, firstOffset: BigInt(a.firstOffset) }))
        }
        partitions.push(partitionData(p.partition, 0, log, records, aborted))
      } catch (e) {
        errors = true
        partitions.push(partitionData(p.partition, toKafkaError(e).code, log))
      }
    }
    responses.push({ topic: t.topic, topicId: t.topicId, partitions })
  }
  return {
    response: { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses, nodeEndpoints: [] },
    bytes,
    errors,
    logs,
  }
}

/** Resolves on the first append to any of `logs`, after `ms`, or when the broker closes. */
function waitForAppend(b: BrokerContext, logs: PartitionLog[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const offs: Array<() => void> = []
    const done = () => {
      clearTimeout(timer)
      for (const off of offs) off()
      resolve()
    }
    const timer = setTimeout(done, ms)
    for (const log of logs) offs.push(log.onAppend(done))
    void b.closing.then(done)
  })
}

export async function fetch(b: BrokerContext, req: FetchRequest): Promise<FetchResponse> {
  const deadline = Date.now() + Math.max(0, req.maxWaitMs)
  let closed = false
  void b.closing.then(() => {
    closed = true
  })
  for (;;) {
    const r = await readOnce(b, req)
    const left = deadline - Date.now()
    if (r.bytes >= Math.max(1, req.minBytes) || r.errors || left <= 0 || closed || r.logs.length === 0)
      return r.response
    await waitForAppend(b, r.logs, left)
  }
}
