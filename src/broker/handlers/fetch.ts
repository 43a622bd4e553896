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
  FetchPartition,
  FetchRequest,
  FetchResponse,
  PartitionData,
} from '../../protocol/messages/fetch.ts'
import { endOffsetOf } from '../../protocol/records/header.ts'
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

async function readOnce(
  b: BrokerContext,
  req: FetchRequest,
): Promise<{ response: FetchResponse; bytes: number; errors: boolean; logs: PartitionLog[] }> {
  let budget = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff
  const committed = req.isolationLevel === READ_COMMITTED
  const found = req.topics.map((t) => {
    const topic = b.store.topic(t.topic)
    return t.partitions.map((p) => ({ p, log: topic?.partitions[p.partition] }))
  })
  const logs = found.flat().flatMap((x) => (x.log ? [x.log] : []))
  // When every partition's limit fits in the response limit, the reads are independent: run them
  // at once. Otherwise they share the budget and go one after another, in request order.
  const limitSum = found.flat().reduce((sum, x) => sum + (x.log ? x.p.partitionMaxBytes : 0), 0)
  const results: PartitionData[][] = []
  if (limitSum <= budget) {
    for (const group of found) {
      results.push(
        await Promise.all(group.map(({ p, log }) => readPartition(log, p, p.partitionMaxBytes, committed))),
      )
    }
  } else {
    let anyData = false
    for (const group of found) {
      const partitions: PartitionData[] = []
      for (const { p, log } of group) {
        // Once the response is full, further partitions report their offsets without data;
        // the first partition always gets at least one batch so a consumer always progresses.
        const data: PartitionData =
          budget <= 0 && anyData && log
            ? partitionData(p.partition, 0, log)
            : await readPartition(log, p, Math.min(p.partitionMaxBytes, budget), committed)
        budget -= data.records!.length
        anyData ||= data.records!.length > 0
        partitions.push(data)
      }
      results.push(partitions)
    }
  }
  let bytes = 0
  let errors = false
  for (const data of results.flat()) {
    bytes += data.records!.length
    if (data.errorCode !== 0) errors = true
  }
  const responses: FetchResponse['responses'] = req.topics.map((t, i) => ({
    topic: t.topic,
    topicId: t.topicId,
    partitions: results[i]!,
  }))
  return {
    response: { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses, nodeEndpoints: [] },
    bytes,
    errors,
    logs,
  }
}

/** One partition's part of a fetch: its batches up to `maxBytes`, or its error. */
async function readPartition(
  log: PartitionLog | undefined,
  p: FetchPartition,
  maxBytes: number,
  committed: boolean,
): Promise<PartitionData> {
  if (!log) return partitionData(p.partition, errorCode('UNKNOWN_TOPIC_OR_PARTITION'))
  try {
    const from = Number(p.fetchOffset)
    const { bytes: records } = await log.read(from, maxBytes, committed ? log.lastStableOffset : undefined)
    let aborted: AbortedTransaction[] | null = null
    if (committed) {
      const to = records.length > 0 ? endOffsetOf(records) : from
      aborted = log
        .abortedTransactions(from, to)
        .map((a) => ({ producerId: a.producerId, firstOffset: BigInt(a.firstOffset) }))
    }
    return partitionData(p.partition, 0, log, records, aborted)
  } catch (e) {
    return partitionData(p.partition, toKafkaError(e).code, log)
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
    if (b.closing.aborted) return done()
    b.closing.addEventListener('abort', done, { once: true })
    offs.push(() => b.closing.removeEventListener('abort', done))
  })
}

export async function fetch(b: BrokerContext, req: FetchRequest): Promise<FetchResponse> {
  const deadline = Date.now() + Math.max(0, req.maxWaitMs)
  for (;;) {
    const r = await readOnce(b, req)
    const left = deadline - Date.now()
    if (
      r.bytes >= Math.max(1, req.minBytes) ||
      r.errors ||
      left <= 0 ||
      b.closing.aborted ||
      r.logs.length === 0
    )
      return r.response
    await waitForAppend(b, r.logs, left)
  }
}
