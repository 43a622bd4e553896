// Transactional produce throughput beside non-transactional produce of the same messages, both
// through the broker over the wire client. Riffle (the measured side): a transactional producer on
// Riffle's codec, as a Kafka client drives one: InitProducerId with a transactional id once, then
// per transaction AddPartitionsToTxn for the partitions it writes, the transaction's Produce
// requests pipelined (transactional batches with per-partition sequence numbers that continue from
// one transaction to the next), and once all of them are acknowledged, EndTxn to commit. Baseline:
// the same requests with the same batches, non-transactional (no producer id), the same number in
// flight, sent continuously with no transaction boundaries. Both sides use one connection each and
// rewrite the sequence field (transactional side only) and the CRC of every batch before each send,
// so the client does the same work per request on both sides. `verifyLastTransaction` reads the
// last transaction back with a read_committed Fetch, outside any timed region.
import { randomBytes } from 'node:crypto'
import { decodeResponse } from '../../src/protocol/codec/dispatch.ts'
import { restampCrc } from '../../src/protocol/records/header.ts'
import * as L from '../../src/protocol/records/layout.ts'
import { type RecordInput, decodeRecordBatch, encodeRecordBatch } from '../../src/protocol/records/record.ts'
import { type Measurement, mbPerSec, now } from '../lib/measure.ts'
import { FETCH_MAX_BYTES, FETCH_VERSION, PARTITION_FETCH_BYTES } from './consume.ts'
import { type CpuSampler, cpuSampler } from './cpu.ts'
import { PRODUCE_VERSION, pipeline } from './produce.ts'
import type { RunningBroker } from './server.ts'
import { WireClient, encodeFrame } from './wire.ts'

const INIT_PRODUCER_ID_VERSION = 4
const ADD_PARTITIONS_VERSION = 3
const END_TXN_VERSION = 3
const TRANSACTION_TIMEOUT_MS = 60_000
/** CONCURRENT_TRANSACTIONS: the coordinator is still completing the previous transaction; retry. */
const CONCURRENT_TRANSACTIONS = 51
const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

export interface TxnShape {
  topic: string
  partitions: number
  /** Records per batch; every request carries one batch for each partition. */
  recordsPerBatch: number
  recordBytes: number
  /** Produce requests per transaction. */
  requestsPerTxn: number
  /** Produce requests in flight. */
  depth: number
}

export interface TxnSession {
  /** Produces `count` transactions' worth of messages and returns the throughput. */
  slice(count: number): Promise<Measurement>
  close(): Promise<void>
}

/** The messages of one request: one list of records per partition, the same for every request. */
export interface TxnMessages {
  perPartition: RecordInput[][]
  /** Bytes of one request's batches (the same with or without a producer id). */
  requestBytes: number
}

/** Random `recordBytes`-byte values with null keys, different for every partition. */
export function buildTxnMessages(shape: TxnShape): TxnMessages {
  const timestamp = Date.now()
  const perPartition = Array.from({ length: shape.partitions }, () =>
    Array.from({ length: shape.recordsPerBatch }, () => ({
      key: null,
      value: randomBytes(shape.recordBytes),
      timestamp,
    })),
  )
  const requestBytes = perPartition.reduce((n, records) => n + encodeRecordBatch(records).length, 0)
  return { perPartition, requestBytes }
}

interface Producer {
  producerId: bigint
  producerEpoch: number
  transactionalId: string
}

/** Throws unless every partition of a Produce response succeeded; returns each partition's base offset. */
function produceOffsets(frame: Buffer): bigint[] {
  const body = decodeResponse(0, PRODUCE_VERSION, frame).body
  const offsets: bigint[] = []
  for (const t of body.responses)
    for (const p of t.partitionResponses) {
      if (p.errorCode !== 0)
        throw new Error(
          `produce to ${t.name}/${p.index} failed: error ${p.errorCode} ${p.errorMessage ?? ''}`,
        )
      offsets[p.index] = p.baseOffset
    }
  return offsets
}

/**
 * A producer session over one connection: transactional (`transactionalId` given) or not. Each
 * in-flight slot owns a pre-encoded Produce frame; before each send the slot stamps the next
 * sequence number into every batch of its frame (transactional side) and recomputes the batches'
 * CRCs (both sides).
 */
export async function txnProducer(
  broker: RunningBroker,
  shape: TxnShape,
  messages: TxnMessages,
  transactionalId: string | null,
): Promise<TxnSession & { verifyLastTransaction(): Promise<string> }> {
  const client = await WireClient.connect(broker.port)
  let producer: Producer | null = null
  if (transactionalId !== null) {
    const init = await client.request(22, INIT_PRODUCER_ID_VERSION, {
      transactionalId,
      transactionTimeoutMs: TRANSACTION_TIMEOUT_MS,
      producerId: -1n,
      producerEpoch: -1,
    })
    if (init.errorCode !== 0) throw new Error(`InitProducerId failed: error ${init.errorCode}`)
    producer = { producerId: init.producerId, producerEpoch: init.producerEpoch, transactionalId }
  }
  const batches = messages.perPartition.map((records) =>
    encodeRecordBatch(
      records,
      producer
        ? {
            producerId: producer.producerId,
            producerEpoch: producer.producerEpoch,
            baseSequence: 0,
            transactional: true,
          }
        : {},
    ),
  )
  const requestBytes = batches.reduce((n, b) => n + b.length, 0)
  if (requestBytes !== messages.requestBytes) throw new Error('batch sizes differ between the two sides')
  // One frame per slot, and where each partition's batch sits in it (every partition's records
  // differ, so each batch occurs once).
  const slots = Array.from({ length: shape.depth }, () => {
    const frame = encodeFrame(0, PRODUCE_VERSION, {
      transactionalId,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [
        {
          name: shape.topic,
          partitionData: batches.map((records, index) => ({ index, records })),
        },
      ],
    })
    const at = batches.map((b) => frame.indexOf(b))
    if (at.some((pos) => pos < 0)) throw new Error('batch not found in its produce frame')
    return { frame, at }
  })
  const allPartitions = Array.from({ length: shape.partitions }, (_, p) => p)
  const addFrame = producer
    ? encodeFrame(24, ADD_PARTITIONS_VERSION, {
        transactions: [],
        v3AndBelowTransactionalId: producer.transactionalId,
        v3AndBelowProducerId: producer.producerId,
        v3AndBelowProducerEpoch: producer.producerEpoch,
        v3AndBelowTopics: [{ name: shape.topic, partitions: allPartitions }],
      })
    : null
  const endFrame = producer
    ? encodeFrame(26, END_TXN_VERSION, {
        transactionalId: producer.transactionalId,
        producerId: producer.producerId,
        producerEpoch: producer.producerEpoch,
        committed: true,
      })
    : null

  /** The sequence number of the next batch, the same on every partition (one batch each per request). */
  let nextSequence = 0
  /** Base offsets of the first and last request of the last transaction, per partition. */
  let lastTxn: { first: bigint[]; last: bigint[] } | null = null
  let retries = 0

  const produceOne = async (slot: number, index: number): Promise<bigint[]> => {
    const s = slots[slot]!
    const sequence = nextSequence
    nextSequence = (nextSequence + shape.recordsPerBatch) % 0x80000000
    for (let p = 0; p < batches.length; p++) {
      const pos = s.at[p]!
      if (producer) s.frame.writeInt32BE(sequence, pos + L.BASE_SEQUENCE)
      restampCrc(s.frame, pos, batches[p]!.length)
    }
    const offsets = produceOffsets(await client.sendFrame(s.frame))
    if (index >= 0) {
      lastTxn ??= { first: [], last: [] }
      if (index === 0) lastTxn.first = offsets
      if (index === shape.requestsPerTxn - 1) lastTxn.last = offsets
    }
    return offsets
  }

  /** AddPartitionsToTxn, retried while the coordinator still completes the previous transaction. */
  const addPartitions = async (): Promise<void> => {
    for (;;) {
      const frame = await client.sendFrame(addFrame!)
      const body = decodeResponse(24, ADD_PARTITIONS_VERSION, frame).body
      const codes = body.resultsByTopicV3AndBelow.flatMap((t) =>
        t.resultsByPartition.map((p) => p.partitionErrorCode),
      )
      if (codes.every((c) => c === 0)) return
      if (codes.every((c) => c === CONCURRENT_TRANSACTIONS)) {
        retries++
        continue
      }
      throw new Error(`AddPartitionsToTxn failed: errors ${codes.join(', ')}`)
    }
  }

  const endTxn = async (): Promise<void> => {
    const frame = await client.sendFrame(endFrame!)
    const body = decodeResponse(26, END_TXN_VERSION, frame).body
    if (body.errorCode !== 0) throw new Error(`EndTxn failed: error ${body.errorCode}`)
  }

  const cpu: CpuSampler = cpuSampler(broker.pid)
  return {
    async slice(count) {
      const retriesBefore = retries
      cpu.start()
      const start = now()
      // Time spent waiting for each kind of request of the transactions (totals over the run).
      let addMs = 0
      let endMs = 0
      if (producer) {
        for (let t = 0; t < count; t++) {
          const t0 = now()
          await addPartitions()
          const t1 = now()
          let issued = 0
          await pipeline(shape.requestsPerTxn, shape.depth, async (slot) => {
            await produceOne(slot, issued++)
          })
          const t2 = now()
          await endTxn()
          addMs += t1 - t0
          endMs += now() - t2
        }
      } else {
        await pipeline(count * shape.requestsPerTxn, shape.depth, async (slot) => {
          await produceOne(slot, -1)
        })
      }
      const ms = now() - start
      const requests = count * shape.requestsPerTxn
      const bytes = requests * requestBytes
      const msgs = requests * shape.partitions * shape.recordsPerBatch
      return {
        value: mbPerSec(bytes, ms),
        details: {
          ms,
          transactions: producer ? count : 0,
          requests,
          bytes,
          msgsPerSec: msgs / (ms / 1000),
          // For the non-transactional side: groups of as many messages as a transaction has.
          transactionsPerSec: count / (ms / 1000),
          ...(producer
            ? {
                addPartitionsMs: addMs,
                endTxnMs: endMs,
                concurrentTransactionsRetries: retries - retriesBefore,
              }
            : {}),
          ...cpu.stop(ms),
        },
      }
    },

    /**
     * Reads the last committed transaction back with a read_committed Fetch of every partition from
     * its first offset there, until the commit markers are in (they are written after EndTxn is
     * answered): its data batches must hold exactly the records sent, as transactional batches of
     * this producer, followed by a commit marker, with no aborted transaction reported. Returns a
     * one-line summary; throws on any mismatch.
     */
    async verifyLastTransaction() {
      if (!producer || !lastTxn) throw new Error('no transaction to verify')
      const { first, last } = lastTxn
      const perPartition = shape.requestsPerTxn * shape.recordsPerBatch
      const deadline = now() + 10_000
      for (;;) {
        const body = await client.request(1, FETCH_VERSION, {
          clusterId: null,
          replicaId: -1,
          replicaState: { replicaId: -1, replicaEpoch: -1n },
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: FETCH_MAX_BYTES,
          isolationLevel: 1,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: shape.topic,
              topicId: ZERO_UUID,
              partitions: allPartitions.map((partition) => ({
                partition,
                currentLeaderEpoch: -1,
                fetchOffset: first[partition]!,
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: PARTITION_FETCH_BYTES,
                replicaDirectoryId: ZERO_UUID,
              })),
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        })
        if (body.errorCode !== 0) throw new Error(`verification fetch failed: error ${body.errorCode}`)
        let committed = 0
        let records = 0
        for (const t of body.responses)
          for (const p of t.partitions) {
            if (p.errorCode !== 0)
              throw new Error(`verification fetch ${t.topic}/${p.partitionIndex}: error ${p.errorCode}`)
            if ((p.abortedTransactions ?? []).length > 0)
              throw new Error(`${t.topic}/${p.partitionIndex}: aborted transactions reported`)
            const got = checkPartition(
              p.records,
              batches[p.partitionIndex]!,
              last[p.partitionIndex]!,
              producer,
            )
            if (got === null) continue // the commit marker is not written yet
            if (got !== perPartition)
              throw new Error(
                `read_committed returned ${got} records of the last transaction from ${t.topic}/${p.partitionIndex}, expected ${perPartition}`,
              )
            records += got
            committed++
          }
        if (committed === shape.partitions)
          return `read_committed Fetch of the last transaction: ${records} records in ${shape.partitions} partitions, then commit markers`
        if (now() > deadline)
          throw new Error('the last transaction was not readable with read_committed within 10 s')
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },

    async close() {
      client.close()
    },
  }
}

/**
 * Checks one partition's read_committed records from the last transaction's first offset: data
 * batches up to `lastBase` with the records of `sent` (the batch as sent, compared from the records
 * count on), transactional and of `producer`, then a commit marker of that producer. Returns the
 * number of data records, or null while no commit marker follows them yet.
 */
function checkPartition(
  bytes: Buffer | null,
  sent: Buffer,
  lastBase: bigint,
  producer: Producer,
): number | null {
  if (!bytes) return null
  const sentRecords = sent.subarray(L.RECORDS_COUNT)
  let pos = 0
  let records = 0
  let dataDone = false
  while (pos + L.LOG_OVERHEAD <= bytes.length) {
    const size = bytes.readInt32BE(pos + L.BATCH_LENGTH) + L.LOG_OVERHEAD
    if (pos + size > bytes.length) break
    const batch = decodeRecordBatch(bytes, pos)
    const h = batch.header
    const ours = h.producerId === producer.producerId && h.producerEpoch === producer.producerEpoch
    if (!ours || (h.attributes & L.ATTR_TRANSACTIONAL) === 0)
      throw new Error(`batch at offset ${h.baseOffset} is not a transactional batch of the producer`)
    if ((h.attributes & L.ATTR_CONTROL) !== 0) {
      // Control record key: version (int16), type (int16: 0 abort, 1 commit).
      const key = batch.records[0]?.key
      if (!dataDone || !key || key.readInt16BE(2) !== 1)
        throw new Error(`unexpected control batch at offset ${h.baseOffset}`)
      return records
    }
    if (dataDone) throw new Error(`data batch after the last transaction at offset ${h.baseOffset}`)
    if (!bytes.subarray(pos + L.RECORDS_COUNT, pos + size).equals(sentRecords))
      throw new Error(`batch at offset ${h.baseOffset} does not hold the records sent`)
    records += h.recordsCount
    if (h.baseOffset === lastBase) dataDone = true
    pos += size
  }
  return null
}
